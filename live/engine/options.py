"""How an engine is set up: its options at start, and the timing constants of its loop."""

from __future__ import annotations

from dataclasses import dataclass, field

from continuo.live.engine.modes import ModeOptions
from continuo.live.music.midi import DEFAULT_VELOCITY

LOOKAHEAD_SECONDS = 0.25  # how far ahead of the music notes are placed: a change reaches the sound this soon
LEAD_SECONDS = 0.05  # beat 0 falls this long after the loop starts, so the first note is not late
POLL_SECONDS = 0.01  # the longest wait for commands between two rounds
DRAIN_SECONDS = 0.1  # at a --duration end, how long to wait for what is due before the end to be sent
MAX_COMMANDS_PER_ROUND = 256  # a flood of input cannot keep the loop from placing notes
LATENESS_SAMPLES = 1_000_000  # --timing-report keeps at most this many note-on lateness figures


@dataclass(frozen=True)
class EngineOptions:
    channel: int = 0  # 0-15 on the wire
    velocity: int = DEFAULT_VELOCITY
    follow_velocity: bool = True  # take the performer's dynamics until a velocity is set
    mode: str = "continue"
    mode_options: ModeOptions = field(default_factory=ModeOptions)
    duration_seconds: float | None = None
    send_clock: bool = False
    programs: tuple[str, ...] = ()  # what SelectProgram 0, 1, ... switches to
    keep_lateness: bool = False
    survive_port_loss: bool = False  # a failing port waits for `output_restored` instead of ending the run
    clock_lost: str = "continue"  # or "pause": when a followed MIDI clock goes quiet (live/engine/transport.py)
