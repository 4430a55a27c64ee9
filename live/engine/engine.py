"""The engine: the one owner of a running performance, changed only by commands (docs/ARCHITECTURE.md).

It holds the model slot, the generator (window and sampling settings), the player, the scheduler, the
tempo, the mode with the performer's phrase, the transport and the take. Its `run` loop is the only
thread that changes them (a MIDI clock follower's fit is fed by its reader; the engine only reads it):
each round places notes a bounded lookahead ahead, publishes a snapshot, runs the caller's between-steps
work, then waits for commands (at most a poll interval) and applies every queued one. A command
therefore acts within one generation step, and the scheduler thread, which only sends what is due, is
never blocked by a command or a reader of the snapshot.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

from continuo.live.engine.commands import (
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
from continuo.live.engine.parameters import set_parameter
from continuo.live.engine.performance import Performance
from continuo.live.engine.picture import picture
from continuo.live.engine.player import BEAT_TOLERANCE, Player, PlayOptions
from continuo.live.engine.scheduler import Output, PortFailedError, Scheduler, SchedulerDiedError
from continuo.live.engine.sent import Sent
from continuo.live.engine.stall import StallWatch
from continuo.live.engine.switching import ModelSlot
from continuo.live.engine.take import Take
from continuo.live.engine.transport import TransportState
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
        self.options, self.generator, self.clock, self.take, self.log = options, generator, clock, take, log
        self.last_change, self.running, self._stop_requested = "", False, False
        self.models = ModelSlot(model, generator, load, self._changed, generator.rng)
        self.sent = Sent(take)
        samples = LATENESS_SAMPLES if options.keep_lateness else None
        self.scheduler = Scheduler(output, clock, self.sent, options.send_clock, samples)
        codec = model.info.codec
        self.player = Player(self.models, codec, clock, self.scheduler, PlayOptions(options.channel, options.velocity))
        self.follow_velocity = options.follow_velocity
        self.performance = Performance()
        self.stage = Stage(self.player, self.scheduler, generator, codec, clock, log)
        self.mode = MODE_CLASSES[options.mode](self.stage, options.mode_options, self.performance)
        self.transport = TransportState(self.stage, lambda: self.mode, options.clock_lost)
        if clock.follows_transport or not self.mode.plays_alone:
            self.player.halt()  # until the DAW's Start or Continue, or the performer's phrase
        self.port_lost, self.heartbeat = "", 0.0  # why the output is away, while it is; the loop's last round
        self.stall_watch = StallWatch(self.player, clock)
        self.take_failure: str | None = None  # why parts of the take could not be written, if so
        # The one queue every command source feeds (created first when port callbacks must feed it early).
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue() if commands is None else commands
        self._snapshot = picture(self)

    # -- any thread ------------------------------------------------------------------------------
    def submit(self, command: Command) -> None:
        """Queue a command; the engine applies it between two generation steps."""
        self._commands.put(command)

    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def model(self) -> ContinuoModel:
        return self.models.model

    # -- the engine's thread ---------------------------------------------------------------------
    def run(self, between_steps: Callable[[], None] | None = None) -> None:
        """Play until a Stop command or the duration's end. A port failure met on this thread or the scheduler's
        raises PortFailedError, or with `survive_port_loss` has the engine wait for the port (`output_lost`).
        `between_steps()` runs after each round of placing notes (the terminal, the runner's duties); it may raise."""
        clock, player = self.clock, self.player
        start = clock.now() + LEAD_SECONDS
        clock.start(start)
        duration = self.options.duration_seconds
        end = None if duration is None else start + duration
        if end is not None and not clock.follows_transport:
            player.end_beat = clock.beat_at(end)
            if self.take is not None:
                self.take.end_beat = player.end_beat
        self.scheduler.start()
        self.heartbeat, self.running = clock.now(), True  # the heartbeat: live/runner/hang_watch.py
        try:
            while not self._stop_requested:
                try:
                    if self._round(end, between_steps):
                        return
                except PortFailedError as error:
                    if not self.options.survive_port_loss:
                        raise
                    self.output_lost(str(error))
        finally:
            self.running = False
            self._publish()

    def _round(self, end: float | None, between_steps: Callable[[], None] | None) -> bool:
        """One round of the loop; True at the duration's end."""
        clock, player, scheduler = self.clock, self.player, self.scheduler
        self._check_scheduler()
        now = self.heartbeat = clock.now()
        if end is not None and now >= end:
            if player.end_beat is not None:
                # What is due before the end leaves from the scheduler on its own beat, never in the exit
                # panic because this round came first: so a --duration take depends on the music only.
                scheduler.wait_sent_before(player.end_beat - BEAT_TOLERANCE, DRAIN_SECONDS)
            return True
        horizon = clock.beat_at(now) + LOOKAHEAD_SECONDS * clock.bpm / 60.0
        scheduler.queue_clock(horizon)
        if not self.port_lost:
            player.schedule_until(horizon, lambda: not self._commands.empty())
            self._watch_generation(clock.now())
        self.transport.watch(clock.now())
        self._publish()
        if between_steps is not None:
            between_steps()
        self.apply_queued(self.mode.wait_hint(clock.now(), POLL_SECONDS))
        self.mode.step(clock.now())
        return False

    def _check_scheduler(self) -> None:
        """A port failure is raised to the loop (which waits for the port or ends); a bug ends the run at once."""
        error = self.scheduler.error
        if error is None:
            return
        if not isinstance(error, PortFailedError):
            raise SchedulerDiedError(f"the scheduler thread died: {type(error).__name__}: {error}") from error
        if not self.port_lost:  # while the port is lost, the thread that failed waits for the next one
            raise error

    def _watch_generation(self, now: float) -> None:
        behind = self.stall_watch.check(now)
        if behind is None:
            return
        try:
            seed = self.models.reseed(None)
        except (ContinuoError, OSError, ValueError) as error:  # no seed bank, an unreadable one: play on
            seed = f"none ({error})"
        self.log("stall", behind_seconds=round(behind, 3), stalls=self.stall_watch.stalls, seed=seed)
        self._panic("generation stalled: panic, reseeded")

    def output_lost(self, reason: str) -> None:
        """The output's MIDI system or port went away: silence what can still be reached, keep the window, the
        settings and the music's time, place no notes, and wait for `output_restored`."""
        if self.port_lost:
            return
        self.port_lost = reason or "port failed"
        self.player.halt()
        self.scheduler.lose_output()
        self.log("port", lost=self.port_lost)
        self._publish()

    def output_restored(self, output: Output) -> None:
        """Play on through `output` (the reopened port) from the beat after next, with the window it had."""
        self.port_lost = ""
        self.scheduler.set_output(output)  # may raise PortFailedError: the loop then loses it again
        self.mode.silenced(self._resume_beat())
        self.log("port", restored=True)
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
        if isinstance(command, Stop):
            self._stop_requested = True
        elif isinstance(command, Panic):
            self._panic()
        else:
            handlers: dict[type, Callable[[Any], None]] = {
                PerformerNote: self._performer_note,
                SetParameter: self._set,
                SwitchModel: self.models.request,
                SelectProgram: self._select,
                ChangeMode: self._change_mode,
                Transport: self.transport.apply,
            }
            handlers[type(command)](command)

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

    def _set(self, command: SetParameter) -> None:
        text, fields = set_parameter(command.name, command.value, self.generator, self.player, self.clock)
        if command.name == "velocity":
            self.follow_velocity = False  # a velocity set by hand wins over the performer's dynamics
        self._changed(text, **fields)

    def _select(self, command: SelectProgram) -> None:
        program, programs = command.program, self.options.programs
        if not 0 <= program < len(programs):
            self._changed(f"program {program}: no such model (0-{len(programs) - 1})")
            return
        self.models.request(SwitchModel(programs[program]), f"program {program}: ", program=program)

    def _resume_beat(self) -> float | None:
        """Where the music goes on after a panic or a mode change: the beat after next; None while the DAW stops."""
        if not self.transport.playing:
            return None
        return float(int(self.clock.beat_at(self.clock.now())) + 2)

    def _change_mode(self, command: ChangeMode) -> None:
        name = command.mode
        if name == self.mode.name:
            return
        previous = self.mode
        previous.leave()
        self.mode = MODE_CLASSES[name](self.stage, previous.options, self.performance)
        self.mode.last_onset = previous.last_onset
        self.mode.enter(self._resume_beat())
        self._changed(f"mode {name}", mode=name)

    def _panic(self, text: str = "panic: all notes off") -> None:
        self.player.halt()
        self.scheduler.panic()
        self.mode.silenced(self._resume_beat())
        self._changed(text)

    def _publish(self) -> None:
        self._snapshot = picture(self)  # live/engine/picture.py
