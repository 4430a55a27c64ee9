"""MIDI ports through mido on python-rtmidi: which MIDI system to use, listing, opening.

`auto` picks the platform's API: ALSA on Linux, or JACK if a server runs and ALSA is absent,
CoreMIDI on macOS, Windows MultiMedia on Windows (which has no virtual ports: use loopMIDI).
When no MIDI system answers, the error says so in one line with the fix for this platform.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from continuo.live.errors import ContinuoError
from continuo.live.midi_io import jack_library
from continuo.live.midi_io.queued_input import QUEUE_SIZE

# The one table of MIDI systems: the name `--backend` takes -> python-rtmidi's API name (rtmidi.API_<name>).
BACKENDS = {"alsa": "LINUX_ALSA", "jack": "UNIX_JACK", "coremidi": "MACOSX_CORE", "windows": "WINDOWS_MM"}
BACKEND_NAMES = ("auto", *BACKENDS)
JACK_API = BACKENDS["jack"]
DEFAULT_PORT_NAME = "Continuo"
PIPEWIRE_JACK_MISSING = (
    "PipeWire is running but its JACK library is not installed; install it "
    "(Debian/Ubuntu: sudo apt-get install pipewire-jack; Fedora: sudo dnf install pipewire-jack-audio-connection-kit)"
)


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


def platform_backends(platform: str = sys.platform) -> tuple[str, ...]:
    """The backends `auto` tries on this platform, in order: the platform's own, then JACK where it runs."""
    if platform.startswith("linux"):
        return ("alsa", "jack")
    if platform == "darwin":
        return ("coremidi", "jack")
    return ("windows",)


def rtmidi_module() -> Any:
    """python-rtmidi, imported once this process's libjack is chosen (live/midi_io/jack_library.py)."""
    jack_library.prepare()
    import rtmidi

    return rtmidi


def _api_id(api: str) -> int:
    rtmidi = rtmidi_module()
    api_id: int = getattr(rtmidi, f"API_{api}")
    return api_id


def api_answers(api: str) -> bool:
    """True if a client of this rtmidi API can be created now (the MIDI system is up)."""
    rtmidi = rtmidi_module()

    api_id = _api_id(api)
    if api_id not in rtmidi.get_compiled_api():
        return False
    if api == JACK_API:
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
            if api == JACK_API and jack_library.chosen() == jack_library.PIPEWIRE_WITHOUT_LIBRARY:
                raise NoMidiSystemError(f"--backend {requested}: {PIPEWIRE_JACK_MISSING}")
            what = "no JACK server is running" if api == JACK_API else f"the {requested} MIDI system is not available"
            raise NoMidiSystemError(f"--backend {requested}: {what}; {no_midi_system_fix(platform)}")
        return api
    for name in platform_backends(platform):
        if api_answers(BACKENDS[name]):
            return BACKENDS[name]
    if jack_library.chosen() == jack_library.PIPEWIRE_WITHOUT_LIBRARY:
        raise NoMidiSystemError(f"no MIDI system to open a port on: {PIPEWIRE_JACK_MISSING}")
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

    jack_library.prepare()  # mido's rtmidi backend imports rtmidi

    if api == JACK_API:
        _prepare_jack()
    return mido.Backend(f"mido.backends.rtmidi/{api}", load=True)


def list_ports(api: str) -> PortListing:
    backend = _mido_backend(api)
    with quiet_native_stderr():
        return PortListing(backend_label(api), list(backend.get_input_names()), list(backend.get_output_names()))


def match_port(wanted: str, names: list[str]) -> str | None:
    """Exact name, else the one name containing `wanted` (case-insensitive); ALSA adds client:port numbers."""
    if wanted in names:
        return wanted
    containing = [name for name in names if wanted.lower() in name.lower()]
    return containing[0] if len(containing) == 1 else None


