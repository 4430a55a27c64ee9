"""Which libjack python-rtmidi talks through: its own, for a JACK server; PipeWire's, where PipeWire serves JACK.

The python-rtmidi wheel carries its own libjack, found through the extension's RPATH under a mangled name,
so neither `pw-jack` (LD_LIBRARY_PATH) nor a distribution that installs PipeWire's libjack as the system's
reaches it, and that copy only talks to a JACK server. But the dynamic linker binds each `jack_*` symbol
of the extension to the first library in the process's global scope that defines it: a libjack loaded
there before rtmidi is imported wins every binding, and the bundled copy is never called. So `prepare()`
runs before the first import of rtmidi in each process (live/midi_io/ports.py `rtmidi_module`): where no
JACK server of the chosen name is running and PipeWire is, it loads PipeWire's libjack globally. With a
JACK server running, or on another system, nothing changes.

PipeWire's libjack talks only to PipeWire (it ignores JACK_DEFAULT_SERVER), so it is never loaded blindly.
"""

from __future__ import annotations

import ctypes
import glob
import os
import socket
import struct
import sys
from pathlib import Path

JACK_SOCKET_FOLDER = "/dev/shm"  # where JACK 2 keeps its server sockets on Linux
# Where distributions put PipeWire's libjack when it is not the system's: Debian, Ubuntu and Raspberry Pi OS
# in a folder per multiarch triplet, Fedora in lib64, Arch in lib. Tried after `libjack.so.0` itself, which
# is PipeWire's under `pw-jack` and where the distribution makes PipeWire the JACK provider.
PIPEWIRE_JACK_PATTERNS = ("/usr/lib/*/pipewire-0.3/jack", "/usr/lib64/pipewire-0.3/jack", "/usr/lib/pipewire-0.3/jack")
PEER_CREDENTIALS = struct.Struct("3i")  # struct ucred: pid, uid, gid
JACK = "jack"  # rtmidi's own libjack: a JACK server, or none at all
PIPEWIRE = "pipewire"  # PipeWire's libjack, loaded in its place
PIPEWIRE_WITHOUT_LIBRARY = "pipewire without its JACK library"
DEFAULT_QUANTUM = 64  # frames: 1.33 ms at 48 kHz, the period the JACK tests' servers run at

_chosen: str | None = None
_pipewire: ctypes.CDLL | None = None  # PipeWire's libjack, once loaded in the global scope


def jack_socket(server: str | None = None) -> Path:
    """The UNIX socket of the JACK 2 server named `server` (JACK_DEFAULT_SERVER, else "default")."""
    name = server or os.environ.get("JACK_DEFAULT_SERVER", "default")
    return Path(JACK_SOCKET_FOLDER) / f"jack_{name}_{os.getuid()}_0"


def pipewire_socket() -> Path | None:
    """PipeWire's socket as its clients find it: PIPEWIRE_REMOTE, in PIPEWIRE_RUNTIME_DIR or XDG_RUNTIME_DIR."""
    remote = os.environ.get("PIPEWIRE_REMOTE", "pipewire-0")
    if os.path.isabs(remote):
        return Path(remote)
    folder = os.environ.get("PIPEWIRE_RUNTIME_DIR") or os.environ.get("XDG_RUNTIME_DIR")
    return Path(folder) / remote if folder else None


def pipewire_serves() -> bool:
    """PipeWire is running where this process's clients would look for it, and no JACK server of our name is."""
    if not sys.platform.startswith("linux") or socket_identity(jack_socket()) is not None:
        return False  # a JACK server answers (a killed one's socket file may be left: it does not answer)
    found = pipewire_socket()
    return found is not None and socket_identity(found) is not None


def prepare(quantum: int = 0) -> str:
    """Choose the libjack for this process, once, before rtmidi is imported; which one it is (JACK, PIPEWIRE,
    or PIPEWIRE_WITHOUT_LIBRARY when PipeWire runs but its libjack is not installed).

    On PipeWire, a `quantum` (frames) asks the graph to run at that period while our clients are there.
    rtmidi writes every event at the start of the cycle after it was sent, so the period is the spread of
    the onsets: PipeWire's default 1024 frames at 48 kHz is 21 ms. A JACK client of PipeWire locks the
    quantum it found, so only forcing changes it: `node.force-quantum` on our clients (PIPEWIRE_PROPS, read
    when a client opens, inherited by the input relays). It holds for the whole graph while they run.
    """
    global _chosen, _pipewire
    if _chosen is None:
        _chosen = JACK
        if pipewire_serves():
            library = pipewire_library()
            _chosen = PIPEWIRE_WITHOUT_LIBRARY if library is None else PIPEWIRE
            if library is not None:
                _pipewire = ctypes.CDLL(library, mode=ctypes.RTLD_GLOBAL)
    if _chosen == PIPEWIRE and quantum:
        os.environ.setdefault("PIPEWIRE_PROPS", f"{{ node.force-quantum = {quantum} }}")  # the user's own wins
    return _chosen


def chosen() -> str | None:
    """What `prepare` chose in this process (None before it ran)."""
    return _chosen


def pipewire() -> ctypes.CDLL | None:
    """PipeWire's libjack where `prepare` loaded it, for clients of our own (live/midi_io/server_watch.py)."""
    return _pipewire


def pipewire_library() -> str | None:
    """The path or name of PipeWire's libjack: `libjack.so.0` if that is PipeWire's, else its own folder's."""
    folders = [folder for pattern in PIPEWIRE_JACK_PATTERNS for folder in sorted(glob.glob(pattern))]
    for candidate in ("libjack.so.0", *(f"{folder}/libjack.so.0" for folder in folders)):
        if is_pipewires(candidate):
            return candidate
    return None


def is_pipewires(library: str) -> bool:
    """The library loads (in its own scope, so nothing binds to it yet) and calls itself PipeWire's."""
    try:
        loaded = ctypes.CDLL(library, mode=ctypes.RTLD_LOCAL)
        version = loaded.jack_get_version_string
    except (OSError, AttributeError):
        return False
    version.restype = ctypes.c_char_p
    return b"PipeWire" in (version() or b"")


def socket_identity(path: Path) -> tuple[int, int, int] | None:
    """(inode, change time, answering process) of a server's socket; None if nothing answers on it."""
    try:
        found = path.stat()
    except OSError:
        return None
    knock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    knock.settimeout(0.5)
    try:
        knock.connect(str(path))
        pid = PEER_CREDENTIALS.unpack(knock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, PEER_CREDENTIALS.size))[0]
    except OSError:
        return None
    finally:
        knock.close()
    return found.st_ino, found.st_ctime_ns, pid
