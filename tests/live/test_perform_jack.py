"""A performer and a DAW (test clients) play into a real `continuo play` process on a JACK server.

Each test writes a score for the performer client (its own process), starts the engine with a
virtual input port, and judges what a monotonic-clock witness received on the engine's output.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import mido
import pytest

from benchmarks.jack_clients import JackServer, MonotonicReader, continuo, recorded_messages
from continuo.live.midi_io.jack_server import PERIOD, SAMPLE_RATE
from tests.live.jack import Performer, Score, phrase
from tests.live.streams import (
    exit_panic_start,
    longest_seconds,
    note_balance,
    overlong_notes,
    sounding_spans,
)

pytestmark = pytest.mark.jack
PHRASE = [60, 62, 64, 65, 67, 69]
GAP_MS = 300


def perform(
    server: JackServer, tmp_path: Path, score: Score, *engine_args: str
) -> tuple[list[float], list[tuple[float, mido.Message]], str]:
    """Engine listening on `Ears`, the performer playing `score` into it, the witness on its output."""
    witness = MonotonicReader(server, tmp_path)
    performer = Performer(server, tmp_path, score)
    command = continuo(
        "play", "--input-name", "Ears", "--output-port", witness.port, "--tempo", "120", "--seed", "1", "--quiet",
        "--record", str(tmp_path / "take.mid"), "--log", str(tmp_path / "log.jsonl"), *engine_args,
    )  # fmt: skip
    engine = subprocess.Popen(command, env=server.env, stderr=subprocess.PIPE, text=True)
    performer.connect("Ears:Ears")
    time.sleep(0.3)
    sent = performer.perform()
    _, stderr = engine.communicate(timeout=60)
    assert engine.returncode == 0, stderr
    time.sleep(0.05)
    return sent, witness.stop(), stderr


def log_entries(tmp_path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]


def story(tmp_path: Path) -> list[dict[str, object]]:
    return [{k: v for k, v in e.items() if k != "window"} for e in log_entries(tmp_path)]


@pytest.mark.parametrize("length", ["4beats", "6events"])
def test_call_and_response_answers_after_the_gap_with_the_phrase_in_its_window(
    jack_server: JackServer, tmp_path: Path, length: str
) -> None:
    score = phrase(PHRASE)
    sent, received, _ = perform(
        jack_server, tmp_path, score, "--mode", "call-response", "--phrase-gap", f"{GAP_MS}ms",
        "--answer-length", length, "--duration", "6",
    )  # fmt: skip
    last_release = sent[-1]
    answer = [(t, m) for t, m in received if m.type == "note_on" and m.velocity > 0]
    assert answer, f"no answer arrived; {story(tmp_path)}"
    assert answer[0][0] > last_release  # nothing before the phrase ended
    delay_ms = (answer[0][0] - last_release) * 1000
    print(f"answer began {delay_ms:.1f} ms after the last note-off (gap {GAP_MS} ms)")
    assert GAP_MS <= delay_ms <= GAP_MS + 20
    answers = [e for e in log_entries(tmp_path) if e["what"] == "answer"]
    assert len(answers) == 1 and answers[0]["phrase_events"] == len(PHRASE)
    window = answers[0]["window"]
    assert [event[0] for event in window[-len(PHRASE) :]] == PHRASE  # type: ignore[index]
    recorded = [m for _, m in recorded_messages(tmp_path / "take.mid")]
    assert note_balance(recorded) == set()
    assert sum(m.type == "note_on" for m in recorded) == len(answer)
    # The answer's length as the witness heard it. In events: exactly that many notes. In beats: every note
    # starts less than that many beats (at 120 BPM) after the first, with one JACK period of slack.
    amount = int(length.rstrip("beatsvn"))
    span = answer[-1][0] - answer[0][0]
    print(f"answer: {len(answer)} notes over {span * 2:.3f} beats (--answer-length {length})")
    if length.endswith("events"):
        assert len(answer) == amount
    else:
        assert span < amount * 60 / 120 + PERIOD / SAMPLE_RATE


def test_playing_during_an_answer_stops_it_within_20_ms(jack_server: JackServer, tmp_path: Path) -> None:
    interrupt_at = 2.4  # the phrase ends at 0.75 s; the answer starts about 0.2 s later and lasts 16 s
    score = [*phrase(PHRASE[:4]), *phrase([72], at=interrupt_at, on=0.4)]
    sent, received, _ = perform(
        jack_server, tmp_path, score, "--mode", "call-response", "--phrase-gap", "200ms",
        "--answer-length", "32beats", "--duration", "4",
    )  # fmt: skip
    interrupted = sent[-2]
    held = note_balance([m for t, m in received if t <= interrupted])
    timeline = [(round(t - interrupted, 3), str(m)) for t, m in received if abs(t - interrupted) < 0.6]
    assert held, f"no note held at the interruption: the test proves nothing; {story(tmp_path)} {timeline}"
    first_release: dict[tuple[int, int], float] = {}
    for t, m in received:
        if t > interrupted and (m.type == "note_off" or (m.type == "note_on" and m.velocity == 0)):
            first_release.setdefault((m.channel, m.note), t)
    assert held <= set(first_release), timeline
    latest_ms = (max(first_release[key] for key in held) - interrupted) * 1000
    print(f"interruption silenced {len(held)} held notes within {latest_ms:.1f} ms")
    assert latest_ms <= 20
    assert any(e["what"] == "interrupt" for e in log_entries(tmp_path))


def variant_of_bach(folder: Path) -> Path:
    """A second, different model: bach's file renamed, with its pitch logits' biases shuffled."""
    import onnx
    from onnx import numpy_helper

    from continuo.live.model.model_file import resolve_model

    model = onnx.load(str(resolve_model("bach")))
    for entry in model.metadata_props:
        if entry.key == "name":
            entry.value = json.dumps("bach-variant")
    biases = [init for init in model.graph.initializer if list(init.dims) == [128]]
    assert biases, "no 128-wide initializer to change"
    values = numpy_helper.to_array(biases[-1])
    biases[-1].CopyFrom(numpy_helper.from_array(values[::-1].copy(), biases[-1].name))
    path = folder / "bach-variant.onnx"
    onnx.save(model, str(path))
    return path


def test_cc1_sweeps_the_temperature_and_program_change_switches_model_without_a_stuck_note(
    jack_server: JackServer, tmp_path: Path
) -> None:
    variant = variant_of_bach(tmp_path)
    score: Score = [
        (0.2 + i * 0.05, mido.Message("control_change", control=1, value=v)) for i, v in enumerate(range(0, 128, 16))
    ]
    score += [(0.7, mido.Message("control_change", control=1, value=127))]
    score += [(1.0, mido.Message("program_change", program=1)), (1.6, mido.Message("program_change", program=99))]
    score += [(2.0, mido.Message("program_change", program=0))]
    # At 240 BPM the longest note (8 beats) lasts 2 s, so every note started by the last switch (about 2.3 s
    # into the run) ends by its own note-off well before the exit at 5 s: one the exit panic ends was lost.
    _, received, _ = perform(
        jack_server, tmp_path, score, "--duration", "5", "--tempo", "240", "--program-models", f"bach,{variant}"
    )
    changes = [e for e in log_entries(tmp_path) if e["what"] == "control"]
    temperatures = [e["temperature"] for e in changes if "temperature" in e]
    assert temperatures == sorted(temperatures) and len(temperatures) == 9, story(tmp_path)
    assert temperatures[0] == pytest.approx(0.1) and temperatures[-1] == pytest.approx(3.0)
    assert [e.get("model") for e in changes if "model" in e] == ["bach-variant", "bach"]
    assert any("no such model" in str(e["change"]) for e in changes)
    switched_at = next(e["at"] for e in changes if e.get("model") == "bach-variant")
    played = [t for t, m in received if m.type == "note_on" and m.velocity > 0]
    assert any(t > switched_at + 0.1 for t in played)  # it went on playing with the other model
    last_switch = max(float(str(e["at"])) for e in changes if "program" in e or "no such model" in str(e["change"]))
    panic = exit_panic_start(received)
    ended_by_panic = [
        (round(on - last_switch, 3), note) for on, _, _, note, by in sounding_spans(received) if by >= panic
    ]
    started_before = [t for t in played if t <= last_switch]
    assert started_before, "no note before the switches: the test proves nothing"
    assert not [(on, note) for on, note in ended_by_panic if on <= 0], (ended_by_panic, story(tmp_path))
    assert not overlong_notes(received, longest_seconds(240))
    assert note_balance([m for _, m in received]) == set()


def test_cc123_from_the_performer_silences_everything_at_once(jack_server: JackServer, tmp_path: Path) -> None:
    score: Score = [(1.5, mido.Message("control_change", control=123, value=0))]
    sent, received, _ = perform(jack_server, tmp_path, score, "--duration", "3", "--tempo", "60")
    panic = sent[0]
    held = note_balance([m for t, m in received if t <= panic])
    right_after = [m for t, m in received if panic < t <= panic + 0.02]
    timeline = [(round(t - panic, 3), str(m)) for t, m in received if abs(t - panic) < 1.5]
    assert held, f"nothing was held when the panic came: the test proves nothing {timeline}"
    assert held <= {(m.channel, m.note) for m in right_after if m.type == "note_off"}, (story(tmp_path), timeline)
    assert [m.control for m in right_after if m.type == "control_change"] == [123, 120]
    assert note_balance([m for _, m in received]) == set()
