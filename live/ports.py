"""MIDI ports through mido on python-rtmidi: which MIDI system to use, listing, opening (DESIGN.md §5).

`auto` picks the platform's API: ALSA on Linux, or JACK if a server runs and ALSA is absent,
CoreMIDI on macOS, Windows MultiMedia on Windows (which has no virtual ports: use loopMIDI).
When no MIDI system answers, the error says so in one line with the fix for this platform.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from continuo.live.errors import ContinuoError

BACKENDS = {"alsa": "LINUX_ALSA", "jack": "UNIX_JACK", "coremidi": "MACOSX_CORE", "windows": "WINDOWS_MM"}
BACKEND_NAMES = ("auto", *BACKENDS)
DEFAULT_PORT_NAME = "Continuo"
JACK_SOCKET_FOLDER = "/dev/shm"  # where JACK 2 keeps its server sockets on Linux


class PortError(ContinuoError):
    """A port or MIDI system that cannot be used; the message names it and what exists."""


class NoMidiSystemError(PortError):
    """No MIDI system answers on this machine (no ALSA sequencer, no JACK server...)."""


@contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence what ALSA and libjack print on file descriptor 2 while probing; Python errors stay ours."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _prepare_jack() -> None:
    # libjack would otherwise try to start a server with the default (hardware) driver and fail noisily.
    os.environ.setdefault("JACK_NO_START_SERVER", "1")


def _api_ids() -> dict[str, int]:
    import rtmidi

    return {
        "LINUX_ALSA": rtmidi.API_LINUX_ALSA,
        "UNIX_JACK": rtmidi.API_UNIX_JACK,
        "MACOSX_CORE": rtmidi.API_MACOSX_CORE,
        "WINDOWS_MM": rtmidi.API_WINDOWS_MM,
    }


def api_answers(api: str) -> bool:
    """True if a client of this rtmidi API can be created now (the MIDI system is up)."""
    import rtmidi

    api_id = _api_ids()[api]
    if api_id not in rtmidi.get_compiled_api():
        return False
    if api == "UNIX_JACK":
        _prepare_jack()
    try:
        with quiet_native_stderr():
            client = rtmidi.MidiOut(rtapi=api_id)
            client.delete()
        return True
    except Exception:
        return False


def no_midi_system_fix(platform: str = sys.platform) -> str:
    if platform.startswith("linux"):
        return (
            "load the ALSA sequencer (sudo modprobe snd-seq), or start a JACK server "
            "(jackd -d dummy &, package jackd2), or pass --start-jack to start a private one"
        )
    if platform == "darwin":
        return "CoreMIDI should always be there: check Audio MIDI Setup, or pass --backend jack with a JACK server"
    return "create a port with loopMIDI (or another virtual cable) and pass --output-port 'loopMIDI Port'"


def choose_backend(requested: str, platform: str = sys.platform) -> str:
    """The rtmidi API name for `requested` (auto or a backend name), checked to answer now."""
    if requested != "auto":
        api = BACKENDS[requested]
        if not api_answers(api):
            what = {"UNIX_JACK": "no JACK server is running"}.get(api, f"the {requested} MIDI system is not available")
            raise NoMidiSystemError(f"--backend {requested}: {what}; {no_midi_system_fix(platform)}")
        return api
    if platform.startswith("linux"):
        candidates = ["LINUX_ALSA", "UNIX_JACK"]
    elif platform == "darwin":
        candidates = ["MACOSX_CORE", "UNIX_JACK"]
    else:
        candidates = ["WINDOWS_MM"]
    for api in candidates:
        if api_answers(api):
            return api
    absent = "no ALSA sequencer (/dev/snd/seq) and no JACK server" if platform.startswith("linux") else "none"
    raise NoMidiSystemError(f"no MIDI system to open a port on ({absent}): {no_midi_system_fix(platform)}")


def backend_label(api: str) -> str:
    return {v: k for k, v in BACKENDS.items()}.get(api, api)


@dataclass(frozen=True)
class PortListing:
    backend: str
    inputs: list[str]
    outputs: list[str]


def _mido_backend(api: str) -> Any:
    import mido

    if api == "UNIX_JACK":
        _prepare_jack()
    return mido.Backend(f"mido.backends.rtmidi/{api}", load=True)


def list_ports(api: str) -> PortListing:
    backend = _mido_backend(api)
    with quiet_native_stderr():
        return PortListing(backend_label(api), list(backend.get_input_names()), list(backend.get_output_names()))


def _match_port(wanted: str, names: list[str]) -> str | None:
    """Exact name, else the one name containing `wanted` (case-insensitive); ALSA adds client:port numbers."""
    if wanted in names:
        return wanted
    containing = [name for name in names if wanted.lower() in name.lower()]
    return containing[0] if len(containing) == 1 else None


def open_output(api: str, virtual_name: str | None = None, existing: str | None = None) -> Any:
    """A virtual output port named `virtual_name`, or the existing port `existing` (exact or unique part)."""
    backend = _mido_backend(api)
    label = backend_label(api)
    if existing is not None:
        names = list_ports(api).outputs
        match = _match_port(existing, names)
        if match is None:
            listed = ", ".join(repr(n) for n in names) or "none"
            raise PortError(f"no output port {existing!r} on {label}; output ports are: {listed}")
        try:
            with quiet_native_stderr():
                return backend.open_output(match)
        except Exception as error:
            raise PortError(f"cannot open output port {match!r} on {label}: {error}") from None
    if api == "WINDOWS_MM":
        raise PortError(f"Windows has no virtual MIDI ports: {no_midi_system_fix('win32')}")
    name = virtual_name or DEFAULT_PORT_NAME
    try:
        with quiet_native_stderr():
            return backend.open_output(name, client_name=name)
    except Exception as error:
        raise PortError(f"cannot create virtual output port {name!r} on {label}: {error}") from None


def open_input(api: str, virtual_name: str | None, existing: str | None, callback: Callable[[Any], None]) -> Any:
    """A virtual input port named `virtual_name`, or the existing port `existing`, calling `callback`."""
    backend = _mido_backend(api)
    label = backend_label(api)
    if existing is not None:
        names = list_ports(api).inputs
        match = _match_port(existing, names)
        if match is None:
            listed = ", ".join(repr(n) for n in names) or "none"
            raise PortError(f"no input port {existing!r} on {label}; input ports are: {listed}")
        try:
            with quiet_native_stderr():
                return backend.open_input(match, callback=callback)
        except Exception as error:
            raise PortError(f"cannot open input port {match!r} on {label}: {error}") from None
    if api == "WINDOWS_MM":
        raise PortError(f"Windows has no virtual MIDI ports: {no_midi_system_fix('win32')}")
    name = virtual_name or f"{DEFAULT_PORT_NAME} In"
    try:
        with quiet_native_stderr():
            return backend.open_input(name, client_name=name, callback=callback)
    except Exception as error:
        raise PortError(f"cannot create virtual input port {name!r} on {label}: {error}") from None


class ServerWatch:
    """Notices a JACK server going away (sending to a dead server does not fail, so it must be asked).

    It knocks on the server's UNIX socket: about 0.1 ms, outside the interpreter lock. Creating a
    JACK client to ask would hold that lock for milliseconds and delay the scheduler's notes.
    Other MIDI systems report failures when sending, so they need no watch.
    """

    def __init__(self, api: str | None) -> None:
        self.socket: Path | None = None
        if api == "UNIX_JACK" and hasattr(os, "getuid"):
            name = os.environ.get("JACK_DEFAULT_SERVER", "default")
            candidate = Path(JACK_SOCKET_FOLDER) / f"jack_{name}_{os.getuid()}_0"
            self.socket = candidate if candidate.exists() else None  # another layout: cannot watch

    def alive(self) -> bool:
        if self.socket is None:
            return True
        knock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        knock.settimeout(0.5)
        try:
            knock.connect(str(self.socket))
            return True
        except OSError:
            return False
        finally:
            knock.close()
