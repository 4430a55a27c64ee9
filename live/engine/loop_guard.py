"""The loop guard: notices when the model has fallen into a loop, and draws it out.

A model left to itself for hours can lock onto a figure and repeat it forever (at a low temperature
some shipped models do within a few dozen events). Measurably, a loop is: the last LOOP_EVENTS events,
each a whole (pitch, duration, shift), repeat with a period of at most MAX_PERIOD events. The guard
checks after every event; on a loop it has the next RECOVERY_EVENTS events (about a phrase) drawn at a
temperature of at least RECOVERY_TEMPERATURE with no top-p cut, which breaks the figure, then the
user's settings apply again. A loop therefore sounds for at most LOOP_EVENTS events before the
recovery starts, and the guard counts every recovery for the log and the engine's snapshot.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

from continuo.live.engine.sampler import SamplingSettings
from continuo.live.music.codec import Event

LOOP_EVENTS = 32
MAX_PERIOD = 8
RECOVERY_EVENTS = 16
RECOVERY_TEMPERATURE = 1.5


def loop_period(events: Sequence[Event], max_period: int = MAX_PERIOD) -> int | None:
    """The shortest period (1 to `max_period`) with which all of `events` repeat, or None."""
    for period in range(1, max_period + 1):
        if all(events[i] == events[i - period] for i in range(period, len(events))):
            return period
    return None


class LoopGuard:
    def __init__(self, on_loop: Callable[[int, int], None] | None = None) -> None:
        self.on_loop = on_loop  # called with (period, recoveries so far) when a loop is found
        self._recent: deque[Event] = deque(maxlen=LOOP_EVENTS)
        self._recovering = 0  # events still to draw at the recovery settings
        self.recoveries = 0
        self.last_period: int | None = None

    def settings(self, chosen: SamplingSettings) -> SamplingSettings:
        """What the next event is drawn with: the chosen settings, or during a recovery, warmer ones."""
        if not self._recovering:
            return chosen
        return SamplingSettings(max(chosen.temperature, RECOVERY_TEMPERATURE), None)

    def observe(self, event: Event) -> None:
        """After each event: count down a recovery, or look for a loop in the last LOOP_EVENTS."""
        if self._recovering:
            self._recovering -= 1
            return
        self._recent.append(event)
        if len(self._recent) < LOOP_EVENTS:
            return
        period = loop_period(self._recent)
        if period is not None:
            self.recoveries += 1
            self.last_period = period
            self._recovering = RECOVERY_EVENTS
            self._recent.clear()
            if self.on_loop is not None:
                self.on_loop(period, self.recoveries)
