"""`continuo play` where PipeWire serves JACK clients, as on most Linux desktops and Raspberry Pi OS: a private
headless PipeWire (benchmarks/pipewire_server.py) and no JACK server at all. Judged by readers that are not the
engine: JACK's own `jack_midi_dump` under `pw-jack`, and the monotonic-clock witness."""

from __future__ import annotations

import ctypes
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.jack_clients import MonotonicReader, Reader, continuo
from benchmarks.pipewire_server import PipeWireServer, missing_pipewire_tools, start_pipewire
from continuo.live.midi_io import jack_library
from continuo.live.midi_io.jack_library import DEFAULT_QUANTUM
from continuo.live.midi_io.server_watch import ShutdownWatch, socket_identity
from tests.live.streams import note_balance
from tests.live.test_survive_jack import PORT, end, ended_cleanly, log_entries, note_ons, played

pytestmark = pytest.mark.jack
PIPEWIRE_QUANTUM = 1024  # the Dummy-Driver's default period, frames
PORT_BACK_SECONDS = 5.0  # the bound: the port is back this soon after PipeWire
# PipeWire's libjack prints this when rtmidi clears its port's buffer in a cycle where PipeWire has given the port
# none yet (around its opening): nothing is lost, nothing else is said.
PIPEWIRE_EMPTY_BUFFER = "'mb != NULL' failed at"  # then the source file and line, then jack_midi_clear_buffer()


def require_pipewire() -> None:
    """Skip where PipeWire is not installed, unless CI says it must be (then it is a failure)."""
    missing = missing_pipewire_tools()
    if missing:
        if os.environ.get("CONTINUO_REQUIRE_PIPEWIRE") == "1":
            pytest.fail(f"PipeWire tools missing: {', '.join(missing)}")
        pytest.skip(f"PipeWire tools missing: {', '.join(missing)}")


@pytest.fixture
def pipewire() -> Iterator[PipeWireServer]:
    require_pipewire()
    server = start_pipewire()
    yield server
    server.stop()


def play_briefly(server: PipeWireServer, port: str, *extra: str, wrapper: tuple[str, ...] = ()) -> str:
    command = continuo("play", "--backend", "jack", "--output-port", port, "--duration", "3", "--seed", "2",
                       "--tempo", "160", "--quiet", *extra)  # fmt: skip
    result = subprocess.run([*wrapper, *command], env=server.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stderr


@pytest.mark.parametrize("wrapper", [(), ("pw-jack",)], ids=["plain", "pw-jack"])
def test_plays_through_pipewire_with_no_jack_server_on_the_quantum_it_asks_for(
    pipewire: PipeWireServer, tmp_path: Path, wrapper: tuple[str, ...]
) -> None:
    reader = Reader(pipewire, tmp_path, "reader")
    stderr = play_briefly(pipewire, reader.port, wrapper=wrapper)
    time.sleep(0.2)
    reader.stop()
    said = [
        line for line in stderr.splitlines() if not (PIPEWIRE_EMPTY_BUFFER in line and "jack_midi_clear_buffer" in line)
    ]
    assert said == []
    received = reader.received()
    messages = [r.message for r in received]
    assert sum(m.type == "note_on" and m.velocity > 0 for m in messages) >= 8
    assert note_balance(messages) == set() and [m.control for m in messages[-2:]] == [123, 120]
    # rtmidi writes each event at the start of a cycle: the frames show the graph's period.
    frames = [r.frame for r in received]
    assert all(frame % DEFAULT_QUANTUM == 0 for frame in frames) and any(frame % PIPEWIRE_QUANTUM for frame in frames)


def test_with_quantum_0_pipewires_own_period_is_left_alone(pipewire: PipeWireServer, tmp_path: Path) -> None:
    reader = Reader(pipewire, tmp_path, "reader")
    play_briefly(pipewire, reader.port, "--pipewire-quantum", "0")
    time.sleep(0.2)
    reader.stop()
    frames = [r.frame for r in reader.received()]
    assert len(frames) >= 16 and all(frame % PIPEWIRE_QUANTUM == 0 for frame in frames)


def test_pipewire_killed_and_restarted_twice_the_ports_come_back_and_notes_resume(tmp_path: Path) -> None:
    require_pipewire()
    server = start_pipewire()
    log, health = tmp_path / "log.jsonl", tmp_path / "health.json"
    extra = ("--input-name", "Keys", "--health-file", str(health), "--health-every", "1")
    with played(server, log, *extra) as process:
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
    said = [str(entry["text"]) for entry in log_entries(log, "connection")]
    assert sum("output lost" in text for text in said) == 2 and sum("output back" in text for text in said) == 2
    assert '"reconnects": 4' in health.read_text()  # the output port and the input relay, twice each


def test_with_exit_on_port_loss_a_pipewire_that_goes_away_ends_the_run_with_exit_1(
    pipewire: PipeWireServer, tmp_path: Path
) -> None:
    process = subprocess.Popen(
        continuo("play", "--backend", "jack", "--quiet", "--seed", "1", "--exit-on-port-loss"),
        env=pipewire.env,
        stderr=subprocess.PIPE,
        text=True,
    )
    pipewire.wait_for_port(PORT)
    time.sleep(0.5)
    pipewire.kill()
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 1
    errors = [line for line in stderr.splitlines() if line.startswith("continuo play:")]
    assert len(errors) == 1 and "went away" in errors[0], stderr


def test_the_shutdown_watch_hears_pipewire_go_even_where_its_socket_would_stay(
    pipewire: PipeWireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Desktops start PipeWire from a systemd socket that outlives it: there only the client's shutdown tells."""
    for key in ("XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS"):
        monkeypatch.setenv(key, pipewire.env[key])
    library = jack_library.pipewire_library()
    assert library is not None, "PipeWire's libjack not found"
    watch = ShutdownWatch(ctypes.CDLL(library))
    time.sleep(0.5)
    assert not watch.gone.is_set()
    pipewire.kill()
    assert watch.gone.wait(2.0)


def test_a_restarted_pipewire_answers_on_its_socket_as_another_server(pipewire: PipeWireServer) -> None:
    """Its new socket may reuse the old one's inode: the change time and the answering process tell them apart."""
    socket = Path(pipewire.env["XDG_RUNTIME_DIR"]) / "pipewire-0"
    before = socket_identity(socket)
    assert before is not None and socket_identity(socket) == before
    pipewire.kill()
    pipewire.restart()
    after = socket_identity(socket)
    assert after is not None and after != before
