"""`continuo play`: wire model, seed, port, scheduler and player together, and never leave a note hanging.

Every way out (the end of --duration, Ctrl-C, SIGTERM, an exception in either thread, the port
failing) goes through one `finally` that stops the scheduler, sends note-offs for held notes and
CC123 + CC120 on the channels used, saves the recording, and only then closes the port.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import mido
import numpy as np

from continuo.live.engine.generator import Generator
from continuo.live.engine.modes import Conductor, ModeOptions, parse_answer_length, parse_phrase_gap
from continuo.live.engine.player import Player, PlayOptions, PortFailedError, at_or_past
from continuo.live.engine.recorder import PartedRecorder, Recorder, releases_note
from continuo.live.engine.sampler import SamplingSettings
from continuo.live.engine.scheduler import Scheduler
from continuo.live.errors import ContinuoError
from continuo.live.interaction.control import load_cc_map
from continuo.live.interaction.listener import Listener
from continuo.live.interaction.transport import TransportControl
from continuo.live.midi_io.inbox import Inbox
from continuo.live.midi_io.input_relay import open_relayed_input
from continuo.live.midi_io.ports import (
    NoMidiSystemError,
    ServerWatch,
    backend_label,
    choose_backend,
    open_output,
)
from continuo.live.model.model_file import ContinuoModel, load_model, resolve_model
from continuo.live.model.seeds import choose_seed
from continuo.live.paths import check_writable
from continuo.live.runner.signals import stop_on_signals
from continuo.live.runner.status import StatusLine, note_name
from continuo.live.timing.clock import Clock, TempoClock, check_bpm
from continuo.live.timing.midi_clock import MidiClockFollower
from continuo.live.timing.priority import request_realtime

EXIT_OK, EXIT_FAILURE = 0, 1
WATCHDOG_SECONDS = 0.5
TIMING_REPORT_NOTES = 1_000_000
DEFAULT_VELOCITY = 80
GENERATOR_PRIORITY = 3  # real-time where allowed, below the scheduler (live/timing/priority.py)


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

    @property
    def follows_clock(self) -> bool:
        return self.clock_port is not None or self.clock_name is not None


def _check(request: PlayRequest) -> SamplingSettings:
    try:
        settings = SamplingSettings(request.temperature, request.top_p)
        check_bpm(request.tempo)
    except ValueError as error:
        raise ContinuoError(str(error)) from None
    if not 1 <= request.channel <= 16:
        raise ContinuoError(f"--channel must be 1-16, got {request.channel}")
    if request.velocity is not None and not 1 <= request.velocity <= 127:
        raise ContinuoError(f"--velocity must be 1-127, got {request.velocity}")
    listening = request.input_port is not None or request.input_name is not None
    if request.mode != "continue" and not listening:
        raise ContinuoError(f"--mode {request.mode} listens to a performer: give --input-port or --input-name")
    if request.input_channel is not None and not 1 <= request.input_channel <= 16:
        raise ContinuoError(f"--input-channel must be 1-16, got {request.input_channel}")
    if request.follows_clock and request.send_clock:
        raise ContinuoError("--send-clock makes Continuo the clock master: it cannot also follow --clock")
    if request.output == "none" and (request.follows_clock or request.send_clock):
        raise ContinuoError("--output none has no MIDI system to follow or send clock on")
    for name in request.program_models:
        resolve_model(name)  # a wrong name fails now, in one line, not at the first Program Change
    if request.output == "none" and request.record is None:
        raise ContinuoError("--output none plays to no port: give --record FILE.mid to keep the notes")
    if request.record is not None:
        check_writable(request.record, "--record")
    elif request.record_part_minutes is not None:
        raise ContinuoError("--record-part-minutes needs --record FILE.mid to name the parts")
    return settings


class _PortSetup:
    """The output port and, if one was started, the private JACK server behind it."""

    def __init__(self) -> None:
        self.port: Any = None
        self.api: str | None = None
        self.jack: Any = None
        self.watch: ServerWatch | None = None
        self.description = "no port (recording only)"
        self.inbox: Inbox | None = None
        self.input: Any = None
        self.follower: MidiClockFollower | None = None
        self.clock_input: Any = None

    def open(self, request: PlayRequest) -> None:
        try:
            self._open(request)
        except BaseException:
            self.close()  # never leave a private JACK server behind
            raise

    def _open(self, request: PlayRequest) -> None:
        if request.output == "none":
            if request.input_port is not None or request.input_name is not None:
                raise ContinuoError("--output none plays to no port, so it cannot listen to one either")
            return
        try:
            self.api = choose_backend(request.backend)
        except NoMidiSystemError:
            if not request.start_jack or request.backend not in ("auto", "jack"):
                raise
            from continuo.live.midi_io.jack_server import PrivateJackServer

            self.jack = PrivateJackServer()
            self.jack.start()
            self.api = "UNIX_JACK"
        if request.input_port is not None or request.input_name is not None:
            channel = None if request.input_channel is None else request.input_channel - 1
            self.inbox = Inbox(channel)
            self.input = open_relayed_input(self.api, request.input_name, request.input_port, self.inbox.put)
        if request.follows_clock:
            self.follower = MidiClockFollower(request.tempo)
            name = request.clock_name or f"{request.output_name} Clock"
            self.clock_input = open_relayed_input(self.api, name, request.clock_port, self.follower.handle)
        self.port = open_output(self.api, request.output_name, request.output_port)
        where = f"private JACK server {self.jack.name!r}" if self.jack else backend_label(self.api)
        self.description = f"{where} port {self.port.name!r}"
        self.watch = ServerWatch(self.api)

    def alive(self) -> bool:
        return self.watch is None or self.watch.alive()

    def close(self) -> None:
        for relay in (self.input, self.clock_input):
            if relay is not None:
                relay.close()
        self.input = self.clock_input = None
        if self.port is not None:
            self.port.close()
            self.port = None
        if self.jack is not None:
            self.jack.stop()


def write_timing_report(path: Path, lateness: deque[float]) -> None:
    """How late each note-on left the scheduler, in ms: what the engine itself adds to the port's jitter."""
    late_ms = np.asarray(lateness, dtype=np.float64) * 1000
    summary: dict[str, Any] = {"notes": len(late_ms)}
    if len(late_ms):
        summary |= {f"p{q}": float(np.percentile(late_ms, q)) for q in (50, 90, 99)} | {"max": float(late_ms.max())}
    path.write_text(json.dumps({"send_lateness_ms": summary, "samples_ms": late_ms.round(4).tolist()}) + "\n")