class OutputPort:
    """An rtmidi output; `send` takes mido messages."""

    def __init__(self, client: Any, name: str, existing: bool = False) -> None:
        rtmidi = rtmidi_module()

        self._client = client
        self.name = name
        self.existing = existing  # connected to another program's port, not a virtual port of ours
        self._port_errors = (rtmidi.RtMidiError, OSError)

    def send(self, message: Any) -> None:
        """Raises OSError when the port fails, whatever rtmidi raised, so a failing port is told apart
        from a bug (live/engine/scheduler.py)."""
        try:
            self._client.send_message(message.bytes())
        except self._port_errors as error:
            raise OSError(f"{self.name}: {error}") from error

    def present(self) -> bool:
        """The existing port this one is connected to is still listed (a virtual port always is: it is ours),
        asked of this port's own client: another JACK client in this process may hang (input_relay.py)."""
        if not self.existing:
            return True
        try:
            return self.name in self._client.get_ports()
        except Exception:  # the MIDI system itself is gone
            return False

    def close(self) -> None:
        self._client.close_port()
        self._client.delete()


def _open_client(
    api: str,
    kind: str,
    virtual_name: str,
    existing: str | None,
    client_name: str,
    prepare: Callable[[Any], None] | None = None,
) -> tuple[Any, str]:
    """One rtmidi client with its port open: virtual, or connected to the existing port `existing`.

    Ports are listed on that same client: no throw-away clients (mido's listing makes two), which
    with JACK sometimes hung the *next* client created in the process (its cycle never finished).
    """
    rtmidi = rtmidi_module()

    label = backend_label(api)
    if api == JACK_API:
        _prepare_jack()
    if existing is None and api == BACKENDS["windows"]:
        raise PortError(f"Windows has no virtual MIDI ports: {no_midi_system_fix('win32')}")
    try:
        with quiet_native_stderr():
            if kind == "input":
                client = rtmidi.MidiIn(rtapi=_api_id(api), name=client_name, queue_size_limit=QUEUE_SIZE)
            else:
                client = rtmidi.MidiOut(rtapi=_api_id(api), name=client_name)
    except Exception as error:
        raise PortError(f"cannot open a {label} MIDI client: {error}") from None
    if prepare is not None:
        prepare(client)
    try:
        if existing is None:
            with quiet_native_stderr():
                client.open_virtual_port(virtual_name)
            return client, f"{client_name}:{virtual_name}" if api == JACK_API else virtual_name
        names = client.get_ports()
        match = match_port(existing, names)
        if match is None:
            listed = ", ".join(repr(n) for n in names) or "none"
            raise PortError(f"no {kind} port {existing!r} on {label}; {kind} ports are: {listed}")
        with quiet_native_stderr():
            client.open_port(names.index(match), virtual_name)
        return client, match
    except PortError:
        client.delete()
        raise
    except Exception as error:
        client.delete()
        raise PortError(f"cannot open {kind} port {existing or virtual_name!r} on {label}: {error}") from None


def open_output(api: str, virtual_name: str | None = None, existing: str | None = None) -> OutputPort:
    """A virtual output port named `virtual_name`, or the existing port `existing` (exact or unique part)."""
    name = virtual_name or DEFAULT_PORT_NAME
    client, opened = _open_client(api, "output", name, existing, name if existing is None else DEFAULT_PORT_NAME)
    return OutputPort(client, opened, existing is not None)


def open_queued_input(api: str, virtual_name: str, existing: str | None) -> tuple[Any, str]:
    """Open an input port (virtual, or connected to `existing`) that queues every message in RtMidi.

    No callback and no filter: read it with live/midi_io/queued_input.py's `QueuedInput`, which says why.
    Returns the rtmidi client and the port's name; keep the client referenced while the port is wanted
    (the input relay, live/midi_io/input_relay.py, keeps it for the life of its process).
    """
    client_name = virtual_name if existing is None else f"{DEFAULT_PORT_NAME} In"
    return _open_client(api, "input", virtual_name, existing, client_name, _keep_everything)


def _keep_everything(client: Any) -> None:
    client.ignore_types(sysex=False, timing=False, active_sense=False)
