"""Input ports as command sources: what a performer or a DAW sends becomes commands for the engine.

The listeners run on the input relays' reader threads (live/midi_io/input_relay.py) and only count,
filter, translate and queue, so a flood of clock, sysex or garbage can never stall the engine: mido's
parser has already dropped bytes that form no message. The performer's port: notes go to the mode,
CCs through the CC map to parameters, Program Change N selects the N-th model of the program list,
CC123 or CC120 received is a panic. The clock port: the DAW's Start, Stop, Continue and Song
Position become transport commands.
"""

from __future__ import annotations

from collections.abc import Callable

import mido

from continuo.live.engine.commands import Command, Panic, PerformerNote, SelectProgram, SetParameter, Transport
from continuo.live.interaction.control import DEFAULT_CC_MAP, CCMapping
from continuo.live.music.midi import PANIC_CONTROLS
from continuo.live.timing.midi_clock import TransportEvent

Submit = Callable[[Command], None]
CHANNEL_TYPES = {"note_on", "note_off", "control_change", "program_change", "polytouch", "aftertouch", "pitchwheel"}
MIDI_TRANSPORT = {"start": "start", "stop": "stop", "continue": "continue", "songpos": "locate"}


class PerformerListener:
    def __init__(self, submit: Submit, channel: int | None = None, cc_map: dict[int, CCMapping] | None = None) -> None:
        self.submit = submit
        self.channel = channel  # 0-15, or None for omni
        self.cc_map = dict(DEFAULT_CC_MAP) if cc_map is None else cc_map
        self.received = 0  # every message that reached the listener, kept or not

    def __call__(self, stamp: float, message: mido.Message) -> None:
        """A message stamped where it arrived (the input relay stamps in its own process)."""
        self.received += 1
        kind = message.type
        if self.channel is not None and kind in CHANNEL_TYPES and message.channel != self.channel:
            return
        command = self.command(stamp, message)
        if command is not None:
            self.submit(command)

    def command(self, stamp: float, message: mido.Message) -> Command | None:
        kind = message.type
        if kind == "note_on" and message.velocity > 0:
            return PerformerNote(message.note, message.velocity, stamp)
        if kind in ("note_on", "note_off"):
            return PerformerNote(message.note, 0, stamp)
        if kind == "program_change":
            return SelectProgram(message.program)
        if kind != "control_change":
            return None
        if message.control in PANIC_CONTROLS:
            return Panic()
        mapping = self.cc_map.get(message.control)
        return None if mapping is None else SetParameter(mapping.parameter, mapping.value(message.value))


class TransportListener:
    """The MIDI clock follower's transport events (on the clock port's reader thread) as commands."""

    def __init__(self, submit: Submit) -> None:
        self.submit = submit

    def __call__(self, event: TransportEvent) -> None:
        kind = MIDI_TRANSPORT.get(event.kind)
        if kind is not None:
            self.submit(Transport(kind, event.beat))
