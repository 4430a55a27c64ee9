"""Crash safety, while a run plays: the notes possibly sounding on its port, kept in a file.

SIGKILL, an OOM kill or a power cut sends no panic, and the synth keeps sounding what was held. So the
engine's thread keeps, per output port, a small JSON file of the (channel, pitch) the scheduler holds or
has queued to start (`Scheduler.sounding()`; notes are queued ahead of their time, so a note is in the
file before it sounds, and a note-off for a note that never sounded is harmless). The file is replaced
in one rename when that set changes (at most every MIN_WRITE_SECONDS), and removed on a clean exit.
There is no fsync per write: a rename survives SIGKILL and the OOM killer, which leave the page cache
to be written; a power cut may lose the latest write. The next start ends what such a file holds
(live/runner/left_notes.py).

Files are named from the MIDI system (for JACK, with the server's name), the port name and the pid:
runs on different ports never share a file, and neither do two live runs on one port.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from continuo.live.files import write_atomically
from continuo.live.midi_io.ports import JACK_API, backend_label

Notes = dict[int, set[int]]  # channel 0-15 -> pitches
Sounding = Callable[[], set[tuple[int, int]]]
Log = Callable[..., None]
SUFFIX = ".json"
# At most one write per this long: the notes a round places start a lookahead (0.25 s) later, so they are
# on disk before they sound, and a box on an SD card writes a few times a second, not at every note.
MIN_WRITE_SECONDS = 0.1
RETRY_SECONDS = 5.0  # after a failed write (a full disk), the next try


def state_folder(requested: Path | None, environ: dict[str, str] | None = None) -> Path:
    """--state-dir, else $XDG_STATE_HOME/continuo, else ~/.local/state/continuo."""
    if requested is not None:
        return requested
    environ = dict(os.environ) if environ is None else environ
    base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "continuo"


def midi_system(api: str, environ: dict[str, str] | None = None) -> str:
    """The MIDI system a port name belongs to: the backend, and for JACK the server (ports are per server)."""
    if api != JACK_API:
        return backend_label(api)
    environ = dict(os.environ) if environ is None else environ
    return f"jack:{environ.get('JACK_DEFAULT_SERVER') or 'default'}"


def port_stem(system: str, port_name: str) -> str:
    """The start of a port's file names: a readable slug and a short hash of the exact names."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{system}-{port_name}").strip("-")[:48] or "port"
    digest = hashlib.sha256(f"{system}\0{port_name}".encode()).hexdigest()[:10]
    return f"{slug}-{digest}"


class HeldNotesFile:
    """A duty for the engine's thread between rounds: rewrite the file when the sounding notes change."""

    def __init__(
        self,
        path: Path,
        port: str,
        system: str,
        carried: Notes,
        warn: TextIO,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path, self.port, self.system, self.warn, self.now = path, port, system, warn, now
        self.carried = carried  # an earlier run's notes not yet ended (a virtual port nobody connected to yet)
        self.sounding: Sounding = set
        self._written: frozenset[tuple[int, int]] | None = None
        self._next_write = 0.0  # monotonic seconds: writes are spaced, and retried a while after a failure
        self._warned = False

    def follow(self, sounding: Sounding) -> None:
        """Track what `sounding` (the engine's `Scheduler.sounding`) returns."""
        self.sounding = sounding

    def ended(self) -> None:
        """The carried notes are ended; from the next call on the file holds this run's notes only."""
        self.carried = {}

    def __call__(self) -> None:
        state = self._state()
        now = self.now()
        if state != self._written and now >= self._next_write:
            self._next_write = now + MIN_WRITE_SECONDS
            self._write(state)

    def _state(self) -> frozenset[tuple[int, int]]:
        carried = {(channel, pitch) for channel, pitches in self.carried.items() for pitch in pitches}
        return frozenset(self.sounding()) | carried

    def clear(self) -> None:
        """After a clean exit's panic: remove the file, unless it still carries notes nobody has ended."""
        if self.carried:
            self.sounding = set
            self._write(self._state())
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError as error:
            self._warn(error)

    def _write(self, state: frozenset[tuple[int, int]]) -> None:
        notes: dict[str, list[int]] = {}
        for channel, pitch in sorted(state):
            notes.setdefault(str(channel), []).append(pitch)
        content = {"port": self.port, "backend": self.system, "pid": os.getpid(), "notes": notes}
        text = json.dumps(content) + "\n"
        try:
            write_atomically(self.path, lambda partial: partial.write_text(text))
            self._written = state
        except OSError as error:  # a full disk or a removed folder must not stop the music: try again later
            self._next_write = self.now() + RETRY_SECONDS
            self._warn(error)

    def _warn(self, error: OSError) -> None:
        if not self._warned:
            self._warned = True
            print(f"continuo play: warning: cannot keep held notes in {self.path}: {error}", file=self.warn)
