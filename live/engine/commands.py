"""What can be asked of a running engine, and what it shows back (docs/ARCHITECTURE.md, "Commands").

A command is a small frozen value: any thread may build one and hand it to `Engine.submit`; the
engine's own thread applies it between two generation steps. Every source of change speaks this
language: the CC map and Program Change of the input port, the DAW's transport, the signals that end
a run, and whatever comes next (a web panel, an OSC server, a playlist) without a change to the engine.

A `Snapshot` is the other direction: an immutable picture of the engine, replaced whole after each
step, so a reader on any thread sees one consistent state and never a half-made change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from continuo.live.music.midi import MAX_DATA
from continuo.live.timing.clock import MAX_BPM, MIN_BPM

# Parameters a `SetParameter` may change, with the values each accepts (inclusive).
PARAMETER_RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0.05, 10.0),
    "top_p": (0.05, 1.0),
    "velocity": (1.0, float(MAX_DATA)),
    "tempo": (MIN_BPM, MAX_BPM),
}
MODES = ("continue", "call-response", "accompany")
TRANSPORT_KINDS = ("start", "stop", "continue", "locate")
LOGGED_TRANSPORT = {"locate": "songpos"}  # the log names transport changes as MIDI does
CLOCK_LOST_CHOICES = ("continue", "pause")  # when a followed MIDI clock goes quiet (live/engine/transport.py)


@dataclass(frozen=True)
class SetParameter:
    """Temperature, top-p, velocity (the performer's dynamics stop being followed) or tempo."""

    name: str
    value: float


@dataclass(frozen=True)
class SwitchModel:
    """Continue with another model (a shipped name or an .onnx path), the window kept; or, with
    `seed_composer`, the window reseeded from that composer's seed bank. With `at_phrase_end`, the
    switch waits for the music's next phrase end (a rest or a long note) instead of acting at once."""

    model: str
    seed_composer: str | None = None
    at_phrase_end: bool = False


@dataclass(frozen=True)
class SelectProgram:
    """Switch to the model at this index of the engine's program list (MIDI Program Change)."""

    program: int


@dataclass(frozen=True)
class ChangeMode:
    mode: str


@dataclass(frozen=True)
class Panic:
    """Silence now (note-offs for held notes, CC123, CC120); play on a beat later, or listen."""


@dataclass(frozen=True)
class Stop:
    """End the run through its normal way out."""


@dataclass(frozen=True)
class Transport:
    """The DAW's transport: start (from `beat`), stop, continue, or locate to `beat` while stopped."""

    kind: str
    beat: float = 0.0


@dataclass(frozen=True)
class PerformerNote:
    """A key struck (velocity > 0) or released (velocity 0), stamped in monotonic seconds on arrival."""

    pitch: int
    velocity: int
    stamp: float


Command = SetParameter | SwitchModel | SelectProgram | ChangeMode | Panic | Stop | Transport | PerformerNote


def check_command(command: Command) -> None:
    """Raise ValueError naming what is wrong with a command: the engine checks each before applying it,
    and a command source may check first to answer its user at once."""
    if isinstance(command, SetParameter):
        if command.name not in PARAMETER_RANGES:
            raise ValueError(f"unknown parameter {command.name!r} (one of {', '.join(PARAMETER_RANGES)})")
        low, high = PARAMETER_RANGES[command.name]
        if not low <= command.value <= high:
            raise ValueError(f"{command.name} must be {low:g}-{high:g}, got {command.value:g}")
    elif isinstance(command, ChangeMode) and command.mode not in MODES:
        raise ValueError(f"unknown mode {command.mode!r} (one of {', '.join(MODES)})")
    elif isinstance(command, Transport) and command.kind not in TRANSPORT_KINDS:
        raise ValueError(f"unknown transport {command.kind!r} (one of {', '.join(TRANSPORT_KINDS)})")
    elif isinstance(command, PerformerNote) and not all(0 <= v <= MAX_DATA for v in (command.pitch, command.velocity)):
        raise ValueError(f"a note needs pitch and velocity 0-{MAX_DATA}, got {command.pitch}, {command.velocity}")


class SentNote(NamedTuple):
    """A note-on as it left the scheduler: `number` counts every note-on of the run from 1.

    A named tuple, not a dataclass: one is made on the scheduler thread for every note-on, between sends."""

    number: int
    beat: float
    pitch: int
    velocity: int
    channel: int


@dataclass(frozen=True)
class Snapshot:
    model: str
    tempo: float
    temperature: float
    top_p: float | None
    velocity: int
    mode: str
    mode_status: str  # "listening", "answering", ... ("" in continue)
    transport: str  # "" without a MIDI clock; else "waiting for Start", "playing", "stopped", ...
    notes_sent: int
    notes_held: int
    late_sends: int  # note-ons that left more than LATE_SECONDS (engine/lateness.py) after their due time
    recent: tuple[SentNote, ...]
    loop_recoveries: int  # times the loop guard drew the music out of a loop
    stalls: int  # times generation fell behind the music and was reseeded
    port_lost: str  # why the output is away, while it is ("" when it plays)
    last_change: str  # what the last command did, or why it was refused
    running: bool
