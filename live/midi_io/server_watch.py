"""Noticing that the JACK server, or PipeWire serving JACK clients, went away or was restarted.

Sending into a dead client never fails, and a dead client's port listing is just empty, so the server
must be asked. `ServerWatch.alive()` knocks on the server's UNIX socket: about 0.1 ms, outside the
interpreter lock (creating a JACK client each time would hold that lock for milliseconds and delay the
scheduler's notes). A server restarted between two knocks is a new server for the clients of the old
one, and is told apart from the one the watch began with by the socket file (a new file: another inode
or change time; PipeWire's new socket often reuses the inode) and by the process that answers the knock
(SO_PEERCRED). On PipeWire the socket may outlive the server: desktops start PipeWire from a systemd
socket, which systemd keeps open and answers for. So there the watch also holds a JACK client of its
own, with no ports, whose shutdown callback PipeWire's libjack calls the moment the server goes.
Other MIDI systems report failures when sending, so they need no watch.
"""

from __future__ import annotations

import ctypes
import os
import threading
from pathlib import Path

from continuo.live.midi_io import jack_library
from continuo.live.midi_io.jack_library import socket_identity
from continuo.live.midi_io.ports import JACK_API

NO_START_SERVER = 0x01  # JackNoStartServer: never start a server to watch it
ShutdownCallback = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class ServerWatch:
    def __init__(self, api: str | None) -> None:
        self.socket: Path | None = None
        self._identity: tuple[int, int, int] | None = None
        self._shutdown: ShutdownWatch | None = None
        if api != JACK_API or not hasattr(os, "getuid"):
            return
        pipewire = jack_library.pipewire()
        on_pipewire = pipewire is not None
        candidate = jack_library.pipewire_socket() if on_pipewire else jack_library.jack_socket()
        identity = None if candidate is None else socket_identity(candidate)
        if identity is not None:  # else another layout: the socket cannot be watched
            self.socket, self._identity = candidate, identity
        self._library = pipewire

    def listen_for_shutdown(self) -> None:
        """On PipeWire, also hold a client that hears the server go. Only for the watch a run keeps (a client per
        watch, never closed): not for the watches that only ask whether a server is back."""
        if self._library is not None and self._shutdown is None:
            self._shutdown = ShutdownWatch(self._library)
            _KEPT.append(self._shutdown)  # libjack keeps its callback for the life of the process: so must we

    def alive(self) -> bool:
        if self._shutdown is not None and self._shutdown.gone.is_set():
            return False
        return self.socket is None or socket_identity(self.socket) == self._identity


_KEPT: list[ShutdownWatch] = []


class ShutdownWatch:
    """A JACK client with no ports on PipeWire's libjack, whose shutdown callback sets `gone`.

    PipeWire runs the callback on its own thread the moment the server goes (a JACK client must be activated
    for it to be called). The client is never closed: closing a client whose server died blocks for about a
    second in PipeWire's libjack, and kills the process in JACK 2's. Where it cannot be opened, `gone` is
    never set and the socket alone is watched."""

    def __init__(self, library: ctypes.CDLL) -> None:
        self.gone = threading.Event()
        self._callback = ShutdownCallback(lambda _argument: self.gone.set())  # referenced as long as the client
        library.jack_client_open.restype = ctypes.c_void_p
        library.jack_client_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
        status = ctypes.c_int(0)
        self._client = library.jack_client_open(b"continuo-watch", NO_START_SERVER, ctypes.byref(status))
        if self._client:
            library.jack_on_shutdown.argtypes = [ctypes.c_void_p, ShutdownCallback, ctypes.c_void_p]
            library.jack_on_shutdown(self._client, self._callback, None)
            library.jack_activate.argtypes = [ctypes.c_void_p]
            library.jack_activate(self._client)
