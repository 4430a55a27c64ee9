"""`continuo play`: check the request, load the model and seed, open the ports, run the engine, close.

The order is what makes a mistake cheap: everything that can be wrong with the options is found by
`plan` before a port, a relay or a JACK server exists.
"""

from __future__ import annotations

import os
import queue
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn, TextIO

import numpy as np

from continuo.live.engine.commands import Command
from continuo.live.engine.engine import Engine
from continuo.live.engine.generator import Generator
from continuo.live.engine.loop_guard import LoopGuard
from continuo.live.engine.options import EngineOptions
from continuo.live.engine.take import Take
from continuo.live.errors import EXIT_FAILURE, EXIT_OK, ContinuoError
from continuo.live.interaction.listener import PerformerListener, TransportListener
from continuo.live.model.model_file import load_model
from continuo.live.model.seeds import choose_seed
from continuo.live.music.midi import DEFAULT_VELOCITY
from continuo.live.runner.connections import Connections
from continuo.live.runner.event_log import BYTES_PER_MB, EventLog
from continuo.live.runner.health import Health
from continuo.live.runner.keeper import PortKeeper
from continuo.live.runner.left_notes import prepare_output
from continuo.live.runner.playlist import PlaylistDuty
from continuo.live.runner.request import PlayRequest, plan
from continuo.live.runner.session import Session
from continuo.live.timing.clock import Clock, TempoClock


def play(request: PlayRequest, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    checked = plan(request)
    model = load_model(request.model)
    rng = np.random.default_rng(request.seed)
    # With a playlist its first entry starts (plan checked that --model names the same model): its seed composer,
    # if it names one, seeds the opening; else the seed flags do, as without a playlist.
    opening = checked.playlist.opening if checked.playlist is not None else None
    seed_composer = request.seed_composer if opening is None or opening.seed_composer is None else opening.seed_composer
    seed_name, seed_events = choose_seed(model.info, request.seed_file, seed_composer, rng)
    if not seed_events:
        raise ContinuoError(f"seed {seed_name} gives no events")
    log = EventLog(request.log, max_bytes=int(request.log_max_mb * BYTES_PER_MB))
    guard = (
        LoopGuard(lambda period, count: log("loop", period=period, recoveries=count)) if request.loop_guard else None
    )
    window, pitch_range = model.info.window, model.info.pitch_range
    generator = Generator(model, window, seed_events, checked.settings, request.seed, pitch_range, guard)

    commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
    input_channel = None if request.input_channel is None else request.input_channel - 1
    performer = PerformerListener(commands.put, input_channel, checked.cc_map)
    connections = Connections()
    connections.open(request, performer, TransportListener(commands.put))
    try:
        # End what a killed run left sounding on this port: at once on an existing port; on a virtual port the
        # engine gets a gate that sends it to the first connection. Connections.close closes the gate and its port.
        prepared = prepare_output(request, connections.api, connections.port, log)
        connections.port = prepared.port
        clock: Clock = connections.follower or TempoClock(request.tempo)
        options = EngineOptions(
            channel=request.channel - 1,
            velocity=DEFAULT_VELOCITY if request.velocity is None else request.velocity,
            follow_velocity=request.velocity is None,
            mode=request.mode,
            mode_options=checked.mode,
            duration_seconds=request.duration,
            send_clock=request.send_clock,
            programs=checked.programs,
            keep_lateness=request.timing_report is not None,
            survive_port_loss=not request.exit_on_port_loss,
            clock_lost=request.clock_lost,
        )
        take = None if request.record is None else Take(request.record, request.tempo, request.record_part_minutes)
        engine = Engine(model, generator, clock, connections.port, options, take, log, commands=commands)
        keeper = PortKeeper(engine, connections, log, request.exit_on_port_loss)
        health = Health(
            engine.snapshot,
            engine.scheduler.lateness.recent,
            lambda: keeper.reconnects,
            log,
            request.health_file,
            request.health_seconds,
        )
        duties: list[Callable[[], None]] = [keeper, health]
        if prepared.held is not None:
            prepared.held.follow(engine.scheduler.sounding)
            duties.append(prepared.held)
        if checked.playlist is not None:
            duties.append(PlaylistDuty(engine.submit, checked.playlist, log))
        session = Session(request, checked, engine, connections, performer, log, out, duties, health)
        port_failed = session.run(seed_name)
    except BaseException:
        connections.close()
        if connections.abandoned:  # the interpreter's clean-up would close them: end here, saying why
            traceback.print_exc()
            _exit_now(EXIT_FAILURE)
        raise
    if port_failed is None:
        if prepared.held is not None and not engine.port_lost:
            prepared.held.clear()  # the engine's panic ended every note (a failed or lost port keeps the file)
        connections.close()
        if not request.quiet and out.isatty():
            out.write(f"continuo: stopped after {engine.snapshot().notes_sent} notes; all notes off\n")
        code = EXIT_OK
        for failure in (session.failure, engine.take_failure):
            if failure is not None:
                print(f"continuo play: error: {failure}", file=sys.stderr)
                code = EXIT_FAILURE
        if connections.abandoned:  # ports of a server that died: the interpreter's clean-up would close them
            _exit_now(code)
        return code
    print(f"continuo play: error: output {connections.description} failed: {port_failed}", file=sys.stderr)
    if connections.jack is not None:
        connections.jack.stop()
    # Closing an rtmidi JACK port whose server died aborts the process inside the JACK client library:
    # leave the port to the OS.
    _exit_now(EXIT_FAILURE)


def _exit_now(code: int) -> NoReturn:
    """End without the interpreter's clean-up (which would close ports of a dead JACK server)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