class _Session:
    """One performance: the scheduler, the player, what the terminal shows, and the way out."""

    def __init__(
        self,
        request: PlayRequest,
        settings: SamplingSettings,
        model: ContinuoModel,
        generator: Generator,
        setup: _PortSetup,
        out: TextIO,
    ) -> None:
        self.request, self.settings, self.model, self.setup, self.out = request, settings, model, setup, out
        self.status = StatusLine(out, enabled=out.isatty() and not request.quiet)
        self.print_notes = request.print_notes or setup.jack is not None
        self.recorder = _recorder(request)
        self.sent: deque[tuple[float, mido.Message]] = deque()
        # What is sent at or after the --duration end (note-offs due in the last poll interval, the exit panic).
        self.ending: list[mido.Message] = []
        self.log = request.log.open("w") if request.log is not None else None
        self.clock: Clock = setup.follower or TempoClock(request.tempo)
        self.scheduler = Scheduler(setup.port, self.clock, self._tap)
        self.scheduler.send_clock = request.send_clock
        if request.timing_report is not None:
            self.scheduler.lateness = deque(maxlen=TIMING_REPORT_NOTES)
        velocity = DEFAULT_VELOCITY if request.velocity is None else request.velocity
        options = PlayOptions(channel=request.channel - 1, velocity=velocity, duration_seconds=request.duration)
        self.player = Player(generator, model.info.codec, self.clock, self.scheduler, options)
        self.listener = self._listener(request, generator, model) if setup.inbox is not None else None
        self.transport: TransportControl | None = None
        if setup.follower is not None:
            self.player.halt()  # until the DAW's Start or Continue (or its clock, if it is already playing)
            self.transport = TransportControl(
                self.player, self.scheduler, request.mode != "call-response", self.write_log
            )
            setup.follower.connect(self.transport)
        self.next_watch = 0.0
        self.stop = threading.Event()

    def _listener(self, request: PlayRequest, generator: Generator, model: ContinuoModel) -> Listener:
        assert self.setup.inbox is not None
        beats, events = parse_answer_length(request.answer_length)
        mode = ModeOptions(
            mode=request.mode,
            phrase_gap_seconds=parse_phrase_gap(request.phrase_gap, request.tempo),
            answer_beats=beats,
            answer_events=events,
            follow_velocity=request.velocity is None,
        )
        log = self.write_log if self.log is not None else None
        codec, pitch_range = model.info.codec, model.info.pitch_range
        conductor = Conductor(mode, self.player, generator, self.scheduler, codec, pitch_range, log)
        listener = Listener(self.setup.inbox, conductor, generator, self.player, self.scheduler, self.clock)
        if request.cc_map is not None:
            listener.cc_map = load_cc_map(request.cc_map)
        if request.program_models:
            listener.model_names = list(request.program_models)
        listener.state.model_name = model.info.name
        return listener

    def write_log(self, what: str, **fields: Any) -> None:
        if self.log is not None:
            self.log.write(json.dumps({"what": what, "at": self.clock.now(), **fields}) + "\n")
            self.log.flush()

    def _tap(self, beat: float, message: mido.Message) -> None:
        """Called by the scheduler thread for each message sent: keep it short."""
        if self.recorder is not None:
            end = self.player.end_beat
            if end is not None and at_or_past(beat, end):
                self.ending.append(message)  # recorded at the end beat, in a fixed order (`_record_ending`)
            else:
                self.recorder(beat, message)
        if self.print_notes and message.type == "note_on":
            self.sent.append((beat, message))

    def announce(self, seed_name: str) -> None:
        if self.request.quiet or not (self.out.isatty() or self.print_notes):
            return
        top_p = f", top-p {self.settings.top_p:g}" if self.settings.top_p else ""
        self.out.write(
            f"continuo: {self.model.info.name} at {self.request.tempo:g} BPM, temperature "
            f"{self.settings.temperature:g}{top_p}, seed {seed_name} -> {self.setup.description}\n"
        )
        if self.listener is not None:
            programs = ", ".join(f"{i} {Path(n).stem}" for i, n in enumerate(self.listener.model_names))
            self.out.write(f"  Program Change selects: {programs}\n")
        if self.setup.jack is not None:
            self.out.write(
                "  (dummy driver: no sound here; connect a synth with JACK_DEFAULT_SERVER="
                f"{self.setup.jack.name} jack_connect '{self.setup.port.name}' <synth MIDI input>)\n"
            )
        self.out.flush()

    def between_steps(self, timeout: float) -> None:
        """Between generation steps, on the main thread: print, redraw, watch the port's server, wait."""
        while self.sent:
            beat, message = self.sent.popleft()
            name = note_name(message.note)
            self.status.print_line(f"{beat:9.2f}  {name:>4} ({message.note:3d})  vel {message.velocity}")
        self.status.show(self._status_text())
        if self.clock.now() >= self.next_watch:
            self.next_watch = self.clock.now() + WATCHDOG_SECONDS
            if not self.setup.alive():
                raise PortFailedError(f"the {backend_label(self.setup.api or '')} server went away")
        if self.transport is not None:
            self.transport.apply()
        if self.listener is not None:
            self.listener.wait_and_handle(timeout)
        else:
            self.stop.wait(timeout)

    def _status_text(self) -> str:
        settings = self.player.source.settings if isinstance(self.player.source, Generator) else self.settings
        top_p = f" p {settings.top_p:.2f}" if settings.top_p else ""
        name = self.listener.state.model_name if self.listener else self.model.info.name
        text = (
            f"{name} | {self.clock.bpm:g} BPM | T {settings.temperature:.2f}{top_p} | vel {self.player.velocity} | "
            f"notes {self.scheduler.notes_sent} | held {self.scheduler.held}"
        )
        if self.listener is not None:
            text += f" | {self.request.mode}"
            if self.listener.conductor.status:
                text += f": {self.listener.conductor.status}"
            if self.listener.state.last_change:
                text += f" | {self.listener.state.last_change}"
        if self.transport is not None:
            text += f" | MIDI clock: {self.transport.state}"
        return text

    def run(self, seed_name: str) -> str | None:
        """Play until the end, a signal or a failure; always panic. Returns why the port failed, if it did."""
        # The scheduler thread needs the interpreter lock within a millisecond of waking, not after 5 ms,
        # and never behind a generator thread preempted by a busy neighbour while holding it.
        sys.setswitchinterval(0.0005)
        request_realtime(GENERATOR_PRIORITY)
        # A full garbage collection holds that lock while it scans every tracked object: several ms for what
        # is loaded by now (modules, model, ports; benchmarks/long_takes.py), each time one runs. Those
        # objects live until exit anyway, so collect once now and leave them out of every later scan.
        gc.collect()
        gc.freeze()
        port_failed: str | None = None
        try:
            self.announce(seed_name)
            with stop_on_signals(self.stop):
                self.player.run(self.stop, self.between_steps)
        except PortFailedError as error:
            port_failed = str(error)
        finally:
            self.scheduler.stop()
            try:
                self.scheduler.panic()
            except Exception as error:  # the port is gone: nothing can sound on it any more
                port_failed = port_failed or str(error)
            self._finish_recording()  # before anything else that could fail on the way out
            self.status.clear()
            try:
                self.scheduler.stop_clock()
            except Exception as error:
                port_failed = port_failed or str(error)
            if self.log is not None:
                heard = self.listener.inbox.received if self.listener is not None else 0
                # origin: when beat 0 fell (monotonic seconds), for a witness to judge onsets against the beats
                origin = self.clock.seconds_at(0.0)
                self.write_log("end", input_messages=heard, notes_sent=self.scheduler.notes_sent, origin=origin)
                self.log.close()
            if self.request.timing_report is not None and self.scheduler.lateness is not None:
                write_timing_report(self.request.timing_report, self.scheduler.lateness)
        return port_failed

    def _record_ending(self) -> None:
        """Record what ended the music at the --duration end beat, not at the moment it went out.

        The player stops at the first poll at or after the end, so the exit panic leaves a few
        milliseconds late, and whether a note-off due just after the end is sent by the scheduler or by
        the panic is a race. Recorded at the end beat, note-offs in (channel, pitch) order, then the
        panic's controls, the take depends only on the music: with the same seed, the same file.
        """
        if self.recorder is None or not self.ending or self.player.end_beat is None:
            return
        end = self.player.end_beat
        offs = [(m.channel, m.note) for m in self.ending if releases_note(m)]
        for channel, note in sorted(offs):
            self.recorder(end, mido.Message("note_off", channel=channel, note=note))
        for message in self.ending:
            if not releases_note(message):
                self.recorder(end, message)
        self.ending = []

    def _finish_recording(self) -> None:
        self._record_ending()
        if isinstance(self.recorder, PartedRecorder):
            self.recorder.close()
        elif self.recorder is not None and self.request.record is not None:
            self.recorder.save(self.request.record, self.request.tempo)


