"""The engine's input is lossless: every message a sender puts on the engine's input port is counted by the engine.

The sender writes as fast as RtMidi takes messages (JACK then carries a few hundred a period), far faster than
any keyboard or DAW; notes, clock, sysex and garbage mixed. The engine's input relay reads through RtMidi's own
queue (live/midi_io/queued_input.py) and its count (`input_frames` in the log's end line) must equal the sender's.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import mido
import numpy as np
import pytest

from benchmarks.jack_clients import JackServer, continuo
from tests.live.jack import Performer, Score

pytestmark = pytest.mark.jack
FLOOD = 50_000


def flood(messages: int, seed: int = 7) -> Score:
    """Notes (on and off), clock ticks, sysex and garbage, all due at once.

    Garbage: one to three random bytes, never starting with 0xF0 or 0xFE. RtMidi's JACK input takes an event
    that starts a sysex without ending it (0xF0 ... with no 0xF7) as the first part of a sysex and joins the
    events after it to it, which is not a loss but would make the counts differ; the relay drops active
    sensing (0xFE), a keep-alive, before counting.
    """
    rng = np.random.default_rng(seed)
    score: Score = []
    kinds = rng.choice(4, messages, p=[0.4, 0.3, 0.1, 0.2])
    for kind in kinds:
        if kind == 0:
            note = int(rng.integers(21, 109))
            on = rng.random() < 0.5
            score.append((0.0, mido.Message("note_on" if on else "note_off", note=note, velocity=64)))
        elif kind == 1:
            score.append((0.0, mido.Message("clock")))
        elif kind == 2:
            score.append((0.0, [0xF0, *rng.integers(0, 128, int(rng.integers(1, 64))).tolist(), 0xF7]))
        else:
            garbage = rng.integers(0, 256, int(rng.integers(1, 4))).tolist()
            while garbage[0] in (0xF0, 0xFE):
                garbage[0] = int(rng.integers(0, 256))
            score.append((0.0, garbage))
    return score


def test_a_flood_of_50000_messages_is_counted_in_full_by_the_engine(jack_server: JackServer, tmp_path: Path) -> None:
    score = flood(FLOOD)
    sender = Performer(jack_server, tmp_path, score)
    log = tmp_path / "log.jsonl"
    command = continuo(
        "play", "--backend", "jack", "--input-name", "Ears", "--tempo", "200", "--seed", "3", "--quiet",
        "--duration", "8", "--log", str(log),
    )  # fmt: skip
    engine = subprocess.Popen(command, env=jack_server.env, stderr=subprocess.PIPE, text=True)
    sender.connect("Ears:Ears")
    started = time.monotonic()
    sender.perform()
    took = time.monotonic() - started
    _, stderr = engine.communicate(timeout=60)
    assert engine.returncode == 0, stderr
    end = json.loads(log.read_text().splitlines()[-1])
    late = dict(jack_server.late_clients())
    print(
        f"{len(score)} messages sent in {took:.2f} s; the engine counted {end['input_frames']} "
        f"({end['input_unparsed']} not MIDI, {end['input_messages']} passed on); JACK clients late: {late}"
    )
    assert end["what"] == "end" and end["input_frames"] == len(score)
    assert end["input_messages"] == len(score) - end["input_unparsed"]
