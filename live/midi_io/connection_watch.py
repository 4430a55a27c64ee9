"""A virtual output held shut until something connects to it, which then hears a cleanup before any note.

After a crash, a synth may still sound the notes a killed run left on its virtual port. The new run's
port is new: nobody is connected when it opens, so a cleanup sent at once would reach nobody. The gate
drops what the scheduler sends (nobody hears an unconnected port anyway) while a thread polls the port's
connections; at the first connection it sends the cleanup through the port and opens, both under its
lock, so the cleanup precedes every later message on that connection.

Connections are asked of `jack_lsp -c PORT`, a separate process on the server JACK_DEFAULT_SERVER names:
a second JACK client inside the engine's process could hang (see live/midi_io/input_relay.py). Each poll
is a client joining and leaving the server, so the polls slow down from a quarter of a second to two
seconds while nobody connects, and stop once someone has. ALSA and CoreMIDI connections are not watched:
there, and where jack_lsp is missing, the cleanup goes out at once. Where jack_lsp cannot tell (it fails, or
does not list the port under the name rtmidi reported) several polls in a row, the gate opens too: a gate
that never opened would silence the run for good.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from typing import Any

from continuo.live.midi_io.ports import JACK_API

POLL_FIRST_SECONDS = 0.25
POLL_MAX_SECONDS = 2.0
POLL_GROWTH = 1.5
LSP_TIMEOUT_SECONDS = 5.0
CLOSE_WAIT_SECONDS = 1.0
UNKNOWN_LIMIT = 5  # polls in a row that cannot tell (about 3 s) before the gate opens anyway

# Who is connected to a port: a list of port names, or None when that cannot be told.
Connected = Callable[[str], list[str] | None]


def jack_connections(port_name: str) -> list[str] | None:
    """The ports connected to `port_name` per `jack_lsp -c`; None if jack_lsp fails or does not list the port."""
    jack_lsp = shutil.which("jack_lsp")
    if jack_lsp is None:
        return None
    try:
        result = subprocess.run(
            [jack_lsp, "-c", port_name], capture_output=True, text=True, timeout=LSP_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    # jack_lsp prints each port name at the start of a line, and its connections indented under it.
    listed, inside, connected = False, False, []
    for line in result.stdout.splitlines():
        if line[:1].isspace():
            if inside and line.strip():
                connected.append(line.strip())
        else:
            inside = line == port_name
            listed = listed or inside
    return connected if listed else None


def connection_watcher(api: str | None) -> Connected | None:
    """How to ask who is connected to a port of `api`, or None where connections cannot be watched."""
    if api == JACK_API and shutil.which("jack_lsp") is not None:
        return jack_connections
    return None


class GatedOutput:
    """An output port that drops every message until its first connection, then sends `cleanup` and opens.

    Same surface as live/midi_io/ports.py's OutputPort (`send`, `name`, `close`). `on_open` runs on the
    watching thread once the cleanup has gone out (or failed: then the engine's next send meets the
    failure as usual). Other attributes (`present`, `existing`...) are the port's.
    """

    def __init__(
        self,
        port: Any,
        cleanup: Sequence[Any],
        connected: Connected,
        on_open: Callable[[BaseException | None], None] = lambda failure: None,
        poll_first: float = POLL_FIRST_SECONDS,
        poll_max: float = POLL_MAX_SECONDS,
    ) -> None:
        self.port = port
        self._cleanup = list(cleanup)
        self._connected = connected
        self._on_open = on_open
        self._poll_first, self._poll_max = poll_first, poll_max
        self._lock = threading.Lock()
        self._open = False  # set once, under the lock, after the cleanup: read without the lock by `send`
        self._closed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="continuo-connection-watch", daemon=True)

    @property
    def name(self) -> str:
        name: str = self.port.name
        return name

    @property
    def is_open(self) -> bool:
        return self._open

    def __getattr__(self, name: str) -> Any:
        if name == "port":  # not set yet (a copy or an unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.port, name)

    def swap(self, port: Any) -> Any:
        """Send to `port` from now on (the same port, opened again); returns the old one to close or abandon.
        A cleanup still pending goes to the new port's first connection."""
        with self._lock:
            old, self.port = self.port, port
        return old

    def start(self) -> None:
        self._thread.start()

    def send(self, message: Any) -> None:
        if self._open:  # the cleanup is out: no lock on the scheduler's path from here on
            self.port.send(message)
            return
        with self._lock:
            if self._open:
                self.port.send(message)
            # else: dropped, nobody is connected to hear it

    def open_now(self) -> None:
        """Send the cleanup and open, whoever is connected (where connections cannot be watched)."""
        with self._lock:
            if self._open or self._closed:
                return
            failure: BaseException | None = None
            try:
                for message in self._cleanup:
                    self.port.send(message)
            except Exception as error:  # the engine's own sends will meet the same failure
                failure = error
            self._open = True
        self._on_open(failure)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(CLOSE_WAIT_SECONDS)
        with self._lock:
            self._closed = True
            self.port.close()

    def _watch(self) -> None:
        wait, unknown = self._poll_first, 0
        while not self._stop.is_set():
            connected = self._connected(self.name)
            unknown = unknown + 1 if connected is None else 0
            if connected or unknown >= UNKNOWN_LIMIT:
                self.open_now()
                return
            self._stop.wait(wait)
            wait = min(wait * POLL_GROWTH, self._poll_max)
