"""The MIDI side of a run: the output port, the input and clock relays, and a private JACK server if one
was started; opened after the request is checked and closed on every way out."""

from __future__ import annotations

from typing import Any

from continuo.live.interaction.listener import PerformerListener, TransportListener
from continuo.live.midi_io.input_relay import open_relayed_input
from continuo.live.midi_io.ports import (
    JACK_API,
    NoMidiSystemError,
    ServerWatch,
    backend_label,
    choose_backend,
    open_output,
)
from continuo.live.runner.request import PlayRequest
from continuo.live.timing.midi_clock import MidiClockFollower


class Connections:
    def __init__(self) -> None:
        self.port: Any = None
        self.api: str | None = None
        self.jack: Any = None
        self.watch: ServerWatch | None = None
        self.description = "no port (recording only)"
        self.input: Any = None
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
        try:
            self.api = choose_backend(request.backend)
        except NoMidiSystemError:
            if not request.start_jack or request.backend not in ("auto", "jack"):
                raise
            from continuo.live.midi_io.jack_server import PrivateJackServer

            self.jack = PrivateJackServer()
            self.jack.start()
            self.api = JACK_API
        if request.listens:
            self.input = open_relayed_input(self.api, request.input_name, request.input_port, performer)
        if request.follows_clock:
            self.follower = MidiClockFollower(request.tempo)
            self.follower.connect(transport)
            name = request.clock_name or f"{request.output_name} Clock"
            self.clock_input = open_relayed_input(self.api, name, request.clock_port, self.follower.handle)
        self.port = open_output(self.api, request.output_name, request.output_port)
        where = f"private JACK server {self.jack.name!r}" if self.jack else backend_label(self.api)
        self.description = f"{where} port {self.port.name!r}"
        self.watch = ServerWatch(self.api)

    def alive(self) -> bool:
        return self.watch is None or self.watch.alive()

    def close(self) -> None:
        for relay in (self.input, self.clock_input):
            if relay is not None:
                relay.close()
        self.input = self.clock_input = None
        if self.port is not None:
            self.port.close()
            self.port = None
        if self.jack is not None:
            self.jack.stop()
