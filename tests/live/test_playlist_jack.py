"""`continuo play --playlist` as a real process on a real JACK port, witnessed by a separate reading client.

Models take turns every few seconds: two copies of the bach model, each kept by its file to one register, so the
reader tells from the notes alone which model wrote them. It must hear each switch the engine logged, where it logged
it and at a phrase end; every note ended, nothing held at the end, no silence longer than a beat around a switch, and
every note-on around a switch on the beat it was scheduled for (so the gaps between note-ons there are the music's
own, not a stall of the engine while it loads a model or reseeds its window).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import mido
import numpy as np
import pytest

from benchmarks.jack_clients import JackServer, MonotonicReader, continuo, recorded_messages
from continuo.live.engine.options import LOOKAHEAD_SECONDS
from continuo.live.engine.switching import MAX_WAIT_BEATS, PHRASE_END_BEATS
from continuo.live.midi_io.jack_server import PERIOD, SAMPLE_RATE
from continuo.live.model.model_file import shipped_models
from tests.live.fakes import HIGH, LOW, register_of
from tests.live.streams import exit_panic_start, longest_seconds, note_balance, overlong_notes, releases, sounding_spans

pytestmark = pytest.mark.jack
BPM = 160.0
BEAT = 60 / BPM
JACK_PERIOD = PERIOD / SAMPLE_RATE
BEFORE, AFTER = 1.0, 3.0  # seconds around each switch (as logged) that are judged
# A note-on reaches the monotonic-clock witness on the next JACK period plus the witness's wake-up; one late
# cycle on this shared 2-core VM may add a few ms. A stalled switch (a model load, a reseed) would be far later.
ONSET_LATE_SECONDS = 0.010


def silences(stream: list[tuple[float, mido.Message]], start: float, end: float) -> list[tuple[float, float]]:
    """(from, to) of each stretch between `start` and `end` when no note sounded at the reader, up to a note-on
    (the quiet after the run's last note is the end of the run, not a gap)."""
    sounding: set[tuple[int, int]] = set()
    quiet_since = -np.inf
    found = []
    for t, m in stream:
        if m.type == "note_on" and m.velocity > 0:
            if not sounding and max(quiet_since, start) < min(t, end):
                found.append((max(quiet_since, start), min(t, end)))
            sounding.add((m.channel, m.note))
        elif releases(m) and (m.channel, m.note) in sounding:
            sounding.discard((m.channel, m.note))
            if not sounding:
                quiet_since = t
    return found


def register_model(path: Path, name: str, pitches: range) -> str:
    """The shipped bach model renamed, its file's pitch range cut to `pitches`: the engine plays no other pitch."""
    onnx = pytest.importorskip("onnx")
    model = onnx.load(shipped_models()["bach"])
    for entry in model.metadata_props:
        if entry.key == "name":
            entry.value = json.dumps(name)
        elif entry.key == "pitch_range":
            entry.value = json.dumps([pitches.start, pitches.stop - 1])
    onnx.save(model, path)
    return str(path)


def test_a_playlist_switches_models_at_phrase_ends_with_no_stuck_note_and_no_gap(
    jack_server: JackServer, tmp_path: Path
) -> None:
    low, high = register_model(tmp_path / "low.onnx", "low", LOW), register_model(tmp_path / "high.onnx", "high", HIGH)
    witness = MonotonicReader(jack_server, tmp_path)
    log, record = tmp_path / "log.jsonl", tmp_path / "take.mid"
    command = continuo(
        "play", "--backend", "jack", "--output-port", witness.port, "--playlist", f"{low},{high}@bach",
        "--switch-every", "3s", "--duration", "10", "--tempo", f"{BPM:g}", "--seed", "1", "--quiet",
        "--log", str(log), "--record", str(record),
    )  # fmt: skip
    result = subprocess.run(command, env=jack_server.env, capture_output=True, text=True, timeout=60)
    time.sleep(0.1)
    received = witness.stop()
    assert result.returncode == 0, result.stderr
    entries: list[dict[str, Any]] = [json.loads(line) for line in log.read_text().splitlines()]

    # The duty asked for each turn; the reader heard the register change once per switch the engine logged,
    # alternating the two models.
    asked = [e for e in entries if e["what"] == "playlist"]
    switches = [e for e in entries if e["what"] == "control" and "model" in e]
    assert [e["model"] for e in asked][:2] == [high, low]
    assert [e["model"] for e in switches] == (["high", "low"] * 3)[: len(switches)]
    notes = [(t, m) for t, m in received if m.type == "note_on" and m.velocity > 0]
    turns = [list(turn) for _, turn in itertools.groupby(notes, key=lambda note: register_of(note[1].note))]
    assert [register_of(turn[0][1].note) for turn in turns] == (["low", "high"] * 3)[: len(turns)]
    heard = len(turns) - 1
    assert heard >= 2 and heard in (len(switches), len(switches) - 1), entries
    if heard < len(switches):  # the last switch drew a note past the --duration end: nothing was heard after it
        assert notes[-1][0] <= switches[-1]["at"] + LOOKAHEAD_SECONDS + ONSET_LATE_SECONDS
    spans = {(on, note): (off, index) for on, off, _, note, index in sounding_spans(received)}
    panic = exit_panic_start(received)
    for switch, ask, before, after in zip(switches, asked, turns, turns[1:]):
        (last_at, last), first_at = before[-1], after[0][0]
        # Heard where the engine logged it: the new model's first note placed after the switch, the old one's last
        # at most the lookahead ahead of the music when it switched.
        assert switch["at"] <= first_at and last_at <= switch["at"] + LOOKAHEAD_SECONDS + ONSET_LATE_SECONDS
        # At a phrase end: after a note that lasted at least PHRASE_END_BEATS (unless the run's end cut it shorter),
        # or once MAX_WAIT_BEATS of music had been played since the duty asked.
        released_at, index = spans[(last_at, last.note)]
        long_note = released_at - last_at >= PHRASE_END_BEATS * BEAT - ONSET_LATE_SECONDS or index >= panic
        assert long_note or last_at >= ask["at"] + MAX_WAIT_BEATS * BEAT, (switch, ask, last, released_at)

    # Every note ended, none held at the end, none held past the longest note (a lost note-off the exit panic hid).
    messages = [m for _, m in received]
    assert note_balance(messages) == set()
    assert not overlong_notes(received, longest_seconds(BPM))

    # Every note-on at the witness on its scheduled beat: the engine did not stall at a switch. This, not a bound
    # of one beat on the gap between note-ons, is what shows the switch added no gap: the models' own music holds
    # half notes and longer (gaps of 2-3 beats between note-ons, printed below), so only silence is bounded by a beat.
    origin = entries[-1]["origin"]
    arrived = np.array([t for t, m in received if m.type == "note_on" and m.velocity > 0])
    due = np.array([origin + beat * BEAT for beat, m in recorded_messages(record) if m.type == "note_on"])
    assert len(arrived) == len(due) >= 20
    late = arrived - due
    onsets = arrived.tolist()
    for switch in switches:
        start, end = switch["at"] - BEFORE, switch["at"] + AFTER
        near = (arrived >= start) & (arrived <= end)
        gaps = np.diff(arrived[near])
        quiet = max((b - a for a, b in silences(received, start, end)), default=0.0)
        print(
            f"switch to {switch['model']} at {switch['at'] - onsets[0]:.2f} s: {int(near.sum())} note-ons, "
            f"longest gap between them {gaps.max() / BEAT:.2f} beats, longest silence {quiet / BEAT:.2f} beats, "
            f"latest onset {late[near].max() * 1000:.2f} ms"
        )
        assert quiet <= BEAT + JACK_PERIOD
        assert late[near].max() <= ONSET_LATE_SECONDS
    # The music's own gaps between note-ons (a half note is two beats), for comparison with those around switches.
    all_gaps = np.diff(arrived) / BEAT
    over = int((all_gaps > 1.01).sum())
    print(f"whole run: {len(arrived)} note-ons, {over} gaps between them above one beat, max {all_gaps.max():.2f}")
