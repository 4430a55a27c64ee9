"""A private JACK server on the dummy driver and a frame-accurate reading client, for `jack` tests.

The reader is JACK's own `jack_midi_dump -a`: every event with the absolute frame at which it
reached the port, the best witness there is of what a synth on the port would have received.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import mido
import pytest

SAMPLE_RATE = 48000
PERIOD = 64


def require_jack() -> None:
    """Skip where JACK is not installed, unless CI says it must be (then a missing jackd is a failure)."""
    missing = [tool for tool in ("jackd", "jack_midi_dump", "jack_lsp", "jack_connect") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CONTINUO_REQUIRE_JACK") == "1":
            pytest.fail(f"JACK tools missing: {', '.join(missing)} (install jackd2)")
        pytest.skip(f"JACK tools missing: {', '.join(missing)}")


@dataclass
class JackServer:
    name: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def late_clients(self) -> Counter[str]:
        """Clients jackd reported as late ("was not finished", an xrun) so far, with how often."""
        text = self.log.read_text(errors="replace")
        return Counter(line.split("client = ")[1].split()[0] for line in text.splitlines() if "not finished" in line)

    def ports(self) -> list[str]:
        result = subprocess.run(["jack_lsp"], env=self.env, capture_output=True, text=True, timeout=10)
        return result.stdout.split("\n") if result.returncode == 0 else []

    def wait_for_port(self, port: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while port not in self.ports():
            if time.monotonic() > deadline:
                raise AssertionError(f"JACK port {port} did not appear; ports: {self.ports()}")
            time.sleep(0.02)

    def connect(self, source: str, destination: str) -> None:
        subprocess.run(["jack_connect", source, destination], env=self.env, check=True, timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.unlink(missing_ok=True)


@dataclass(frozen=True)
class Received:
    frame: int
    message: mido.Message

    @property
    def seconds(self) -> float:
        return self.frame / SAMPLE_RATE


class Reader:
    """`jack_midi_dump -a CLIENT`, line-buffered into a file the test can read at any moment."""

    def __init__(self, server: JackServer, folder: Path, client: str) -> None:
        self.port = f"{client}:input"
        self.path = folder / f"{client}.txt"
        self.stream = self.path.open("wb")
        self.process = subprocess.Popen(
            ["stdbuf", "-oL", "jack_midi_dump", "-a", client],
            env=server.env,
            stdout=self.stream,
            stderr=subprocess.STDOUT,
        )
        server.wait_for_port(self.port)

    def received(self) -> list[Received]:
        found = []
        for line in self.path.read_text(errors="replace").splitlines():
            head, _, rest = line.partition(":")
            if not head.strip().isdigit():
                continue
            data = []
            for word in rest.split():
                if len(word) != 2:
                    break
                try:
                    data.append(int(word, 16))
                except ValueError:
                    break
            if data:
                found.append(Received(int(head), mido.Message.from_bytes(data)))
        return found

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=5)
        self.stream.close()


class MonotonicReader:
    """tests/live/monotonic_reader.py as a process: arrival times on the engine's own clock."""

    def __init__(self, server: JackServer, folder: Path, client: str = "monotonic") -> None:
        self.port = f"{client}:in"
        self.path = folder / f"{client}.json"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.live.monotonic_reader", str(self.path), client],
            env=server.env,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert self.process.stdout is not None and self.process.stdout.readline().strip() == "ready"
        server.wait_for_port(self.port)

    def stop(self) -> list[tuple[float, mido.Message]]:
        return [(stamp, mido.Message.from_bytes(data)) for stamp, data in self.stop_raw()]

    def stop_raw(self) -> list[tuple[float, list[int]]]:
        """Stop; every event as the bytes JACK delivered (a flood's garbage included)."""
        self.process.terminate()
        self.process.wait(timeout=10)
        return [(stamp, data) for stamp, data in json.loads(self.path.read_text())]


Score = list[tuple[float, mido.Message | list[int]]]


def phrase(pitches: list[int], at: float = 0.0, on: float = 0.15, off: float = 0.05, velocity: int = 90) -> Score:
    """Single notes, `on` seconds each with `off` seconds between, starting `at` seconds in."""
    score: Score = []
    for index, pitch in enumerate(pitches):
        start = at + index * (on + off)
        score.append((start, mido.Message("note_on", note=pitch, velocity=velocity)))
        score.append((start + on, mido.Message("note_off", note=pitch)))
    return score


class Performer:
    """tests/live/performer_client.py as a process: plays a score into a port, reports when it sent each."""

    port = "performer:out"

    def __init__(self, server: JackServer, folder: Path, score: Score) -> None:
        self.server, self.folder = server, folder
        timed = [(at, m.bytes() if isinstance(m, mido.Message) else list(m)) for at, m in sorted(score, key=_at)]
        self.messages = timed
        (folder / "score.json").write_text(json.dumps(timed))
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.live.performer_client",
                str(folder / "score.json"),
                str(folder / "sent.json"),
            ],
            env=server.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert self.process.stdout is not None and self.process.stdout.readline().strip() == "ready"

    def connect(self, destination: str) -> None:
        self.server.wait_for_port(destination)
        self.server.connect(self.port, destination)

    def perform(self) -> list[float]:
        """Play the score now; returns the monotonic send time of each message, in score order."""
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        self.process.wait(timeout=120)
        stamps: list[float] = json.loads((self.folder / "sent.json").read_text())
        return stamps


def _at(item: tuple[float, object]) -> float:
    return item[0]


def start_server() -> JackServer:
    require_jack()
    name = f"continuo-test-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, JACK_DEFAULT_SERVER=name, JACK_NO_START_SERVER="1", PYTHONUNBUFFERED="1")
    log = Path(tempfile.gettempdir()) / f"{name}.log"
    with log.open("wb") as output:  # jackd keeps its own descriptor
        process = subprocess.Popen(
            ["jackd", "-n", name, "-d", "dummy", "-r", str(SAMPLE_RATE), "-p", str(PERIOD)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = JackServer(name, env, process, log)
    deadline = time.monotonic() + 10
    while not server.ports():
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise AssertionError(f"jackd did not start (exit code {process.poll()})")
        time.sleep(0.05)
    return server


def continuo(*args: str) -> list[str]:
    return [sys.executable, "-m", "continuo.live", *args]
