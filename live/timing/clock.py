"""Beats to seconds on the monotonic clock.

The scheduler asks the clock for each message's due time when it is about to send it, not when
it was queued, so a tempo change moves everything still waiting and nothing drifts: due times
are absolute, computed from one anchor, never a sum of sleeps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

MIN_BPM = 20.0
MAX_BPM = 400.0


def check_bpm(bpm: float) -> float:
    if not MIN_BPM <= bpm <= MAX_BPM:
        raise ValueError(f"tempo must be between {MIN_BPM:g} and {MAX_BPM:g} BPM, got {bpm:g}")
    return float(bpm)


class Clock(Protocol):
    """What the scheduler and the player ask of time: TempoClock, or MidiClockFollower (live/timing/midi_clock.py)."""

    follows_transport: bool  # True: a DAW starts, stops and places the music

    @property
    def bpm(self) -> float: ...
    @property
    def last_tick_at(self) -> float | None:
        """When the followed clock's last tick arrived (monotonic seconds); None for a clock of our own."""

    def now(self) -> float: ...
    def start(self, at_seconds: float, beat: float = 0.0) -> None: ...
    def set_tempo(self, bpm: float) -> None: ...
    def seconds_at(self, beat: float) -> float | None: ...
    def beat_at(self, seconds: float) -> float: ...


class TempoClock:
    """A steady tempo anchored at a (seconds, beat) point; a tempo change re-anchors at the current beat."""

    follows_transport = False

    def __init__(self, bpm: float, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._bpm = check_bpm(bpm)
        self._anchor_seconds = now()
        self._anchor_beat = 0.0

    @property
    def bpm(self) -> float:
        return self._bpm

    @property
    def last_tick_at(self) -> float | None:
        return None

    def now(self) -> float:
        return self._now()

    def start(self, at_seconds: float, beat: float = 0.0) -> None:
        """Make `beat` fall at the monotonic time `at_seconds`."""
        with self._lock:
            self._anchor_seconds, self._anchor_beat = at_seconds, beat

    def set_tempo(self, bpm: float) -> None:
        with self._lock:
            now = self._now()
            self._anchor_beat = self._beat_at(now)
            self._anchor_seconds = now
            self._bpm = check_bpm(bpm)

    def seconds_at(self, beat: float) -> float | None:
        """When `beat` falls (None would mean the transport is stopped; a free-running clock never is)."""
        with self._lock:
            return self._anchor_seconds + (beat - self._anchor_beat) * 60.0 / self._bpm

    def beat_at(self, seconds: float) -> float:
        with self._lock:
            return self._beat_at(seconds)

    def _beat_at(self, seconds: float) -> float:
        return self._anchor_beat + (seconds - self._anchor_seconds) * self._bpm / 60.0
