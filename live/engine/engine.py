"""The engine: the one owner of a running performance, changed only by commands (docs/ARCHITECTURE.md).

It holds the model, the generator (window and sampling settings), the player (velocity, phrase), the
scheduler (what sounds), the tempo, the mode with the performer's phrase, the transport and the take.
Its `run` loop is the only thread that changes them (a MIDI clock follower's fit is the clock port's
own, fed by its reader; the engine only reads it): each round it places notes a bounded lookahead
ahead, publishes a snapshot, lets the caller do its between-steps work, then waits for commands (at
most a poll interval, less when a phrase gap is about to close) and applies every queued one. A
command therefore acts within one generation step of arriving, and the scheduler thread, which only
sends what is due, is never blocked by a command or a reader of the snapshot.
"""

from __future__ import annotations

import math
import queue
from collections.abc import Callable

from continuo.live.engine.commands import (
    LOGGED_TRANSPORT,
    ChangeMode,
    Command,
    Panic,
    PerformerNote,
    SelectProgram,
    SetParameter,
    Snapshot,
    Stop,
    SwitchModel,
    Transport,
    check_command,
)
from continuo.live.engine.generator import Generator
from continuo.live.engine.modes import MODE_CLASSES, Log, Stage, no_log
from continuo.live.engine.options import (
    DRAIN_SECONDS,
    LATENESS_SAMPLES,
    LEAD_SECONDS,
    LOOKAHEAD_SECONDS,
    MAX_COMMANDS_PER_ROUND,
    POLL_SECONDS,
    EngineOptions,
)
from continuo.live.engine.performance import Performance
from continuo.live.engine.player import BEAT_TOLERANCE, Player, PlayOptions
from continuo.live.engine.sampler import SamplingSettings
from continuo.live.engine.scheduler import Output, PortFailedError, Scheduler
from continuo.live.engine.sent import Sent
from continuo.live.engine.take import Take
from continuo.live.errors import ContinuoError
from continuo.live.model.model_file import ContinuoModel, load_model
from continuo.live.timing.clock import Clock


