"""What the engine does when the DAW's transport moves (live/timing/midi_clock.py reports it).

Stop silences at once, from the clock port's reader thread: held notes get their note-offs and
nothing queued sounds. Start and Continue are handed to the main thread, which begins placing
notes on the next whole beat (beat 1 after Start: the line through the ticks needs a beat to
settle before it can place notes on them).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from continuo.live.engine.player import Player
from continuo.live.engine.scheduler import Scheduler
from continuo.live.timing.midi_clock import TransportEvent


class TransportControl:
    def __init__(self, player: Player, scheduler: Scheduler, plays_on_start: bool, log: Callable[..., None]) -> None:
        self.player, self.scheduler, self.plays_on_start, self.log = player, scheduler, plays_on_start, log
        self._pending: float | None = None
        self._lock = threading.Lock()
        self.state = "waiting for Start"

    def __call__(self, event: TransportEvent) -> None:
        """On the clock port's reader thread."""
        if event.kind == "stop":
            self.player.halt()
            self.scheduler.flush()
            self.state = "stopped"
        elif event.kind in ("start", "continue"):
            with self._lock:
                self._pending = math.floor(event.beat) + 1.0
            self.state = "playing"
        elif event.kind == "songpos":
            self.state = f"stopped at beat {event.beat:g}"
        self.log("transport", transport=event.kind, beat=event.beat)

    def apply(self) -> None:
        """On the main thread, between steps: begin a pending phrase."""
        with self._lock:
            begin, self._pending = self._pending, None
        if begin is not None and self.plays_on_start:
            self.scheduler.flush()
            self.player.begin_phrase(begin)
