"""Crash safety on real JACK ports: a run killed with SIGKILL mid-chord, then a new start ends what it left.

The witness is `jack_midi_dump` (benchmarks/jack_clients.py's Reader), a client that is not the engine's.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import mido
import pytest

from benchmarks.jack_clients import JackServer, Reader, continuo
from tests.live.streams import note_balance

pytestmark = pytest.mark.jack
VIRTUAL_PORT = "Continuo:Continuo"  # the default virtual port's JACK name


def start_play(server: JackServer, state: Path, *extra: str, tempo: float = 90) -> subprocess.Popen[str]:
    command = continuo(
        "play", "--backend", "jack", "--state-dir", str(state), "--tempo", f"{tempo:g}", "--quiet", *extra
    )
    return subprocess.Popen(command, env=server.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def messages(reader: Reader) -> list[mido.Message]:
    return [r.message for r in reader.received()]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def kill_mid_chord(process: subprocess.Popen[str], reader: Reader) -> set[tuple[int, int]]:
    """SIGKILL `process` once the reader has notes held (two at once where the music gives them soon)."""
    start = time.monotonic()

    def holding() -> bool:
        received = messages(reader)
        wanted = 2 if time.monotonic() - start < 8 else 1
        return sum(m.type == "note_on" for m in received) >= 4 and len(note_balance(received)) >= wanted

    wait_for(holding, "no held notes seen")
    process.kill()
    process.wait(timeout=10)
    time.sleep(0.2)  # anything already in flight reaches the reader
    stuck = note_balance(messages(reader))
    assert stuck, "the killed run left nothing sounding: nothing to test"
    return stuck


def before_first_note(received: list[mido.Message]) -> list[mido.Message]:
    firsts = [i for i, m in enumerate(received) if m.type == "note_on" and m.velocity > 0]
    assert firsts, "the new run played no note"
    return received[: firsts[0]]


def releases(message: mido.Message) -> bool:
    return message.type == "note_off" or (message.type == "note_on" and message.velocity == 0)


def assert_cleanup(prefix: list[mido.Message], stuck: set[tuple[int, int]]) -> None:
    """Note-offs covering every stuck note, then CC123 and CC120 on each of their channels. After them only
    releases may come before the first note (a gate drops a note-on but lets its later note-off through)."""
    count = next((i for i, m in enumerate(prefix) if not releases(m)), len(prefix))
    channels = sorted({channel for channel, _ in stuck})
    controls = prefix[count : count + 2 * len(channels)]
    assert stuck <= {(m.channel, m.note) for m in prefix[:count]}, f"not every held note was ended first: {prefix}"
    expected = [(c, cc) for c in channels for cc in (123, 120)]
    assert [(m.channel, getattr(m, "control", None)) for m in controls] == expected, f"no CC123, CC120: {prefix}"
    assert all(releases(m) for m in prefix[count + len(controls) :]), prefix


def test_sigkill_mid_chord_into_an_existing_port_is_ended_before_the_next_runs_first_note(
    jack_server: JackServer, tmp_path: Path
) -> None:
    reader = Reader(jack_server, tmp_path, "reader")
    state = tmp_path / "state"
    first = start_play(jack_server, state, "--output-port", reader.port, "--seed", "5")
    stuck = kill_mid_chord(first, reader)
    left = list(state.glob("*.json"))
    assert len(left) == 1, left
    heard_before = len(messages(reader))

    second = start_play(jack_server, state, "--output-port", reader.port, "--seed", "6", "--duration", "2")
    _, stderr = second.communicate(timeout=60)
    time.sleep(0.1)
    reader.stop()
    assert second.returncode == 0, stderr
    assert stderr == ""
    received = messages(reader)[heard_before:]
    assert_cleanup(before_first_note(received), stuck)
    assert note_balance(received) == set()
    assert list(state.iterdir()) == []  # a clean exit leaves no file behind


def test_sigkill_on_a_virtual_port_is_ended_to_the_first_connection_before_any_note(
    jack_server: JackServer, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    reader = Reader(jack_server, tmp_path, "reader")
    first = start_play(jack_server, state, "--seed", "5")
    jack_server.wait_for_port(VIRTUAL_PORT, timeout=30)
    jack_server.connect(VIRTUAL_PORT, reader.port)
    stuck = kill_mid_chord(first, reader)
    reader.stop()

    # Fast, so that notes would reach the reader before the watcher noticed it, were they not held back.
    second = start_play(jack_server, state, "--seed", "6", tempo=200)
    try:
        jack_server.wait_for_port(VIRTUAL_PORT, timeout=30)
        time.sleep(1.0)  # the new run plays to nobody for a second
        late = Reader(jack_server, tmp_path, "late")
        jack_server.connect(VIRTUAL_PORT, late.port)
        wait_for(lambda: sum(m.type == "note_on" for m in messages(late)) >= 3, "no notes after connecting")
    finally:
        second.send_signal(signal.SIGTERM)
        _, stderr = second.communicate(timeout=20)
    time.sleep(0.1)
    late.stop()
    assert second.returncode == 0, stderr
    received = messages(late)
    assert_cleanup(before_first_note(received), stuck)
    assert note_balance(received) == set()
    assert list(state.iterdir()) == []
