"""The engine's commands, applied on its own terms (a fake clock, a recording port): what each one changes,
what a refused one leaves alone, and what the snapshot shows."""

from __future__ import annotations

import numpy as np
import pytest

from continuo.live.engine.commands import (
    ChangeMode,
    Panic,
    PerformerNote,
    SelectProgram,
    SetParameter,
    Snapshot,
    Stop,
    SwitchModel,
    Transport,
)
from continuo.live.engine.engine import Engine
from continuo.live.engine.generator import Generator
from continuo.live.engine.options import EngineOptions
from continuo.live.engine.sampler import SamplingSettings
from continuo.live.model.model_file import load_model
from continuo.live.model.seeds import seed_from_bank
from tests.live.fakes import RecordingPort, fake_clock


def engine(**options: object) -> tuple[Engine, RecordingPort]:
    model = load_model("bach")
    clock, _ = fake_clock(120)
    _, seed = seed_from_bank("bach", model.info.codec, model.info.window, np.random.default_rng(0))
    generator = Generator(model, model.info.window, seed, SamplingSettings(1.0), 0, model.info.pitch_range)
    port = RecordingPort()
    return Engine(model, generator, clock, port, EngineOptions(**options)), port  # type: ignore[arg-type]


def applied(engine: Engine, *commands: object) -> Snapshot:
    """Submit from this thread, then let the engine apply what is queued (as its loop does between steps)."""
    for command in commands:
        engine.submit(command)  # type: ignore[arg-type]
    engine.apply_queued(0)
    engine._publish()
    return engine.snapshot()


def test_parameters_change_and_a_value_out_of_range_is_refused_with_the_state_kept() -> None:
    eng, _ = engine()
    shot = applied(eng, SetParameter("temperature", 0.5), SetParameter("top_p", 0.9), SetParameter("velocity", 33))
    assert (shot.temperature, shot.top_p, shot.velocity) == (0.5, 0.9, 33)
    shot = applied(eng, SetParameter("temperature", 50.0), SetParameter("loudness", 1.0))
    assert shot.temperature == 0.5
    assert shot.last_change.startswith("refused: unknown parameter 'loudness'")
    shot = applied(eng, SetParameter("tempo", 90.0))
    assert shot.tempo == 90.0


def test_a_set_velocity_stops_following_the_performer() -> None:
    eng, _ = engine(mode="accompany")
    assert applied(eng, PerformerNote(60, 100, 100.0)).velocity == 100
    assert applied(eng, SetParameter("velocity", 40), PerformerNote(62, 10, 100.1)).velocity == 40


def test_a_model_switch_keeps_playing_and_a_bad_one_keeps_the_model() -> None:
    eng, _ = engine(programs=("bach", "palestrina"))
    assert applied(eng, SwitchModel("no-such-model")).model == "bach"
    assert "no-such-model" in eng.snapshot().last_change
    assert applied(eng, SelectProgram(7)).last_change == "program 7: no such model (0-1)"
    shot = applied(eng, SelectProgram(1))
    assert shot.model == "palestrina" and eng.generator.pitch_range == eng.model.info.pitch_range


def test_call_response_silences_and_continue_plays_again() -> None:
    eng, _ = engine()
    eng.player.schedule_until(2.0)
    eng.scheduler.send_due()
    assert eng.scheduler.held
    shot = applied(eng, ChangeMode("call-response"))
    assert (shot.mode, shot.mode_status, shot.notes_held, eng.player.active) == ("call-response", "listening", 0, False)
    assert eng.scheduler.pending_notes == 0
    shot = applied(eng, ChangeMode("continue"))
    assert shot.mode == "continue" and eng.player.active
    assert applied(eng, ChangeMode("jazz")).last_change.startswith("refused: unknown mode 'jazz'")


def test_panic_releases_what_is_held_then_sends_the_controls() -> None:
    eng, port = engine()
    eng.player.schedule_until(2.0)
    eng.scheduler.send_due()
    held = {(0, m.note) for m in port.sent if m.type == "note_on"}
    port.sent.clear()
    applied(eng, Panic())
    assert {(m.channel, m.note) for m in port.sent if m.type == "note_off"} == held
    assert [m.control for m in port.sent if m.type == "control_change"] == [123, 120]


@pytest.mark.parametrize("kind", ["stop", "start"])
def test_transport_is_a_command_too(kind: str) -> None:
    eng, _ = engine()
    shot = applied(eng, Transport(kind, 3.0))
    assert shot.transport == ("stopped" if kind == "stop" else "playing")
    assert eng.player.active == (kind == "start")


def test_stop_ends_the_run_loop() -> None:
    eng, port = engine(duration_seconds=None)
    eng.submit(Stop())
    eng.run()  # returns at once: the Stop was queued before the first round
    assert eng.shut_down() is None
    assert [m.control for m in port.sent if m.type == "control_change"] == []  # nothing sounded, no channel used
    assert not eng.snapshot().running


def test_leaving_call_response_during_an_answer_plays_on_without_end() -> None:
    eng, _ = engine(mode="call-response")
    eng.player.begin_phrase(0.0, beats=4.0)  # an answer under way
    eng.mode.answering = True  # type: ignore[attr-defined]
    applied(eng, ChangeMode("continue"))
    assert eng.player.active and eng.player.phrase_end is None


def test_a_malformed_command_is_refused_not_raised() -> None:
    eng, _ = engine()
    shot = applied(eng, SetParameter("temperature", "hot"))  # type: ignore[arg-type]
    assert shot.last_change.startswith("refused:") and shot.temperature == 1.0
