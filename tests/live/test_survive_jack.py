"""`continuo play` outliving its MIDI system: a JACK server killed and restarted, a reading client that goes
and comes back, an input relay killed. Real servers, real ports, readers that are not the engine."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mido
import numpy as np
import pytest

from benchmarks.jack_clients import JackServer, MonotonicReader, continuo
from tests.live.jack import FluidSynth, Performer, phrase, require_fluidsynth, start_server
from tests.live.streams import note_balance

pytestmark = pytest.mark.jack
PORT = "Continuo:Continuo"  # the engine's virtual output port on JACK
PORT_BACK_SECONDS = 10.0  # the bound: the port is back this soon after the server


def note_ons(messages: list[tuple[float, mido.Message]]) -> int:
    return sum(m.type == "note_on" and m.velocity > 0 for _, m in messages)


def log_entries(path: Path, what: str) -> list[dict[str, object]]:
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    return [entry for entry in entries if entry["what"] == what]


def start(server: JackServer, log: Path, *extra: str) -> subprocess.Popen[str]:
    command = continuo("play", "--backend", "jack", "--tempo", "160", "--quiet", "--seed", "3", "--log", str(log))
    return subprocess.Popen([*command, *extra], env=server.env, stderr=subprocess.PIPE, text=True)


@contextmanager
def played(server: JackServer, log: Path, *extra: str) -> Iterator[subprocess.Popen[str]]:
    """`continuo play` on `server` for the block; afterwards the process and the server are gone, however it ended."""
    process = start(server, log, *extra)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        server.stop()


def end(process: subprocess.Popen[str]) -> str:
    """Ctrl-C, as a person would; the process's stderr."""
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=15)
    return stderr


def ended_cleanly(process: subprocess.Popen[str], stderr: str, received: list[tuple[float, mido.Message]]) -> None:
    """Exit 0; the reader heard notes, each ended, and the exit panic's CC123 and CC120 last."""
    assert process.returncode == 0, stderr
    assert note_ons(received) >= 5
    assert note_balance([m for _, m in received]) == set(), [(round(t, 4), str(m)) for t, m in received[:6]]
    assert [m.control for _, m in received[-2:]] == [123, 120]


def wait_for_log(path: Path, what: str, count: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(log_entries(path, what)) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {count} {what!r} entries in the log after {timeout} s")


def test_a_jack_server_killed_and_restarted_twice_the_ports_come_back_and_notes_resume(tmp_path: Path) -> None:
    server = start_server()
    log = tmp_path / "log.jsonl"
    with played(server, log, "--input-name", "Keys") as process:
        for round_ in range(3):
            if round_:
                server.kill()
                time.sleep(1.0)
                server.restart()
            back = time.monotonic()
            server.wait_for_port(PORT, timeout=PORT_BACK_SECONDS + 5)
            assert time.monotonic() - back < PORT_BACK_SECONDS
            server.wait_for_port("Keys:Keys", timeout=PORT_BACK_SECONDS)  # the input relay, restarted too
            reader = MonotonicReader(server, tmp_path, f"reader{round_}")
            server.connect(PORT, reader.port)
            time.sleep(3.0)
            if round_ < 2:
                assert note_ons(reader.stop()) >= 5, f"no notes after restart {round_}"
        assert process.poll() is None  # stayed up through both
        stderr = end(process)
        received = reader.stop()
    ended_cleanly(process, stderr, received)
    # Each loss and each return said once, not at every retry.
    said = [entry["text"] for entry in log_entries(log, "connection")]
    assert sum("output lost" in str(text) for text in said) == 2
    assert sum("output back" in str(text) for text in said) == 2
    assert stderr.count("continuo: output lost") == 2


def test_a_reading_client_that_goes_and_comes_back_hears_the_notes_again_none_stuck(tmp_path: Path) -> None:
    server = start_server()
    log = tmp_path / "log.jsonl"
    first = MonotonicReader(server, tmp_path, "synth")
    with played(server, log, "--output-port", first.port) as process:
        time.sleep(2.5)
        heard_first = first.stop()  # the synth quits: its port goes away under the engine
        wait_for_log(log, "connection", 1)
        time.sleep(1.0)
        second = MonotonicReader(server, tmp_path, "synth")  # and comes back under the same name
        wait_for_log(log, "connection", 2)
        time.sleep(2.5)
        stderr = end(process)
        heard_second = second.stop()
    assert note_ons(heard_first) >= 5
    ended_cleanly(process, stderr, heard_second)  # the port was reopened by name
    said = [str(entry["text"]) for entry in log_entries(log, "connection")]
    assert "went away" in said[0] and "output back" in said[1]


def test_an_input_relay_killed_the_engine_plays_on_and_hears_the_performer_again(tmp_path: Path) -> None:
    server = start_server()
    log = tmp_path / "log.jsonl"
    with played(server, log, "--input-name", "Keys") as process:
        server.wait_for_port("Keys:Keys")
        server.wait_for_port(PORT)
        relay = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=True)
        reader = MonotonicReader(server, tmp_path, "reader")
        server.connect(PORT, reader.port)
        time.sleep(1.0)
        subprocess.run(["kill", "-9", *relay.stdout.split()], check=True)
        lost_at = time.monotonic()
        wait_for_log(log, "connection", 2)  # lost, then back
        server.wait_for_port("Keys:Keys")
        performer = Performer(server, tmp_path, phrase([72, 74, 76, 77], at=0.2))
        performer.connect("Keys:Keys")
        performer.perform()
        time.sleep(1.0)
        stderr = end(process)
        received = reader.stop()
    assert process.returncode == 0, stderr
    after = note_ons([(t, m) for t, m in received if t > lost_at + 0.5])
    assert after >= 3, (after, note_ons(received), relay.stdout, log.read_text()[-2000:], stderr)
    said = [str(entry["text"]) for entry in log_entries(log, "connection")]
    assert said[:2] == ["input port lost: playing on, trying again every 2 s", "input port back"]
    heard = log_entries(log, "heard")
    assert sum(len(entry["events"]) for entry in heard) >= 3  # type: ignore[arg-type]


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0


def test_fluidsynth_killed_and_restarted_sounds_again_and_is_silent_after_the_end(tmp_path: Path) -> None:
    """A real synth as the existing port: killed mid-music, started again; its audio is the witness."""
    require_fluidsynth()
    server = start_server()
    log = tmp_path / "log.jsonl"
    synth = FluidSynth(server)
    with played(server, log, "--output-port", FluidSynth.port, "--velocity", "100") as process:
        try:
            before = synth.record(1.5, tmp_path / "before.wav")
            synth.kill()
            wait_for_log(log, "connection", 1)
            synth = FluidSynth(server)
            wait_for_log(log, "connection", 2)
            after = synth.record(2.0, tmp_path / "after.wav")
            stderr = end(process)
            time.sleep(0.3)
            silence = synth.record(1.0, tmp_path / "silence.wav")
        finally:
            synth.kill()
    assert process.returncode == 0, stderr
    assert rms(before) > 1e-3 and rms(after) > 1e-3, (rms(before), rms(after))  # heard by both synths
    assert rms(silence) < 1e-4, rms(silence)  # nothing left sounding on the new synth after the end
