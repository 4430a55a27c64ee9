"""How late each note-on left the scheduler after its due time: what the engine adds to a port's jitter.

Written on the scheduler thread between two sends (appends only, no lock: a deque's append and its copy
into a list each run inside one call into C under the interpreter lock, so a reader never sees half of
one); read by the status line, the health figures and the timing report.
"""

from __future__ import annotations

from collections import deque

# A note-on leaving later than this after its due time counts as a late send (the engine's status shows
# the count): several JACK periods, well past the scheduler's usual spin-and-send error.
LATE_SECONDS = 0.005
RECENT_LATENESS = 4096  # note-ons whose lateness the health figures look at (about a minute of dense music)


class Lateness:
    def __init__(self, samples: int | None = None) -> None:
        self.late_sends = 0
        # With `samples`, the lateness of the last that many note-ons, for a timing report.
        self.samples = None if samples is None else deque[float](maxlen=samples)
        self._recent = deque[float](maxlen=RECENT_LATENESS)

    def record(self, late: float) -> None:
        if late > LATE_SECONDS:
            self.late_sends += 1
        self._recent.append(late)
        if self.samples is not None:
            self.samples.append(late)

    def recent(self) -> list[float]:
        """Seconds late, for each of the last RECENT_LATENESS note-ons."""
        return list(self._recent)
