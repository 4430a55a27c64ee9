"""`continuo play`: wire model, seed, port, scheduler and player together, and never leave a note hanging.

Every way out (the end of --duration, Ctrl-C, SIGTERM, an exception in either thread, the port
failing) goes through one `finally` that stops the scheduler, sends note-offs for held notes and
CC123 + CC120 on the channels used, saves the recording, and only then closes the port.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import mido
import numpy as np

from continuo.live.clock import TempoClock, check_bpm
from continuo.live.errors import ContinuoError
from continuo.live.generator import Generator
from continuo.live.model_file import ContinuoModel, load_model
from continuo.live.player import Player, PlayOptions, PortFailedError
from continuo.live.ports import NoMidiSystemError, backend_label, choose_backend, open_output, server_alive
from continuo.live.recorder import Recorder
from continuo.live.sampler import SamplingSettings
from continuo.live.scheduler import Scheduler
from continuo.live.seeds import events_from_file, seed_composers, seed_from_bank
from continuo.live.status import StatusLine, note_name

EXIT_OK, EXIT_FAILURE = 0, 1
WATCHDOG_SECONDS = 2.0


@dataclass(frozen=True)
class PlayRequest:
    model: str = "bach"
    seed_composer: str | None = None
    seed_file: Path | None = None
    temperature: float = 1.0
    top_p: float | None = None
    seed: int | None = None
    tempo: float = 120.0
    channel: int = 1  # 1-16, as musicians count
    velocity: int = 80
    output_name: str = "Continuo"
    output_port: str | None = None
    output: str = "port"  # or "none": no port at all, only --record
    backend: str = "auto"
    duration: float | None = None
    record: Path | None = None
    quiet: bool = False
    print_notes: bool = False
    start_jack: bool = False


def _check(request: PlayRequest) -> SamplingSettings:
    try:
        settings = SamplingSettings(request.temperature, request.top_p)
        check_bpm(request.tempo)
    except ValueError as error:
        raise ContinuoError(str(error)) from None
    if not 1 <= request.channel <= 16:
        raise ContinuoError(f"--channel must be 1-16, got {request.channel}")
    if not 1 <= request.velocity <= 127:
        raise ContinuoError(f"--velocity must be 1-127, got {request.velocity}")
    if request.output == "none" and request.record is None:
        raise ContinuoError("--output none plays to no port: give --record FILE.mid to keep the notes")
    if request.record is not None and not request.record.parent.is_dir():
        raise ContinuoError(f"--record: folder {request.record.parent} does not exist")
    return settings


def _seed(request: PlayRequest, model: ContinuoModel, rng: np.random.Generator) -> tuple[str, list[Any]]:
    info = model.info
    if request.seed_file is not None:
        return str(request.seed_file), events_from_file(request.seed_file, info.codec, info.window)
    composer = request.seed_composer
    if composer is None:  # the model's own composer, else the first bank that exists
        banks = seed_composers()
        composer = info.name if info.name in banks else min(banks, default=info.name)
    path, events = seed_from_bank(composer, info.codec, info.window, rng)
    return f"{path.name} ({composer} seed bank)", events


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop`, so the main loop ends through its finally (and its panic)."""
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.getsignal(sig) for sig in handled}
    for sig in handled:
        signal.signal(sig, lambda *_: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _PortSetup:
    """The output port and, if one was started, the private JACK server behind it."""

    def __init__(self) -> None:
        self.port: Any = None
        self.api: str | None = None
        self.jack: Any = None
        self.description = "no port (recording only)"

    def open(self, request: PlayRequest) -> None:
        if request.output == "none":
            return
        try:
            self.api = choose_backend(request.backend)
        except NoMidiSystemError:
            if not request.start_jack or request.backend not in ("auto", "jack"):
                raise
            from continuo.live.jack_server import PrivateJackServer

            self.jack = PrivateJackServer()
            self.jack.start()
            self.api = "UNIX_JACK"
        self.port = open_output(self.api, request.output_name, request.output_port)
        where = f"private JACK server {self.jack.name!r}" if self.jack else backend_label(self.api)
        self.description = f"{where} port {self.port.name!r}"

    def alive(self) -> bool:
        return self.api is None or server_alive(self.api)

    def close(self) -> None:
        if self.port is not None:
            self.port.close()
        if self.jack is not None:
            self.jack.stop()


def play(request: PlayRequest, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    settings = _check(request)
    model = load_model(request.model)
    rng = np.random.default_rng(request.seed)
    seed_name, seed_events = _seed(request, model, rng)
    if not seed_events:
        raise ContinuoError(f"seed {seed_name} gives no events")
    generator = Generator(model, model.info.window, seed_events, settings, request.seed, model.info.pitch_range)

    setup = _PortSetup()
    setup.open(request)
    status = StatusLine(out, enabled=out.isatty() and not request.quiet)
    print_notes = request.print_notes or setup.jack is not None
    recorder = Recorder() if request.record is not None else None
    sent: deque[tuple[float, mido.Message]] = deque()

    def tap(beat: float, message: mido.Message) -> None:
        if recorder is not None:
            recorder(beat, message)
        if print_notes and message.type == "note_on":
            sent.append((beat, message))

    clock = TempoClock(request.tempo)
    scheduler = Scheduler(setup.port, clock, tap)
    options = PlayOptions(channel=request.channel - 1, velocity=request.velocity, duration_seconds=request.duration)
    player = Player(generator, model.info.codec, clock, scheduler, options)
    if not request.quiet and (out.isatty() or print_notes):
        out.write(
            f"continuo: {model.info.name} at {request.tempo:g} BPM, temperature {settings.temperature:g}"
            f"{f', top-p {settings.top_p:g}' if settings.top_p else ''}, seed {seed_name} -> {setup.description}\n"
        )
        if setup.jack is not None:
            out.write(
                "  (dummy driver: no sound here; connect a synth with "
                f"JACK_DEFAULT_SERVER={setup.jack.name} jack_connect '{setup.port.name}' <synth MIDI input>)\n"
            )
        out.flush()

    next_watchdog = clock.now() + WATCHDOG_SECONDS

    def on_poll() -> None:
        nonlocal next_watchdog
        while sent:
            beat, message = sent.popleft()
            status.print_line(f"{beat:9.2f}  {note_name(message.note):>4} ({message.note:3d})  vel {message.velocity}")
        status.show(
            f"{model.info.name} | {clock.bpm:g} BPM | T {settings.temperature:g} | "
            f"notes {scheduler.notes_sent} | held {scheduler.held}"
        )
        if clock.now() >= next_watchdog:
            next_watchdog = clock.now() + WATCHDOG_SECONDS
            if not setup.alive():
                raise PortFailedError(f"the {backend_label(setup.api or '')} server went away")

    # The scheduler thread needs the interpreter lock within a millisecond of waking, not after 5 ms.
    sys.setswitchinterval(0.0005)
    stop = threading.Event()
    port_failed: str | None = None
    try:
        with _stop_on_signals(stop):
            player.run(stop, on_poll)
    except PortFailedError as error:
        port_failed = str(error)
    finally:
        scheduler.stop()
        try:
            scheduler.panic()
        except Exception as error:  # the port is gone: nothing can sound on it any more
            port_failed = port_failed or str(error)
        status.clear()
        if recorder is not None and request.record is not None:
            recorder.save(request.record, request.tempo)
        if port_failed is None:
            setup.close()
    if port_failed is not None:
        print(f"continuo play: error: output {setup.description} failed: {port_failed}", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        if setup.jack is not None:
            setup.jack.stop()
        # Closing an rtmidi JACK port whose server died crashes the process; leave it to the OS.
        os._exit(EXIT_FAILURE)
    if not request.quiet and out.isatty():
        out.write(f"continuo: stopped after {scheduler.notes_sent} notes; all notes off\n")
    return EXIT_OK
