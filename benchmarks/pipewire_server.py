"""A private, headless PipeWire serving JACK clients, as desktop Linux and Raspberry Pi OS run it.

A session D-Bus, `pipewire` and `wireplumber` in a runtime folder of their own (XDG_RUNTIME_DIR), with no
sound card: PipeWire's Dummy-Driver runs the graph at its default quantum (1024 frames at 48 kHz). JACK
clients reach it through PipeWire's libjack: `continuo play` chooses it by itself
(live/midi_io/jack_library.py), JACK's tools run under `pw-jack`. It has the JackServer interface
(benchmarks/jack_clients.py), so the same witnesses read its ports.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.jack_clients import JackServer

PIPEWIRE_TOOLS = ("pipewire", "wireplumber", "pw-jack", "dbus-daemon", "jack_midi_dump", "jack_lsp", "jack_connect")


def missing_pipewire_tools() -> list[str]:
    return [tool for tool in PIPEWIRE_TOOLS if shutil.which(tool) is None]


@dataclass
class PipeWireServer(JackServer):
    runtime: Path = Path()
    bus: subprocess.Popen[bytes] | None = None
    session: subprocess.Popen[bytes] | None = None  # wireplumber
    restarts: list[float] = field(default_factory=list)

    def late_clients(self) -> Counter[str]:
        """PipeWire does not log a client's late cycle by name as jackd does: none can be told."""
        return Counter()

    def kill(self) -> None:
        """PipeWire and its session manager killed the hard way (a crash, an OOM kill): clients get no warning."""
        for process in (self.session, self.process):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)

    def restart(self) -> None:
        """Start them again in the same runtime folder, as systemd's user session would."""
        self.process, self.session = _launch(self.env, self.log)
        self.restarts.append(time.monotonic())
        _wait_ready(self)

    def stop(self) -> None:
        for process in (self.session, self.process, self.bus):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(self.runtime, ignore_errors=True)


def start_pipewire() -> PipeWireServer:
    missing = missing_pipewire_tools()
    if missing:
        raise RuntimeError(f"PipeWire tools missing: {', '.join(missing)} (install pipewire pipewire-bin "
                           "pipewire-jack wireplumber dbus jackd2)")  # fmt: skip
    name = f"continuo-pw-{uuid.uuid4().hex[:8]}"
    runtime = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    runtime.chmod(0o700)
    env = dict(
        os.environ,
        XDG_RUNTIME_DIR=str(runtime),
        XDG_STATE_HOME=str(runtime / "state"),
        JACK_DEFAULT_SERVER=name,  # no JACK server has this name: PipeWire serves
        JACK_NO_START_SERVER="1",
        PYTHONUNBUFFERED="1",
    )
    bus = subprocess.Popen(  # its stderr: a warning that a non-root limit could not be raised
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert bus.stdout is not None
    env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().decode().strip()
    log = runtime / "pipewire.log"
    pipewire, session = _launch(env, log)
    server = PipeWireServer(name, env, pipewire, log, ("pw-jack",), runtime, bus, session)
    _wait_ready(server)
    return server


def _launch(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    with log.open("ab") as output:
        pipewire = subprocess.Popen(["pipewire"], env=env, stdout=output, stderr=subprocess.STDOUT)
        socket = Path(env["XDG_RUNTIME_DIR"]) / "pipewire-0"
        deadline = time.monotonic() + 10
        while not socket.is_socket() and time.monotonic() < deadline and pipewire.poll() is None:
            time.sleep(0.02)
        session = subprocess.Popen(["wireplumber"], env=env, stdout=output, stderr=subprocess.STDOUT)
    return pipewire, session


def _wait_ready(server: PipeWireServer) -> None:
    """Until a JACK client can connect (`jack_lsp` answers)."""
    deadline = time.monotonic() + 10
    while subprocess.run(
        [*server.tools, "jack_lsp"], env=server.env, capture_output=True, timeout=10
    ).returncode != 0:  # fmt: skip
        if server.process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise AssertionError(f"PipeWire did not start (exit code {server.process.poll()}): {server.log}")
        time.sleep(0.05)
