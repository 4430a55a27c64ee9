"""What `continuo play` was asked to do, checked whole before anything opens.

`plan` is the one place where play's options are validated and turned into engine settings: every
mistake (a flag out of range, a contradiction between flags, an unreadable CC map, an unknown model
in the program list, an unwritable take) fails here with one line naming it, before a port, a relay
or a JACK server exists, so nothing has to be undone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from continuo.live.engine.commands import CLOCK_LOST_CHOICES, MODES
from continuo.live.engine.modes import ModeOptions
from continuo.live.engine.sampler import SamplingSettings, checked_settings
from continuo.live.errors import ContinuoError
from continuo.live.files import check_writable
from continuo.live.interaction.control import DEFAULT_CC_MAP, CCMapping, load_cc_map
from continuo.live.midi_io.jack_library import DEFAULT_QUANTUM
from continuo.live.midi_io.ports import BACKEND_NAMES
from continuo.live.model.model_file import resolve_model, shipped_models
from continuo.live.music.midi import CHANNELS, DEFAULT_BPM, MAX_DATA
from continuo.live.runner.playlist import Playlist, check_opening, parse_playlist


@dataclass(frozen=True)
class PlayRequest:
    model: str = "bach"
    seed_composer: str | None = None
    seed_file: Path | None = None
    temperature: float = 1.0
    top_p: float | None = None
    seed: int | None = None
    tempo: float = DEFAULT_BPM
    channel: int = 1  # 1-16, as musicians count
    velocity: int | None = None  # None: 80 until a performer plays, then follow their dynamics
    output_name: str = "Continuo"
    output_port: str | None = None
    output: str = "port"  # or "none": no port at all, only --record
    backend: str = "auto"
    duration: float | None = None
    record: Path | None = None
    record_part_minutes: float | None = None  # None: one take, written at the end
    timing_report: Path | None = None
    quiet: bool = False
    print_notes: bool = False
    start_jack: bool = False
    pipewire_quantum: int = DEFAULT_QUANTUM  # frames; 0 leaves PipeWire's quantum alone (live/midi_io/jack_library.py)
    input_port: str | None = None
    input_name: str | None = None
    input_channel: int | None = None  # 1-16; None = omni
    mode: str = "continue"
    phrase_gap: str = "500ms"
    answer_length: str = "8beats"
    cc_map: Path | None = None
    log: Path | None = None
    clock_port: str | None = None  # follow MIDI clock from this port ...
    clock_name: str | None = None  # ... or from a new virtual port of this name
    send_clock: bool = False
    program_models: tuple[str, ...] = ()  # what Program Change 0, 1, ... selects (default: the shipped models)
    loop_guard: bool = True  # draw the music out of a loop (live/engine/loop_guard.py)
    playlist: tuple[str, ...] = ()  # entries MODEL or MODEL@SEED-COMPOSER, rotated every `switch_every`
    switch_every: str | None = None  # "10m", "90s", "1h"
    exit_on_port_loss: bool = False  # else wait for a lost MIDI system or port and play on
    clock_lost: str = "continue"  # or "pause": what to do when the followed clock's ticks stop
    health_file: Path | None = None  # the latest health figures, as JSON
    health_seconds: float = 60.0  # between two health lines in the log (and health-file updates)
    log_max_mb: float = 10.0  # --log rotates at this size
    state_dir: Path | None = None  # held notes per port, for the next start after a crash (None: XDG default)

    @property
    def follows_clock(self) -> bool:
        return self.clock_port is not None or self.clock_name is not None

    @property
    def listens(self) -> bool:
        return self.input_port is not None or self.input_name is not None


@dataclass(frozen=True)
class PlayPlan:
    """A checked request, in the engine's terms."""

    settings: SamplingSettings
    mode: ModeOptions
    cc_map: dict[int, CCMapping]
    programs: tuple[str, ...]
    playlist: Playlist | None = None  # --playlist with --switch-every, checked


def _amount_and_unit(text: str, flag: str, units: tuple[str, ...]) -> tuple[float, str]:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", text.lower())
    if match is None or (match.group(2) and match.group(2) not in units) or float(match.group(1)) <= 0:
        raise ContinuoError(f"{flag}: expected a positive number with a unit ({', '.join(units)}), got {text!r}")
    return float(match.group(1)), match.group(2) or units[0]


