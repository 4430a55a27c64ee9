"""One run of `continuo play` around its engine: the terminal, the JSON log, the duties, the way out.

Every way out (the end of --duration, Ctrl-C, SIGTERM, an exception on either thread, the port
failing) goes through one `finally` that has the engine stop the scheduler, send note-offs for held
notes and CC123 + CC120 on the channels used, and save the take, before anything else can fail.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from continuo.live.engine.commands import Stop
from continuo.live.engine.engine import Engine
from continuo.live.engine.scheduler import PortFailedError, SchedulerDiedError
from continuo.live.interaction.listener import PerformerListener
from continuo.live.priority import GENERATOR_PRIORITY, request_realtime
from continuo.live.runner.connections import Connections
from continuo.live.runner.event_log import EventLog
from continuo.live.runner.hang_watch import HangWatch
from continuo.live.runner.health import Health
from continuo.live.runner.request import PlayPlan, PlayRequest
from continuo.live.runner.signals import stop_on_signals
from continuo.live.runner.status import StatusLine, note_name, status_text


def write_timing_report(path: Path, lateness: Any) -> None:
    """How late each note-on left the scheduler, in ms: what the engine itself adds to the port's jitter."""
    late_ms = np.asarray(lateness, dtype=np.float64) * 1000
    summary: dict[str, Any] = {"notes": len(late_ms)}
    if len(late_ms):
        summary |= {f"p{q}": float(np.percentile(late_ms, q)) for q in (50, 90, 99)} | {"max": float(late_ms.max())}
    path.write_text(json.dumps({"send_lateness_ms": summary, "samples_ms": late_ms.round(4).tolist()}) + "\n")


class Session:
    def __init__(
        self,
        request: PlayRequest,
        plan: PlayPlan,
        engine: Engine,
        connections: Connections,
        performer: PerformerListener,
        log: EventLog,
        out: TextIO,
        duties: Sequence[Callable[[], None]] = (),
        health: Health | None = None,
    ) -> None:
        self.request, self.plan, self.engine, self.connections = request, plan, engine, connections
        self.performer, self.log, self.out = performer, log, out
        self.duties = duties  # run on the engine's thread between rounds: port keeper, health, held notes, playlist
        self.health = health
        self.status = StatusLine(out, enabled=out.isatty() and not request.quiet)
        self.print_notes = request.print_notes or connections.jack is not None
        self.printed = 0  # number of the last note printed
        self.failure: str | None = None  # why the run ended on a failure of its own, if it did

    def announce(self, seed_name: str) -> None:
        request, settings = self.request, self.plan.settings
        if request.quiet or not (self.out.isatty() or self.print_notes):
            return
        top_p = f", top-p {settings.top_p:g}" if settings.top_p else ""
        self.out.write(
            f"continuo: {self.engine.model.info.name} at {request.tempo:g} BPM, temperature "
            f"{settings.temperature:g}{top_p}, seed {seed_name} -> {self.connections.description}\n"
        )
        if request.listens:
            programs = ", ".join(f"{i} {Path(n).stem}" for i, n in enumerate(self.plan.programs))
            self.out.write(f"  Program Change selects: {programs}\n")
        jack = self.connections.jack
        if jack is not None:
            self.out.write(
                "  (dummy driver: no sound here; connect a synth with JACK_DEFAULT_SERVER="
                f"{jack.name} jack_connect '{self.connections.port.name}' <synth MIDI input>)\n"
            )
        self.out.flush()

    def between_steps(self) -> None:
        """On the engine's thread between rounds: print, redraw, then each duty (the port keeper first)."""
        snapshot = self.engine.snapshot()
        if self.print_notes:
            for note in snapshot.recent:
                if note.number <= self.printed:
                    continue
                if note.number > self.printed + 1:  # more notes left between two rounds than the snapshot keeps
                    self.status.print_line(f"  ({note.number - self.printed - 1} notes not shown)")
                self.printed = note.number
                name = note_name(note.pitch)
                self.status.print_line(f"{note.beat:9.2f}  {name:>4} ({note.pitch:3d})  vel {note.velocity}")
        self.status.show(status_text(snapshot, self.request.listens or snapshot.mode != "continue"))
        for duty in self.duties:
            duty()

    def run(self, seed_name: str) -> str | None:
        """Play until the end, a signal or a failure; always panic. Returns why the port failed, if it did
        (the run keeps waiting for a lost port unless --exit-on-port-loss); `self.failure` says why the
        scheduler thread died, if it did."""
        # The scheduler thread needs the interpreter lock within a millisecond of waking, not after 5 ms,
        # and never behind a generator thread preempted by a busy neighbour while holding it.
        sys.setswitchinterval(0.0005)
        request_realtime(GENERATOR_PRIORITY)
        # A full garbage collection holds that lock while it scans every tracked object, which takes
        # milliseconds once the modules, the model and the ports are loaded. Those objects live until exit
        # anyway, so collect once now and leave them out of every later scan.
        gc.collect()
        gc.freeze()
        port_failed: str | None = None
        engine = self.engine
        try:
            # A second Ctrl-C during the way out only queues another Stop: it cannot cut the panic or the save.
            with stop_on_signals(lambda: engine.submit(Stop())):
                hang_watch = HangWatch(engine, self.log)
                try:
                    self.announce(seed_name)
                    hang_watch.start()
                    engine.run(self.between_steps)
                except PortFailedError as error:
                    port_failed = str(error)
                except SchedulerDiedError as error:
                    self.failure = str(error)
                finally:
                    hang_watch.stop()
                    shutdown_failure = engine.shut_down()  # before anything else that could fail on the way out
                    port_failed = port_failed or shutdown_failure
        finally:
            self._close(engine)
        return port_failed

    def _close(self, engine: Engine) -> None:
        """After the way out: the terminal, the log's last entry, the timing report."""
        self.status.clear()
        # origin: when beat 0 fell (monotonic seconds), for a witness to judge onsets against the beats
        origin = engine.clock.seconds_at(0.0)
        if self.health is not None:
            self.health.final()  # the last figures, while the log is still open
        heard, sent = self.performer.received, engine.snapshot().notes_sent
        inputs, clock = self.connections.input_count, self.connections.clock_count
        self.log(
            "end", input_messages=heard, input_frames=inputs.frames, input_unparsed=inputs.unparsed,
            clock_frames=clock.frames, notes_sent=sent, origin=origin,
        )  # fmt: skip
        self.log.close()
        lateness = engine.scheduler.lateness.samples
        if self.request.timing_report is not None and lateness is not None:
            write_timing_report(self.request.timing_report, lateness)
