"""A private JACK server on the dummy driver, for machines with no MIDI system at all (`--start-jack`).

It gives real virtual ports with no sound card: a synth or DAW on the same server can connect,
and the notes are printed so the demo is visibly alive. The server runs in its own session so
a Ctrl-C in the terminal reaches Continuo first, which silences its notes before stopping it.
The benchmarks' and the JACK tests' servers start from the same dummy-driver command line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from continuo.live.midi_io.ports import JACK_API, NoMidiSystemError, api_answers

START_TIMEOUT_SECONDS = 10.0
INSTALL_HINT = "install it (Debian/Ubuntu: sudo apt-get install --no-install-recommends jackd2)"
# 64-frame periods at 48 kHz: JACK delivers MIDI events on a 1.33 ms grid.
SAMPLE_RATE = 48000
PERIOD = 64


def dummy_server_command(jackd: str, name: str, realtime: bool) -> list[str]:
    """The jackd command line of a server named `name` on the dummy driver (no sound card needed)."""
    scheduling = [] if realtime else ["--no-realtime"]
    return [jackd, *scheduling, "-n", name, "-d", "dummy", "-r", str(SAMPLE_RATE), "-p", str(PERIOD)]


class PrivateJackServer:
    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"continuo-{os.getpid()}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        jackd = shutil.which("jackd")
        if jackd is None:
            raise NoMidiSystemError(f"--start-jack: jackd is not installed; {INSTALL_HINT}")
        self.process = subprocess.Popen(
            dummy_server_command(jackd, self.name, realtime=False),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        os.environ["JACK_DEFAULT_SERVER"] = self.name
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NoMidiSystemError(f"--start-jack: jackd exited at once (code {self.process.returncode})")
            if api_answers(JACK_API):
                return
            time.sleep(0.05)
        self.stop()
        raise NoMidiSystemError(f"--start-jack: jackd did not answer within {START_TIMEOUT_SECONDS:g} s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