def parse_phrase_gap(text: str, bpm: float) -> float:
    """'500ms', '0.5s' or '1beat' (at `bpm`) -> seconds; a bare number is milliseconds."""
    amount, unit = _amount_and_unit(text, "--phrase-gap", ("ms", "s", "beat", "beats"))
    return {"ms": amount / 1000, "s": amount}.get(unit, amount * 60 / bpm)


def parse_answer_length(text: str) -> tuple[float | None, int | None]:
    """'8beats' or '16events' -> (beats, None) or (None, events); a bare number is beats."""
    amount, unit = _amount_and_unit(text, "--answer-length", ("beats", "beat", "events", "event"))
    return (None, max(1, round(amount))) if unit.startswith("event") else (amount, None)


def _check_ranges(request: PlayRequest) -> SamplingSettings:
    settings = checked_settings(request.temperature, request.top_p, request.tempo)
    if not 1 <= request.channel <= CHANNELS:
        raise ContinuoError(f"--channel must be 1-{CHANNELS}, got {request.channel}")
    if request.input_channel is not None and not 1 <= request.input_channel <= CHANNELS:
        raise ContinuoError(f"--input-channel must be 1-{CHANNELS}, got {request.input_channel}")
    if request.velocity is not None and not 1 <= request.velocity <= MAX_DATA:
        raise ContinuoError(f"--velocity must be 1-{MAX_DATA}, got {request.velocity}")
    if request.mode not in MODES:
        raise ContinuoError(f"--mode must be one of {', '.join(MODES)}, got {request.mode!r}")
    if request.backend not in BACKEND_NAMES:
        raise ContinuoError(f"--backend must be one of {', '.join(BACKEND_NAMES)}, got {request.backend!r}")
    if request.duration is not None and not request.duration > 0:
        raise ContinuoError(f"--duration must be above 0 seconds, got {request.duration:g}")
    if request.clock_lost not in CLOCK_LOST_CHOICES:
        raise ContinuoError(f"--clock-lost must be one of {', '.join(CLOCK_LOST_CHOICES)}, got {request.clock_lost!r}")
    for flag, value in (("--health-every", request.health_seconds), ("--log-max-mb", request.log_max_mb)):
        if not value > 0:
            raise ContinuoError(f"{flag} must be above 0, got {value:g}")
    if request.record_part_minutes is not None and not request.record_part_minutes > 0:
        raise ContinuoError(f"--record-part-minutes must be above 0, got {request.record_part_minutes:g}")
    return settings


def _check_combinations(request: PlayRequest) -> None:
    if request.mode != "continue" and not request.listens:
        raise ContinuoError(f"--mode {request.mode} listens to a performer: give --input-port or --input-name")
    if request.follows_clock and request.send_clock:
        raise ContinuoError("--send-clock makes Continuo the clock master: it cannot also follow --clock")
    if request.output == "none":
        if request.follows_clock or request.send_clock:
            raise ContinuoError("--output none has no MIDI system to follow or send clock on")
        if request.listens:
            raise ContinuoError("--output none plays to no port, so it cannot listen to one either")
        if request.record is None:
            raise ContinuoError("--output none plays to no port: give --record FILE.mid to keep the notes")
    if request.record is None and request.record_part_minutes is not None:
        raise ContinuoError("--record-part-minutes needs --record FILE.mid to name the parts")


def plan(request: PlayRequest) -> PlayPlan:
    """Check every option of `request`; raise ContinuoError (one line) at the first mistake."""
    settings = _check_ranges(request)
    _check_combinations(request)
    beats, events = parse_answer_length(request.answer_length)
    mode = ModeOptions(parse_phrase_gap(request.phrase_gap, request.tempo), beats, events)
    cc_map = load_cc_map(request.cc_map) if request.cc_map is not None else dict(DEFAULT_CC_MAP)
    programs = request.program_models or tuple(sorted(shipped_models()))
    for name in programs:
        resolve_model(name)  # a wrong name fails now, not at the first Program Change
    playlist = parse_playlist(request.playlist, request.switch_every)  # every entry's model and seed bank, now
    if playlist is not None:
        check_opening(playlist, request.model, request.seed_composer, request.seed_file)
    outputs = {
        "--record": request.record,
        "--timing-report": request.timing_report,
        "--log": request.log,
        "--health-file": request.health_file,
    }
    for flag, path in outputs.items():
        if path is not None:
            check_writable(path, flag)
    return PlayPlan(settings, mode, cc_map, programs, playlist)
