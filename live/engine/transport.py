"""The DAW's transport as the engine follows it, and what happens when its MIDI clock goes quiet.

Start and Continue place the music on the DAW's beats, Stop silences it, Song Position moves it. A
DAW that quits, or a clock port that vanishes, sends no Stop: its ticks just end. After
CLOCK_LOST_BEATS beats without a tick (at the last tempo) the engine says so once and, by the run's
choice, plays on at the last tempo (the follower's fitted line keeps mapping beats to seconds) or
pauses. When ticks come back, their positions no longer match the music played meanwhile, so what
is queued is dropped and the music starts again on the next whole beat of the returned clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from continuo.live.engine.commands import CLOCK_LOST_CHOICES, LOGGED_TRANSPORT, Transport
from continuo.live.engine.modes import Mode, Stage

CLOCK_LOST_BEATS = 2.0


class TransportState:
    def __init__(self, stage: Stage, mode: Callable[[], Mode], clock_lost: str = "continue") -> None:
        if clock_lost not in CLOCK_LOST_CHOICES:
            raise ValueError(f"clock_lost must be one of {', '.join(CLOCK_LOST_CHOICES)}, got {clock_lost!r}")
        self.stage, self._mode, self.clock_lost = stage, mode, clock_lost
        self.state = "waiting for Start" if stage.clock.follows_transport else ""
        self.lost = False  # the clock's ticks stopped while the transport was playing

    @property
    def playing(self) -> bool:
        """True without a MIDI clock, or while the DAW plays (even on its last tempo after a lost clock)."""
        return not self.stage.clock.follows_transport or self.state.startswith("playing")

    def apply(self, command: Transport) -> None:
        stage = self.stage
        self.lost = False
        if command.kind == "stop":
            stage.player.halt()
            stage.scheduler.flush()
            self.state = "stopped"
            self._mode().silenced(None)
        elif command.kind in ("start", "continue"):
            self.state = "playing"
            self._restart(command.beat)
        elif command.kind == "locate":
            self.state = f"stopped at beat {command.beat:g}"
        stage.log("transport", transport=LOGGED_TRANSPORT.get(command.kind, command.kind), beat=command.beat)

    def _restart(self, beat: float) -> None:
        """Play from the next whole beat: the line through the ticks needs a beat to settle before notes go on it."""
        if self._mode().plays_alone:
            self.stage.scheduler.flush()
            self.stage.player.begin_phrase(math.floor(beat) + 1.0)

    def watch(self, now: float) -> None:
        """Between rounds: notice a clock that went quiet while playing, and one that came back."""
        clock = self.stage.clock
        last = clock.last_tick_at
        if last is None or not (self.playing or self.lost):
            return
        quiet_beats = (now - last) * clock.bpm / 60.0
        if not self.lost and quiet_beats > CLOCK_LOST_BEATS:
            self.lost = True
            self.stage.log("clock", lost=True, quiet_seconds=round(now - last, 3), then=self.clock_lost)
            if self.clock_lost == "pause":
                self.stage.player.halt()
                self.stage.scheduler.flush()
                self.state = "clock lost: paused"
                self._mode().silenced(None)
            else:
                self.state = f"playing on at {clock.bpm:.0f} BPM: clock lost"
        elif self.lost and quiet_beats < 1.0:
            self.lost = False
            self.state = "playing"
            self.stage.log("clock", lost=False)
            self._restart(clock.beat_at(now))
