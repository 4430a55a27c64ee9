"""A private JACK server on the dummy driver, for machines with no MIDI system at all (`--start-jack`).

It gives real virtual ports with no sound card: a synth or DAW on the same server can connect,
and the notes are printed so the demo is visibly alive. The server runs in its own session so
a Ctrl-C in the terminal reaches Continuo first, which silences its notes before stopping it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

from continuo.live.midi_io.ports import NoMidiSystemError, api_answers

START_TIMEOUT_SECONDS = 10.0
INSTALL_HINT = "install it (Debian/Ubuntu: sudo apt-get install --no-install-recommends jackd2)"


class PrivateJackServer:
    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"continuo-{os.getpid()}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        jackd = shutil.which("jackd")
        if jackd is None:
            raise NoMidiSystemError(f"--start-jack: jackd is not installed; {INSTALL_HINT}")
        command = [jackd, "--no-realtime", "-n", self.name, "-d", "dummy", "-r", "48000", "-p", "64"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        os.environ["JACK_DEFAULT_SERVER"] = self.name
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NoMidiSystemError(f"--start-jack: jackd exited at once (code {self.process.returncode})")
            if api_answers("UNIX_JACK"):
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
