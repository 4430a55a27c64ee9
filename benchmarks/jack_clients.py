"""A private JACK server on the dummy driver and the clients that witness what reaches its ports.

The benchmarks and the `jack` tests share them. `Reader` is JACK's own `jack_midi_dump -a`: every
event with the absolute frame at which it reached the port, the best witness there is of what a synth
on the port would have received. `MonotonicReader` stamps arrivals with the engine's own clock.
`recorded_messages` reads what the engine says it sent (its --record file), to compare with both.
"""

from __future__ import annotations

import atexit
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

from continuo.live.midi_io.jack_server import SAMPLE_RATE, dummy_server_command

JACK_TOOLS = ("jackd", "jack_midi_dump", "jack_lsp", "jack_connect")
ROOT = Path(__file__).resolve().parents[1]


def missing_jack_tools() -> list[str]:
    return [tool for tool in JACK_TOOLS if shutil.which(tool) is None]


@dataclass
class JackServer:
    name: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path
    tools: tuple[str, ...] = ()  # what runs a JACK tool against this server (PipeWire's: `pw-jack`)

    def late_clients(self) -> Counter[str]:
        """Clients jackd reported as late ("was not finished", an xrun) so far, with how often."""
        text = self.log.read_text(errors="replace")
        return Counter(line.split("client = ")[1].split()[0] for line in text.splitlines() if "not finished" in line)

    def ports(self) -> list[str]:
        result = subprocess.run([*self.tools, "jack_lsp"], env=self.env, capture_output=True, text=True, timeout=10)
        return result.stdout.split("\n") if result.returncode == 0 else []

    def wait_for_port(self, port: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while port not in self.ports():
            if time.monotonic() > deadline:
                raise AssertionError(f"JACK port {port} did not appear; ports: {self.ports()}")
            time.sleep(0.02)

    def connect(self, source: str, destination: str) -> None:
        subprocess.run([*self.tools, "jack_connect", source, destination], env=self.env, check=True, timeout=10)

    def kill(self) -> None:
        """End the server the hard way (a crash, an OOM kill): its clients get no warning."""
        self.process.kill()
        self.process.wait(timeout=10)

    def restart(self) -> None:
        """Start a server of the same name again (after `kill`), as a session manager or systemd would."""
        self.process = _launch(self.name, self.env, self.log)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 10
        while not self.ports():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"jackd did not start (exit code {self.process.poll()})")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.unlink(missing_ok=True)
        # libjack leaves a semaphore file per client in /dev/shm when a client or its server dies (tests
        # kill both on purpose); remove this server's, so they do not pile up over a long run of tests.
        for leftover in Path("/dev/shm").glob(f"jack_sem.*_{self.name}_*"):
            leftover.unlink(missing_ok=True)


def start_server() -> JackServer:
    """A new private server (real-time scheduling where the system allows it), its jackd output in a log."""
    missing = missing_jack_tools()
    if missing:
        raise RuntimeError(f"JACK tools missing: {', '.join(missing)} (install jackd2)")
    name = f"continuo-test-{uuid.uuid4().hex[:8]}"
    # Each server's clients keep their state (the held-notes files of `continuo play`) in a folder of its own,
    # never in the home folder of whoever runs the tests.
    state = tempfile.mkdtemp(prefix=f"{name}-state-")
    atexit.register(shutil.rmtree, state, ignore_errors=True)  # not at stop: a test may stop a server mid-run
    env = dict(
        os.environ, JACK_DEFAULT_SERVER=name, JACK_NO_START_SERVER="1", PYTHONUNBUFFERED="1", XDG_STATE_HOME=state
    )
    log = Path(tempfile.gettempdir()) / f"{name}.log"
    server = JackServer(name, env, _launch(name, env, log), log)
    server._wait_ready()
    return server


def _launch(name: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:  # jackd keeps its own descriptor
        return subprocess.Popen(
            dummy_server_command("jackd", name, realtime=True),
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@dataclass(frozen=True)
class Received:
    frame: int
    message: mido.Message

    @property
    def seconds(self) -> float:
        return self.frame / SAMPLE_RATE


class Reader:
    """`jack_midi_dump -a CLIENT`, line-buffered into a file that can be read at any moment."""

    def __init__(self, server: JackServer, folder: Path, client: str) -> None:
        self.port = f"{client}:input"
        self.path = folder / f"{client}.txt"
        self.stream = self.path.open("wb")
        self.process = subprocess.Popen(
            [*server.tools, "stdbuf", "-oL", "jack_midi_dump", "-a", client],
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
    """benchmarks/monotonic_reader.py as a process: arrival times on the engine's own clock, nothing lost.

    `callback=True` runs the old, lossy way of reading (a Python callback in JACK's thread), only to show its loss.
    """

    def __init__(self, server: JackServer, folder: Path, client: str = "monotonic", callback: bool = False) -> None:
        self.port = f"{client}:in"
        self.client = client
        self.server = server
        self.late = 0  # this witness's own cycles jackd logged unfinished while it listened (counted at the stop)
        self.path = folder / f"{client}.json"
        self.errors = folder / f"{client}.stderr"
        with self.errors.open("wb") as errors:  # the process keeps its own descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.monotonic_reader", str(self.path), client]
                + (["--callback"] if callback else []),
                env=server.env,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                cwd=ROOT,
            )
        assert self.process.stdout is not None and self.process.stdout.readline().strip() == "ready"
        server.wait_for_port(self.port)

    def stop(self) -> list[tuple[float, mido.Message]]:
        return [(stamp, mido.Message.from_bytes(data)) for stamp, data in self.stop_raw()]

    def stop_raw(self) -> list[tuple[float, list[int]]]:
        """Stop; every event as the bytes JACK delivered (a flood's garbage included)."""
        return [(stamp, data) for stamp, data, _ in self.stop_handled()]

    def stop_handled(self) -> list[tuple[float, list[int], float]]:
        """Stop; every event with its arrival time and the time the reader's Python code had it in hand.

        Raises if RtMidi said its queue overflowed: then this witness lost messages and cannot judge. Its late
        cycles are counted first: a client that exits without closing is logged late a few times as it goes."""
        self.late = self.server.late_clients()[self.client]
        self.process.terminate()
        self.process.wait(timeout=10)
        said = self.errors.read_text(errors="replace")
        if "queue limit reached" in said:
            raise AssertionError(f"witness {self.client} lost messages: its RtMidi queue overflowed")
        return [(stamp, data, handled) for stamp, data, handled in json.loads(self.path.read_text())]

    def corrections(self) -> dict[str, float]:
        """After a stop: how many arrival times the polls' bounds moved off RtMidi's chained gaps, and the largest
        move in ms: the mapping's error where the chain broke (live/midi_io/queued_input.py)."""
        found: dict[str, float] = json.loads(Path(f"{self.path}.clock").read_text())
        return found


def continuo(*args: str) -> list[str]:
    """The command line of a `continuo` process run by this interpreter."""
    return [sys.executable, "-m", "continuo.live", *args]


def recorded_messages(path: Path) -> list[tuple[float, mido.Message]]:
    """(beat, message) of a --record file."""
    midi = mido.MidiFile(path)
    beat, found = 0.0, []
    for message in midi.tracks[0]:
        beat += message.time / midi.ticks_per_beat
        if not message.is_meta:
            found.append((beat, message))
    return found
