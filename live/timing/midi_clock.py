"""Follow a DAW's MIDI clock: 24 ticks per beat, Start, Stop, Continue, Song Position Pointer.

The follower is a clock like TempoClock (live/timing/clock.py), so the scheduler and the player use it
unchanged: beats map to seconds through a straight line fitted to the recent ticks' arrival times
(least squares over up to two beats), which averages out the jitter of each tick and predicts the
next ones, so notes are sent *on* the tick rather than after hearing it. When ticks stop fitting
the line (a tempo change), the fit restarts from the latest ticks. While the transport is stopped,
`seconds_at` is None and the scheduler sends nothing.

Position: Start sets beat 0 at the next tick; Continue resumes from the current position; SPP
(in sixteenths) moves the position while stopped. Each tick advances it by 1/24 beat.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import mido

from continuo.live.music.midi import CLOCK_TICKS_PER_BEAT, DEFAULT_BPM
from continuo.live.timing.clock import MAX_BPM, MIN_BPM, check_bpm

FIT_TICKS = 48  # two beats: enough ticks to average jitter, few enough to follow a ritardando
SETTLE_TICKS = 6  # after (re)starting the fit, ticks needed before the line is trusted
TRANSPORT_TYPES = {"clock", "start", "stop", "continue", "songpos"}


@dataclass(frozen=True)
class TransportEvent:
    kind: str  # "start", "stop", "continue", "songpos"
    beat: float  # the position it sets (or leaves)


class MidiClockFollower:
    follows_transport = True

    def __init__(self, initial_bpm: float = DEFAULT_BPM, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._ticks: deque[tuple[int, float]] = deque(maxlen=FIT_TICKS)  # (tick number, arrival seconds)
        self._misfits = 0
        self._slope = 60.0 / (check_bpm(initial_bpm) * CLOCK_TICKS_PER_BEAT)  # seconds per tick, until ticks come
        self._intercept = 0.0
        self.position_ticks = 0  # ticks counted since Start (or set by SPP)
        self.running = False
        self._armed = False  # Start/Continue seen: run from the next tick
        self._transport_seen = False  # ticks before any Start: a DAW already playing, join it
        self.on_transport: Callable[[TransportEvent], None] | None = None
        self._unsent: TransportEvent | None = None  # the latest, if it came before anyone listened
        self._last_tick_at: float | None = None

    # -- the clock protocol (live/timing/clock.py) ----------------------------------------------------
    @property
    def bpm(self) -> float:
        with self._lock:
            return 60.0 / (self._slope * CLOCK_TICKS_PER_BEAT)

    @property
    def last_tick_at(self) -> float | None:
        return self._last_tick_at

    def now(self) -> float:
        return self._now()

    def start(self, at_seconds: float, beat: float = 0.0) -> None:
        """The DAW starts and places the music, not the engine: nothing to do."""

    def set_tempo(self, bpm: float) -> None:
        """A tempo CC has no say while following a clock; the DAW sets the tempo."""

    def seconds_at(self, beat: float) -> float | None:
        with self._lock:
            if not self.running or len(self._ticks) < 2:
                return None
            return self._intercept + self._slope * beat * CLOCK_TICKS_PER_BEAT

    def beat_at(self, seconds: float) -> float:
        with self._lock:
            if not self.running or len(self._ticks) < 2:
                return self.position_ticks / CLOCK_TICKS_PER_BEAT
            return (seconds - self._intercept) / self._slope / CLOCK_TICKS_PER_BEAT

    # -- the input side ------------------------------------------------------------------------
    def handle(self, stamp: float, message: mido.Message) -> None:
        """Called with each message from the clock port, stamped on arrival."""
        kind = message.type
        if kind == "clock":
            self._tick(stamp)
            return
        event: TransportEvent | None = None
        with self._lock:
            self._transport_seen = self._transport_seen or kind in TRANSPORT_TYPES
            if kind == "start":
                self.position_ticks, self._armed, self.running = 0, True, False
                self._ticks.clear()
                event = TransportEvent("start", 0.0)
            elif kind == "continue":
                self._armed, self.running = True, False
                self._ticks.clear()
                event = TransportEvent("continue", self.position_ticks / CLOCK_TICKS_PER_BEAT)
            elif kind == "stop":
                self.running, self._armed = False, False
                event = TransportEvent("stop", self.position_ticks / CLOCK_TICKS_PER_BEAT)
            elif kind == "songpos" and not self.running:
                self.position_ticks = message.pos * (CLOCK_TICKS_PER_BEAT // 4)
                self._ticks.clear()
                event = TransportEvent("songpos", self.position_ticks / CLOCK_TICKS_PER_BEAT)
        if event is not None:
            self._emit(event)

    def _tick(self, stamp: float) -> None:
        joined: TransportEvent | None = None
        with self._lock:
            self._last_tick_at = stamp
            if not self._transport_seen:  # clock with no Start ever seen: the DAW was already playing
                self._transport_seen, self._armed = True, True
                joined = TransportEvent("continue", self.position_ticks / CLOCK_TICKS_PER_BEAT)
            if self._armed:  # the first tick after Start/Continue is the position itself
                self._armed, self.running = False, True
                tick = self.position_ticks
            elif self.running:
                self.position_ticks += 1
                tick = self.position_ticks
            else:
                return
            self._add(tick, stamp)
        if joined is not None:
            self._emit(joined)

    def connect(self, listener: Callable[[TransportEvent], None]) -> None:
        """Listen to transport changes; the latest one, if it came before (a DAW already playing), at once."""
        self.on_transport = listener
        unsent, self._unsent = self._unsent, None
        if unsent is not None:
            listener(unsent)

    def _emit(self, event: TransportEvent) -> None:
        if self.on_transport is None:
            self._unsent = event
        else:
            self.on_transport(event)

    def _add(self, tick: int, stamp: float) -> None:
        if len(self._ticks) >= SETTLE_TICKS:
            predicted = self._intercept + self._slope * tick
            if abs(stamp - predicted) > max(0.002, 0.15 * self._slope):
                self._misfits += 1
                if self._misfits >= 2:  # two ticks off the line in a row: the tempo changed
                    self._ticks = deque(list(self._ticks)[-1:], maxlen=FIT_TICKS)
                    self._misfits = 0
            else:
                self._misfits = 0
        self._ticks.append((tick, stamp))
        self._fit()

    def _fit(self) -> None:
        count = len(self._ticks)
        if count == 1:
            tick, stamp = self._ticks[0]
            self._intercept = stamp - self._slope * tick
            return
        mean_tick = sum(t for t, _ in self._ticks) / count
        mean_stamp = sum(s for _, s in self._ticks) / count
        spread = sum((t - mean_tick) ** 2 for t, _ in self._ticks)
        slope = sum((t - mean_tick) * (s - mean_stamp) for t, s in self._ticks) / spread
        low, high = 60.0 / (MAX_BPM * CLOCK_TICKS_PER_BEAT), 60.0 / (MIN_BPM * CLOCK_TICKS_PER_BEAT)
        self._slope = min(max(slope, low), high)
        self._intercept = mean_stamp - self._slope * mean_tick