class Engine:
    def __init__(
        self,
        model: ContinuoModel,
        generator: Generator,
        clock: Clock,
        output: Output | None,
        options: EngineOptions,
        take: Take | None = None,
        log: Log = no_log,
        load: Callable[[str], ContinuoModel] = load_model,
        commands: queue.SimpleQueue[Command] | None = None,
    ) -> None:
        self.options, self.model, self.generator, self.clock, self.take = options, model, generator, clock, take
        self.log, self._load = log, load
        self.sent = Sent(take)
        lateness = LATENESS_SAMPLES if options.keep_lateness else None
        self.scheduler = Scheduler(output, clock, self.sent, options.send_clock, lateness)
        codec = model.info.codec
        self.player = Player(generator, codec, clock, self.scheduler, PlayOptions(options.channel, options.velocity))
        self.follow_velocity = options.follow_velocity
        self.performance = Performance()
        self.stage = Stage(self.player, self.scheduler, generator, codec, clock, log)
        self.mode = MODE_CLASSES[options.mode](self.stage, options.mode_options, self.performance)
        self.transport = "waiting for Start" if clock.follows_transport else ""
        if clock.follows_transport or not self.mode.plays_alone:
            self.player.halt()  # until the DAW's Start or Continue, or the performer's phrase
        self.last_change, self.running, self._stop_requested = "", False, False
        self.take_failure: str | None = None  # why parts of the take could not be written, if so
        # The one queue every command source feeds (created first when port callbacks must feed it early).
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue() if commands is None else commands
        self._snapshot = self._make_snapshot()

    # -- any thread ------------------------------------------------------------------------------
    def submit(self, command: Command) -> None:
        """Queue a command; the engine applies it between two generation steps."""
        self._commands.put(command)

    def snapshot(self) -> Snapshot:
        return self._snapshot

    # -- the engine's thread ---------------------------------------------------------------------
    def run(self, between_steps: Callable[[], None] | None = None) -> None:
        """Play until a Stop command or the duration's end; raise PortFailedError if the port fails.
        `between_steps()` runs after each round of placing notes (the terminal, a watchdog); it may raise."""
        clock, player, scheduler = self.clock, self.player, self.scheduler
        start = clock.now() + LEAD_SECONDS
        clock.start(start)
        duration = self.options.duration_seconds
        if duration is not None and not clock.follows_transport:
            player.end_beat = clock.beat_at(start + duration)
            if self.take is not None:
                self.take.end_beat = player.end_beat
        scheduler.start()
        self.running = True
        try:
            while not self._stop_requested:
                if scheduler.error is not None:
                    raise PortFailedError(str(scheduler.error) or type(scheduler.error).__name__)
                now = clock.now()
                if duration is not None and now >= start + duration:
                    if player.end_beat is not None:
                        # What is due before the end leaves from the scheduler on its own beat, never in the exit
                        # panic because this round came first: so a --duration take depends on the music only.
                        scheduler.wait_sent_before(player.end_beat - BEAT_TOLERANCE, DRAIN_SECONDS)
                    return
                horizon = clock.beat_at(now) + LOOKAHEAD_SECONDS * clock.bpm / 60.0
                scheduler.queue_clock(horizon)
                player.schedule_until(horizon, lambda: not self._commands.empty())
                self._publish()
                if between_steps is not None:
                    between_steps()
                self.apply_queued(self.mode.wait_hint(clock.now(), POLL_SECONDS))
                self.mode.step(clock.now())
        finally:
            self.running = False
            self._publish()

    def shut_down(self) -> str | None:
        """The way out: stop sending, silence what is held (note-offs, CC123, CC120), save the take, and as
        clock master send Stop. Every step is attempted; returns the first port failure met, if any."""
        failure: str | None = None
        self.scheduler.stop()
        try:
            self.scheduler.panic()
        except PortFailedError as error:  # the port is gone: nothing can sound on it any more
            failure = str(error)
        if self.take is not None:
            try:
                self.take_failure = self.take.finish()
            except OSError as error:  # a full disk, a folder gone: the rest of the way out still runs
                self.take_failure = f"{self.take.path}: {error.strerror or error}"
        try:
            self.scheduler.stop_clock()
        except PortFailedError as error:
            failure = failure or str(error)
        self._publish()
        return failure

    def apply_queued(self, timeout: float) -> None:
        """Wait up to `timeout` for a command, then apply it and whatever else is queued."""
        try:
            self.apply(self._commands.get(timeout=timeout) if timeout > 0 else self._commands.get_nowait())
            for _ in range(MAX_COMMANDS_PER_ROUND - 1):
                self.apply(self._commands.get_nowait())
        except queue.Empty:
            return

    def apply(self, command: Command) -> None:
        """Apply one command now (the engine's thread only; other threads `submit`)."""
        try:
            check_command(command)
        except (ValueError, TypeError) as error:  # TypeError: a malformed command (a list for a number...)
            self._changed(f"refused: {error}")
            return
        if isinstance(command, PerformerNote):
            self._performer_note(command)
        elif isinstance(command, SetParameter):
            self._set(command.name, command.value)
        elif isinstance(command, SwitchModel):
            self._switch(command.model)
        elif isinstance(command, SelectProgram):
            self._select(command.program)
        elif isinstance(command, ChangeMode):
            self._change_mode(command.mode)
        elif isinstance(command, Panic):
            self._panic()
        elif isinstance(command, Stop):
            self._stop_requested = True
        elif isinstance(command, Transport):
            self._transport(command)

    def _changed(self, text: str, **fields: object) -> None:
        self.last_change = text
        self.log("control", change=text, **fields)

    def _performer_note(self, note: PerformerNote) -> None:
        if note.velocity == 0:
            self.performance.note_off(note.pitch, note.stamp)
            return
        self.performance.note_on(note.pitch, note.velocity, note.stamp)
        if self.follow_velocity and self.performance.velocity is not None:
            self.player.velocity = self.performance.velocity
        self.mode.on_note_on()

    def _set(self, name: str, value: float) -> None:
        settings = self.generator.settings
        if name == "temperature":
            self.generator.settings = SamplingSettings(value, settings.top_p)
            self._changed(f"temperature {value:.2f}", temperature=value)
        elif name == "top_p":
            self.generator.settings = SamplingSettings(settings.temperature, value)
            self._changed(f"top-p {value:.2f}", top_p=value)
        elif name == "velocity":
            self.player.velocity = round(value)
            self.follow_velocity = False
            self._changed(f"velocity {round(value)}", velocity=round(value))
        elif name == "tempo" and self.clock.follows_transport:
            self._changed(f"tempo {value:.0f} BPM refused: the DAW's MIDI clock sets the tempo")
        elif name == "tempo":
            self.clock.set_tempo(value)
            self._changed(f"tempo {value:.0f} BPM", tempo=value)

    def _select(self, program: int) -> None:
        programs = self.options.programs
        if not 0 <= program < len(programs):
            self._changed(f"program {program}: no such model (0-{len(programs) - 1})")
            return
        self._switch(programs[program], f"program {program}: ", program=program)

    def _switch(self, name: str, cause: str = "", **fields: object) -> None:
        try:
            model = self._load(name)
        except ContinuoError as error:  # a file changed or vanished since start: keep playing what we have
            self._changed(f"{cause}{error}")
            return
        if model.info.codec != self.model.info.codec:
            self._changed(f"{cause}{name} uses other class tables; kept {self.model.info.name}")
            return
        self.model = model
        self.generator.set_model(model, model.info.pitch_range)
        self._changed(f"model {model.info.name}", model=model.info.name, **fields)

    def _resume_beat(self) -> float | None:
        """Where the music goes on after a panic or a mode change: the beat after next; None while the DAW stops."""
        if self.clock.follows_transport and self.transport != "playing":
            return None
        return float(int(self.clock.beat_at(self.clock.now())) + 2)

    def _change_mode(self, name: str) -> None:
        if name == self.mode.name:
            return
        previous = self.mode
        previous.leave()
        self.mode = MODE_CLASSES[name](self.stage, previous.options, self.performance)
        self.mode.last_onset = previous.last_onset
        self.mode.enter(self._resume_beat())
        self._changed(f"mode {name}", mode=name)

    def _panic(self) -> None:
        self.player.halt()
        self.scheduler.panic()
        self.mode.silenced(self._resume_beat())
        self._changed("panic: all notes off")

    def _transport(self, command: Transport) -> None:
        if command.kind == "stop":
            self.player.halt()
            self.scheduler.flush()
            self.transport = "stopped"
            self.mode.silenced(None)
        elif command.kind in ("start", "continue"):
            self.transport = "playing"
            if self.mode.plays_alone:
                self.scheduler.flush()
                # The next whole beat: the line through the ticks needs a beat to settle before notes go on it.
                self.player.begin_phrase(math.floor(command.beat) + 1.0)
        elif command.kind == "locate":
            self.transport = f"stopped at beat {command.beat:g}"
        self.log("transport", transport=LOGGED_TRANSPORT.get(command.kind, command.kind), beat=command.beat)

    # -- the picture of it ----------------------------------------------------------------------
    def _publish(self) -> None:
        self._snapshot = self._make_snapshot()

    def _make_snapshot(self) -> Snapshot:
        settings = self.generator.settings
        return Snapshot(
            model=self.model.info.name,
            tempo=self.clock.bpm,
            temperature=settings.temperature,
            top_p=settings.top_p,
            velocity=self.player.velocity,
            mode=self.mode.name,
            mode_status=self.mode.status,
            transport=self.transport,
            notes_sent=self.scheduler.notes_sent,
            notes_held=self.scheduler.held,
            late_sends=self.scheduler.late_sends,
            recent=self.sent.recent(),
            loop_recoveries=0 if self.generator.guard is None else self.generator.guard.recoveries,
            last_change=self.last_change,
            running=self.running,
        )