def _recorder(request: PlayRequest) -> Recorder | PartedRecorder | None:
    if request.record is None:
        return None
    if request.record_part_minutes is None:
        return Recorder()
    return PartedRecorder(request.record, request.tempo, request.record_part_minutes * request.tempo)


def play(request: PlayRequest, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    settings = _check(request)
    model = load_model(request.model)
    rng = np.random.default_rng(request.seed)
    seed_name, seed_events = choose_seed(model.info, request.seed_file, request.seed_composer, rng)
    if not seed_events:
        raise ContinuoError(f"seed {seed_name} gives no events")
    generator = Generator(model, model.info.window, seed_events, settings, request.seed, model.info.pitch_range)

    setup = _PortSetup()
    setup.open(request)
    try:
        session = _Session(request, settings, model, generator, setup, out)
        port_failed = session.run(seed_name)
    except BaseException:
        setup.close()
        raise
    if port_failed is None:
        setup.close()
        if not request.quiet and out.isatty():
            out.write(f"continuo: stopped after {session.scheduler.notes_sent} notes; all notes off\n")
        takes = session.recorder
        if isinstance(takes, PartedRecorder) and takes.failure is not None:
            written = f"{takes.parts_written} of {takes.parts_closed} parts written"
            print(f"continuo play: error: {takes.failure} ({written})", file=sys.stderr)
            return EXIT_FAILURE
        return EXIT_OK
    print(f"continuo play: error: output {setup.description} failed: {port_failed}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    if setup.jack is not None:
        setup.jack.stop()
    # Closing an rtmidi JACK port whose server died crashes the process (PLATFORM-NOTES): leave it to the OS.
    os._exit(EXIT_FAILURE)
