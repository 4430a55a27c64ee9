"""The `jack` tests' side of a private JACK server: skip where JACK is missing, and a performer playing into a port.

The server and the witnesses of what reaches a port are benchmarks/jack_clients.py, shared with the benchmarks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import wave
from collections import Counter
from pathlib import Path

import mido
import numpy as np
import pytest

from benchmarks import jack_clients
from benchmarks.jack_clients import JackServer


def require_jack() -> None:
    """Skip where JACK is not installed, unless CI says it must be (then a missing jackd is a failure)."""
    missing = jack_clients.missing_jack_tools()
    if missing:
        if os.environ.get("CONTINUO_REQUIRE_JACK") == "1":
            pytest.fail(f"JACK tools missing: {', '.join(missing)} (install jackd2)")
        pytest.skip(f"JACK tools missing: {', '.join(missing)}")


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
        self.late: Counter[str] = Counter()  # set by perform()

    def connect(self, destination: str) -> None:
        self.server.wait_for_port(destination)
        self.server.connect(self.port, destination)

    def perform(self) -> list[float]:
        """Play the score now; returns the monotonic send time of each message, in score order.

        `late` then holds the JACK clients jackd logged late while every client was still there (a client
        that leaves is logged late a few times as it goes): where the performer, or the client it played to,
        was late, JACK may have dropped that cycle's events between them."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "done", "the performer client failed"
        self.late = self.server.late_clients()
        self.process.stdin.write("leave\n")
        self.process.stdin.flush()
        self.process.wait(timeout=30)
        stamps: list[float] = json.loads((self.folder / "sent.json").read_text())
        return stamps


def _at(item: tuple[float, object]) -> float:
    return item[0]


def start_server() -> JackServer:
    """A private JACK server for one test; the test skips (or, under CI, fails) where JACK is missing."""
    require_jack()
    return jack_clients.start_server()


SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def require_fluidsynth() -> None:
    """Skip where FluidSynth, its soundfont or jack_capture is missing, unless CI says they must be there."""
    missing = [tool for tool in ("fluidsynth", "jack_capture") if shutil.which(tool) is None]
    missing += [] if SOUNDFONT.is_file() else [str(SOUNDFONT)]
    if missing:
        if os.environ.get("CONTINUO_REQUIRE_FLUIDSYNTH") == "1":
            pytest.fail(f"missing: {', '.join(missing)} (install fluidsynth fluid-soundfont-gm jack-capture)")
        pytest.skip(f"missing: {', '.join(missing)}")


class FluidSynth:
    """A real General MIDI synth on the JACK server: MIDI in at `port`, audio out at `fluidsynth-midi:left/right`."""

    port = "fluidsynth-midi:midi_00"
    audio = ("fluidsynth-midi:left", "fluidsynth-midi:right")

    def __init__(self, server: JackServer) -> None:
        self.server = server
        command = ["fluidsynth", "-a", "jack", "-m", "jack", "-i", "-s", "-o", "audio.jack.autoconnect=0"]
        command += ["-o", "midi.autoconnect=0", str(SOUNDFONT)]
        self.process = subprocess.Popen(command, env=server.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server.wait_for_port(self.port)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def record(self, seconds: float, path: Path) -> np.ndarray:
        """What the synth plays during the next `seconds`, recorded by jack_capture: samples in -1..1."""
        command = ["jack_capture", "-d", f"{seconds:g}", "-b", "16", "--no-stdin"]
        for port in self.audio:
            command += ["-p", port]
        subprocess.run(
            [*command, str(path)], env=self.server.env, capture_output=True, timeout=seconds + 20, check=True
        )
        with wave.open(str(path)) as recording:
            frames = recording.readframes(recording.getnframes())
        return np.frombuffer(frames, dtype=np.int16).astype(np.float64) / 32768.0
