"""A running engine steered only through its command interface, from another thread, on a real JACK port.

The engine runs in this process on the test's thread; a driver thread submits commands on a timetable
(temperature, velocity, model switch, panic, mode change, stop); a separate reading process stamps what
arrives at the port on the same monotonic clock. Each command must be applied within one generation
step of its submission (the engine's log says when) and its effect must show at the reader: a command
acts on the next note placed, so every note placed before it has left by the first note placed after.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import mido
import numpy as np
import pytest

from benchmarks.jack_clients import JackServer, MonotonicReader
from continuo.live.engine.commands import ChangeMode, Command, Panic, SetParameter, Stop, SwitchModel
from continuo.live.engine.engine import Engine
from continuo.live.engine.generator import Generator
from continuo.live.engine.options import LOOKAHEAD_SECONDS, POLL_SECONDS, EngineOptions
from continuo.live.engine.sampler import SamplingSettings
from continuo.live.midi_io.ports import JACK_API, open_output
from continuo.live.model.model_file import load_model, resolve_model
from continuo.live.model.seeds import seed_from_bank
from continuo.live.music.codec import DEFAULT_SHIFTS
from continuo.live.timing.clock import TempoClock
from tests.live.streams import longest_seconds, note_balance, overlong_notes

pytestmark = pytest.mark.jack
BPM = 240.0
BEAT = 60 / BPM
# One generation step: the engine's longest wait for commands, plus a few inferences of slack.
ONE_STEP_SECONDS = POLL_SECONDS + 0.015
LOAD_SECONDS = 0.1  # a model switch also opens the new file (an ONNX session) before it applies
REACH_SECONDS = 0.006  # a message the engine sends now is at the reader within this (a few JACK periods)
NARROW = (60, 71)
# What was placed before a command can still be due this long after it: the lookahead and one event.
PLACED_AHEAD_SECONDS = LOOKAHEAD_SECONDS + max(DEFAULT_SHIFTS) * BEAT + REACH_SECONDS
TIMETABLE: list[tuple[float, Command]] = [
    (4.0, SetParameter("temperature", 10.0)),
    (8.0, SetParameter("temperature", 1.0)),
    (9.0, SetParameter("velocity", 33)),
    (11.0, SwitchModel("")),  # the narrow-range variant's path, filled in by the test
    (14.0, Panic()),
    (16.0, ChangeMode("call-response")),
    (18.0, ChangeMode("continue")),
    (21.0, Stop()),
]


def narrow_variant(folder: Path) -> Path:
    """Bach's file under another name, told its pitch range is one octave: a switch shows in every pitch."""
    import onnx

    model = onnx.load(str(resolve_model("bach")))
    for entry in model.metadata_props:
        if entry.key == "name":
            entry.value = json.dumps("bach-narrow")
        elif entry.key == "pitch_range":
            entry.value = json.dumps(list(NARROW))
    path = folder / "bach-narrow.onnx"
    onnx.save(model, str(path))
    return path


