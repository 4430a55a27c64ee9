"""`continuo play --playlist` as a real process on a real JACK port, witnessed by a separate reading client.

Models take turns every few seconds. Each switch happens at a phrase end: the reader must see every note
ended, nothing held at the end, no silence longer than a beat around a switch, and every note-on around a
switch on the beat it was scheduled for (so the gaps between note-ons there are the music's own, not a
stall of the engine while it loads a model or reseeds its window).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import mido
import numpy as np
import pytest

from benchmarks.jack_clients import JackServer, MonotonicReader, continuo, recorded_messages
from continuo.live.midi_io.jack_server import PERIOD, SAMPLE_RATE
from tests.live.streams import longest_seconds, note_balance, overlong_notes, releases

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


def test_a_playlist_switches_models_at_phrase_ends_with_no_stuck_note_and_no_gap(
    jack_server: JackServer, tmp_path: Path
) -> None:
    witness = MonotonicReader(jack_server, tmp_path)
    log, record = tmp_path / "log.jsonl", tmp_path / "take.mid"
    command = continuo(
        "play", "--backend", "jack", "--output-port", witness.port, "--playlist", "bach,palestrina@bach",
        "--switch-every", "3s", "--duration", "10", "--tempo", f"{BPM:g}", "--seed", "1", "--quiet",
        "--log", str(log), "--record", str(record),
    )  # fmt: skip
    result = subprocess.run(command, env=jack_server.env, capture_output=True, text=True, timeout=60)
    time.sleep(0.1)
    received = witness.stop()
    assert result.returncode == 0, result.stderr
    entries: list[dict[str, Any]] = [json.loads(line) for line in log.read_text().splitlines()]

    # The duty asked for each turn, and the engine switched at a phrase end, alternating the two models.
    asked = [e for e in entries if e["what"] == "playlist"]
    switches = [e for e in entries if e["what"] == "control" and "model" in e]
    assert [e["model"] for e in asked][:2] == ["palestrina", "bach"]
    assert len(switches) >= 2, entries
    assert [e["model"] for e in switches] == (["palestrina", "bach"] * 3)[: len(switches)]
    assert all(e.get("phrase_end") for e in switches)  # at the music's phrase end, not at the moment asked

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
