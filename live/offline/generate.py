"""`continuo generate`: the seed app's flow as a command, as fast as the model allows.

It drives the live engine's own parts (Generator, Player, Scheduler, Recorder) on a clock that
runs as fast as notes are placed: the player places notes exactly as it does live, the scheduler
orders them and re-strikes repeated pitches as it does live, and the recorder writes the take the
port would have received. No second implementation of any of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from continuo.live.engine.generator import Generator
from continuo.live.engine.loop_guard import LoopGuard
from continuo.live.engine.player import Player, PlayOptions
from continuo.live.engine.recorder import Recorder
from continuo.live.engine.sampler import checked_settings
from continuo.live.engine.scheduler import Scheduler
from continuo.live.errors import ContinuoError
from continuo.live.files import check_writable, written_together
from continuo.live.model.model_file import ContinuoModel, load_model
from continuo.live.model.seeds import choose_seed
from continuo.live.music.codec import Event
from continuo.live.music.midi import DEFAULT_BPM, DEFAULT_VELOCITY

CHUNK_BEATS = 16.0
MAX_EVENTS_PER_BEAT = 64
PROGRESS_FROM_EVENTS = 2000  # a progress bar only for runs long enough to wait for


@dataclass(frozen=True)
class GenerateRequest:
    model: str = "bach"
    seed_composer: str | None = None
    seed_file: Path | None = None
    events: int | None = None
    beats: float | None = None
    temperature: float = 1.0
    top_p: float | None = None
    seed: int | None = None
    tempo: float = DEFAULT_BPM
    velocity: int = DEFAULT_VELOCITY
    channel: int = 1
    loop_guard: bool = True  # draw the music out of a loop (live/engine/loop_guard.py)


@dataclass
class Generated:
    """What a run made: the take, the seed it started from, and the generated events."""

    model: ContinuoModel
    seed_name: str
    seed_events: list[Event]
    events: list[Event]
    recorder: Recorder
    loop_recoveries: int = 0  # times the loop guard drew the music out of a loop

    def midi(self, tempo: float) -> Any:
        return self.recorder.to_midifile(tempo)


class OfflineClock:
    """The scheduler's clock offline: it stands at `reached` (in beats, which it also uses as seconds), so
    the messages queued up to there are due. It runs on as the player places notes, never past one that
    could still be placed before it, so the take is written in beat order."""

    follows_transport = False
    bpm = DEFAULT_BPM
    last_tick_at = None

    def __init__(self) -> None:
        self.reached = -math.inf

    def now(self) -> float:
        return self.reached

    def start(self, at_seconds: float, beat: float = 0.0) -> None: ...
    def set_tempo(self, bpm: float) -> None: ...

    def seconds_at(self, beat: float) -> float:
        return beat

    def beat_at(self, seconds: float) -> float:
        return 0.0


class _Counting:
    """Passes events through from the generator, keeping each (the report and the piano roll use them)."""

    def __init__(self, generator: Generator) -> None:
        self.generator = generator
        self.events: list[Event] = []

    def next_event(self) -> Event:
        event = self.generator.next_event()
        self.events.append(event)
        return event


def generate(request: GenerateRequest, progress: bool = False) -> Generated:
    if (request.events is None) == (request.beats is None):
        raise ContinuoError("give the length as --events N or --beats N")
    settings = checked_settings(request.temperature, request.top_p, request.tempo)
    model = load_model(request.model)
    rng = np.random.default_rng(request.seed)
    seed_name, seed_events = choose_seed(model.info, request.seed_file, request.seed_composer, rng)
    guard = LoopGuard() if request.loop_guard else None
    generator = Generator(model, model.info.window, seed_events, settings, request.seed, model.info.pitch_range, guard)
    source = _Counting(generator)
    recorder = Recorder()
    clock = OfflineClock()
    scheduler = Scheduler(None, clock, recorder)
    options = PlayOptions(channel=request.channel - 1, velocity=request.velocity)
    player = Player(source, model.info.codec, clock, scheduler, options)
    # With --beats, a cap on events too: a model stuck on zero shifts would never reach the last beat.
    events = request.events if request.beats is None else int(request.beats * MAX_EVENTS_PER_BEAT) + 1
    player.begin_phrase(0.0, request.beats, events)
    bar = _progress_bar(request, progress)
    counted = 0

    def placed() -> None:
        nonlocal counted
        if bar is not None:
            bar.update(len(source.events) - counted)
        counted = len(source.events)

    play_out(player, scheduler, clock, placed)
    if bar is not None:
        bar.close()
    recoveries = 0 if guard is None else guard.recoveries
    return Generated(model, seed_name, seed_events, source.events, recorder, recoveries)


def play_out(player: Player, scheduler: Scheduler, clock: OfflineClock, placed: Callable[[], None]) -> None:
    """Place every note and send what is final: the player places at most MAX_EVENTS_PER_ROUND a round, so a
    dense stretch can stop short of the horizon, and a note still to come starts at or after the last one
    placed. Sending beyond that would record later messages before earlier ones (the take is kept in
    send order, as the port hears it)."""
    horizon = 0.0
    while not player.finished:
        horizon = max(horizon, player.next_onset or 0.0) + CHUNK_BEATS
        player.schedule_until(horizon)
        clock.reached = -math.inf if player.next_onset is None else player.next_onset
        scheduler.send_due()
        placed()
    clock.reached = math.inf
    scheduler.send_due()


def _progress_bar(request: GenerateRequest, wanted: bool) -> Any:
    if not wanted or ((request.events or 0) < PROGRESS_FROM_EVENTS and request.beats is None):
        return None
    from tqdm import tqdm

    return tqdm(total=request.events, unit="event", desc="generating", leave=False)


@dataclass(frozen=True)
class Outputs:
    midi: Path
    wav: Path | None = None
    png: Path | None = None
    soundfont: Path | None = None


def generate_files(request: GenerateRequest, outputs: Outputs, progress: bool = False) -> Generated:
    """Check every output first, generate, write each file under a partial name, then rename them all.

    Any failure (bad input, FluidSynth failing, Ctrl-C) leaves none of the requested files behind.
    """
    from continuo.live.offline import render

    for path, flag in ((outputs.midi, "-o"), (outputs.wav, "--wav"), (outputs.png, "--png")):
        if path is not None:
            check_writable(path, flag)
    soundfont = render.check_wav_tools(outputs.soundfont) if outputs.wav is not None else None
    result = generate(request, progress)
    wanted = [path for path in (outputs.midi, outputs.wav, outputs.png) if path is not None]
    with written_together(*wanted) as partials:
        written = dict(zip(wanted, partials))
        result.midi(request.tempo).save(written[outputs.midi])
        if outputs.wav is not None and soundfont is not None:
            render.render_wav(written[outputs.midi], written[outputs.wav], soundfont)
        if outputs.png is not None:
            title = f"{result.model.info.name}, seed {result.seed_name}, T {request.temperature:g}"
            render.draw_piano_roll(
                written[outputs.png], result.model.info.codec, result.seed_events, result.events, title, request.tempo
            )
    return result