def run_engine(server: JackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    for key in ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER"):
        if key in server.env:
            monkeypatch.setenv(key, server.env[key])
    variant = str(narrow_variant(tmp_path))
    timetable = [(at, SwitchModel(variant) if isinstance(c, SwitchModel) else c) for at, c in TIMETABLE]
    witness = MonotonicReader(server, tmp_path)
    model = load_model("bach")
    _, seed = seed_from_bank("bach", model.info.codec, model.info.window, np.random.default_rng(3))
    generator = Generator(model, model.info.window, seed, SamplingSettings(0.1), 3, model.info.pitch_range)
    applied: list[tuple[float, str, dict[str, Any]]] = []
    port = open_output(JACK_API, "Steered", witness.port)
    engine = Engine(
        model,
        generator,
        TempoClock(BPM),
        port,
        EngineOptions(),
        log=lambda what, **f: applied.append((time.monotonic(), what, f)),
    )
    submitted: list[float] = []

    def drive() -> None:
        start = time.monotonic()
        for at, command in timetable:
            time.sleep(max(0.0, start + at - time.monotonic()))
            submitted.append(time.monotonic())
            engine.submit(command)

    driver = threading.Thread(target=drive)
    driver.start()
    try:
        engine.run()
        stopped = time.monotonic()
    finally:
        engine.shut_down()
        driver.join()
        port.close()
    time.sleep(0.05)
    return {"sent": submitted, "applied": applied, "stopped": stopped, "received": witness.stop(), "variant": variant}


def note_ons(received: list[tuple[float, mido.Message]], start: float, end: float) -> list[tuple[float, mido.Message]]:
    return [(t, m) for t, m in received if m.type == "note_on" and m.velocity > 0 and start <= t < end]


def test_commands_from_another_thread_act_within_one_step_and_leave_nothing_sounding(
    jack_server: JackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_engine(jack_server, tmp_path, monkeypatch)
    received: list[tuple[float, mido.Message]] = run["received"]
    changes = [(t, f) for t, what, f in run["applied"] if what == "control"]
    assert len(changes) == len(TIMETABLE) - 1, changes  # every command but Stop logs its change
    applied_at = [t for t, _ in changes] + [run["stopped"]]
    delays = [a - s for s, a in zip(run["sent"], applied_at)]
    print("applied after (ms):", [round(d * 1000, 2) for d in delays])
    bounds = [ONE_STEP_SECONDS + (LOAD_SECONDS if isinstance(c, SwitchModel) else 0) for _, c in TIMETABLE]
    assert all(0 <= d <= bound for d, bound in zip(delays, bounds)), delays
    hot, cool, velocity, switch, panic, listen, resume, stop = applied_at

    # Temperature 0.1 -> 10: the pitches spread out (the notes placed after it, not those already queued).
    before = [m.note for _, m in note_ons(received, hot - 3.0, hot)]
    after = [m.note for _, m in note_ons(received, hot + PLACED_AHEAD_SECONDS, cool)]
    assert len(before) >= 8 and len(after) >= 8, (before, after)
    assert np.std(after) >= 1.5 * np.std(before), (before, after)

    # Velocity: the first note placed after the command carries it; nothing placed before comes later.
    ons = note_ons(received, velocity, switch)
    first_new = next(t for t, m in ons if m.velocity == 33)
    assert first_new <= velocity + PLACED_AHEAD_SECONDS
    assert all(t <= first_new for t, m in ons if m.velocity != 33), ons

    # Model switch: once what was placed before it has left, every pitch is in the new model's range.
    assert any(not NARROW[0] <= m.note <= NARROW[1] for _, m in note_ons(received, velocity, switch))
    settled = note_ons(received, switch + PLACED_AHEAD_SECONDS, panic)
    assert settled and all(NARROW[0] <= m.note <= NARROW[1] for _, m in settled), settled

    # Panic: everything held is released and CC123, CC120 follow at once; then the music goes on.
    held = note_balance([m for t, m in received if t < panic])
    burst = [m for t, m in received if panic <= t <= panic + REACH_SECONDS]
    assert held, "nothing held at the panic: the test proves nothing"
    assert held <= {(m.channel, m.note) for m in burst if m.type == "note_off"}, burst
    assert [m.control for m in burst if m.type == "control_change"] == [123, 120]
    assert note_ons(received, panic, listen)

    # Call-response: silence at once (held notes released, nothing more starts) until continue.
    assert not note_ons(received, listen + REACH_SECONDS, resume)
    assert note_balance([m for t, m in received if t <= listen + REACH_SECONDS]) == set()
    # Continue: playing again on the second beat after it.
    restarted = note_ons(received, resume, stop)
    assert restarted and restarted[0][0] <= resume + 2 * BEAT + REACH_SECONDS

    # Stop: the run ends through its way out; nothing is left sounding, no note outlived its length.
    way_out = [m for t, m in received if t >= stop]
    assert [m.control for m in way_out if m.type == "control_change"] == [123, 120], way_out
    assert note_balance([m for _, m in received]) == set()
    assert not overlong_notes(received, longest_seconds(BPM))
