"""The MIDI side of a run: the output port, the input and clock relays, and a private JACK server if one
was started; opened after the request is checked and closed on every way out."""

from __future__ import annotations

import contextlib
from typing import Any

from continuo.live.interaction.listener import PerformerListener, TransportListener
from continuo.live.midi_io import jack_library
from continuo.live.midi_io.connection_watch import GatedOutput
from continuo.live.midi_io.input_relay import FrameCount, RelayedInput, open_relayed_input
from continuo.live.midi_io.ports import (
    JACK_API,
    NoMidiSystemError,
    PortError,
    backend_label,
    choose_backend,
    open_output,
)
from continuo.live.midi_io.server_watch import ServerWatch
from continuo.live.runner.request import PlayRequest
from continuo.live.timing.midi_clock import MidiClockFollower


class Connections:
    def __init__(self) -> None:
        self.port: Any = None
        # Ports whose JACK server died: closing one aborts the process inside libjack, and so would the
        # interpreter's clean-up at exit, so they stay referenced here and the process ends with os._exit.
        self.abandoned: list[Any] = []
        self._reopen: tuple[PlayRequest, PerformerListener] | None = None
        self.api: str | None = None
        self.jack: Any = None
        self.watch: ServerWatch | None = None
        self.description = "no port (recording only)"
        self.input: Any = None
        self.input_count = FrameCount()  # what the performer's port passed on, over every relay it had
        self.clock_count = FrameCount()  # the same for the clock port
        self.follower: MidiClockFollower | None = None
        self.clock_input: Any = None

    def open(self, request: PlayRequest, performer: PerformerListener, transport: TransportListener) -> None:
        """Open what `request` asks for; the listeners turn what arrives into commands."""
        try:
            self._open(request, performer, transport)
        except BaseException:
            self.close()  # never leave a private JACK server behind
            raise

    def _open(self, request: PlayRequest, performer: PerformerListener, transport: TransportListener) -> None:
        if request.output == "none":
            return
        self._reopen = request, performer
        jack_library.prepare(request.pipewire_quantum)  # before any JACK client opens
        try:
            self.api = choose_backend(request.backend)
        except NoMidiSystemError:
            if not request.start_jack or request.backend not in ("auto", "jack"):
                raise
            from continuo.live.midi_io.jack_server import PrivateJackServer

            self.jack = PrivateJackServer()
            self.jack.start()
            self.api = JACK_API
        if request.follows_clock:
            self.follower = MidiClockFollower(request.tempo)
            self.follower.connect(transport)
        for role, _ in self.relays():
            self.install_relay(role, self.start_relay(role))
        self.port = open_output(self.api, request.output_name, request.output_port)
        where = f"private JACK server {self.jack.name!r}" if self.jack else backend_label(self.api)
        self.description = f"{where} port {self.port.name!r}"
        self.watch = ServerWatch(self.api)
        self.watch.listen_for_shutdown()

    def alive(self) -> bool:
        """The output's MIDI system answers, and an existing port we send to is still there."""
        return not self.server_died() and (self.port is None or self.port.present())

    def server_died(self) -> bool:
        """The server of the port we hold died (even if a new one runs now): that port must never be closed."""
        return self.watch is not None and not self.watch.alive()

    def reopen_output(self) -> bool:
        """Open the output again (a new virtual port of the same name, or the existing port by name);
        False while that cannot be done yet. The old port is closed, or abandoned if its server died."""
        if self._reopen is None or self.api is None:
            return False
        watch = ServerWatch(self.api)
        if not watch.alive():
            return False
        request = self._reopen[0]
        try:
            port = open_output(self.api, request.output_name, request.output_port)
        except PortError:
            return False
        if isinstance(self.port, GatedOutput):  # the gate stays the engine's port; a pending cleanup follows
            old = self.port.swap(port)
        else:
            old, self.port = self.port, port
        self._let_go(old)
        self.watch = watch
        watch.listen_for_shutdown()
        return True

    def _let_go(self, port: Any) -> None:
        if port is None:
            return
        if self.server_died():
            self.abandoned.append(port)
        else:
            with contextlib.suppress(Exception):  # a port that failed may fail to close too: it is replaced anyway
                port.close()

    def relays(self) -> list[tuple[str, RelayedInput | None]]:
        """The input relays the run asked for, by role ("input", "clock"), None where one is not running now."""
        if self._reopen is None:
            return []
        request = self._reopen[0]
        wanted = [("input", self.input)] if request.listens else []
        return wanted + ([("clock", self.clock_input)] if request.follows_clock else [])

    def start_relay(self, role: str) -> RelayedInput:
        """A relay process for `role` with its port open (blocks until it answers); PortError if it cannot.
        Safe on any thread: it only reads what `open` set; `install_relay` (the engine's thread) keeps it."""
        assert self._reopen is not None and self.api is not None
        request, performer = self._reopen
        if role == "input":
            return open_relayed_input(self.api, request.input_name, request.input_port, performer, self.input_count)
        assert self.follower is not None
        name = request.clock_name or f"{request.output_name} Clock"
        return open_relayed_input(self.api, name, request.clock_port, self.follower.handle, self.clock_count)

    def install_relay(self, role: str, relay: RelayedInput) -> None:
        old = self.input if role == "input" else self.clock_input
        if old is not None:
            old.close()  # an ended relay: only its pipe is left to close
        if role == "input":
            self.input = relay
        else:
            self.clock_input = relay

    def close(self) -> None:
        for relay in (self.input, self.clock_input):
            if relay is not None:
                relay.close()
        self.input = self.clock_input = None
        self._let_go(self.port)
        self.port = None
        if self.jack is not None:
            self.jack.stop()
