"""`continuo play`: check the request, load the model and seed, open the ports, run the engine, close.

The order is what makes a mistake cheap: everything that can be wrong with the options is found by
`plan` before a port, a relay or a JACK server exists.
"""

from __future__ import annotations

import os
import queue
import sys
from typing import TextIO

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
from continuo.live.runner.request import PlayRequest, plan
from continuo.live.runner.session import EventLog, Session
from continuo.live.timing.clock import Clock, TempoClock


def play(request: PlayRequest, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    checked = plan(request)
    model = load_model(request.model)
    rng = np.random.default_rng(request.seed)
    seed_name, seed_events = choose_seed(model.info, request.seed_file, request.seed_composer, rng)
    if not seed_events:
        raise ContinuoError(f"seed {seed_name} gives no events")
    log = EventLog(request.log)
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
        )
        take = None if request.record is None else Take(request.record, request.tempo, request.record_part_minutes)
        engine = Engine(model, generator, clock, connections.port, options, take, log, commands=commands)
        session = Session(request, checked, engine, connections, performer, log, out)
        port_failed = session.run(seed_name)
    except BaseException:
        connections.close()
        raise
    if port_failed is None:
        connections.close()
        if not request.quiet and out.isatty():
            out.write(f"continuo: stopped after {engine.snapshot().notes_sent} notes; all notes off\n")
        if engine.take_failure is not None:
            print(f"continuo play: error: {engine.take_failure}", file=sys.stderr)
            return EXIT_FAILURE
        return EXIT_OK
    print(f"continuo play: error: output {connections.description} failed: {port_failed}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    if connections.jack is not None:
        connections.jack.stop()
    # Closing an rtmidi JACK port whose server died aborts the process inside the JACK client library:
    # leave the port to the OS.
    os._exit(EXIT_FAILURE)
