"""The engine's ear: messages from the input port steer the conductor, the sampler and the model.

Runs on the main thread between generation steps: the port's callback only queues (live/midi_io/inbox.py).
Notes go to the conductor (the modes); CCs through the CC map to temperature, top-p, velocity or
tempo; Program Change N switches to the N-th model of --program-models (default: the shipped ones);
CC123 or CC120 received is a panic.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import mido

from continuo.live.engine.generator import Generator
from continuo.live.engine.modes import Conductor
from continuo.live.engine.player import Player
from continuo.live.engine.sampler import SamplingSettings
from continuo.live.engine.scheduler import Scheduler
from continuo.live.errors import ContinuoError
from continuo.live.interaction.control import DEFAULT_CC_MAP, PANIC_CONTROLS, CCMapping
from continuo.live.midi_io.inbox import Inbox
from continuo.live.model.model_file import load_model, shipped_models
from continuo.live.timing.clock import Clock


@dataclass
class ListenerState:
    """What the status line shows of the input side."""

    last_change: str = ""
    changes: int = 0
    model_name: str = ""


@dataclass
class Listener:
    inbox: Inbox
    conductor: Conductor
    generator: Generator
    player: Player
    scheduler: Scheduler
    clock: Clock
    cc_map: dict[int, CCMapping] = field(default_factory=lambda: dict(DEFAULT_CC_MAP))
    model_names: list[str] = field(default_factory=lambda: sorted(shipped_models()))
    state: ListenerState = field(default_factory=ListenerState)

    def wait_and_handle(self, timeout: float) -> None:
        now = self.clock.now()
        for stamp, message in self.inbox.take(self.conductor.wait_hint(now, timeout)):
            self.handle(stamp, message)
        self.conductor.step(self.clock.now(), self.clock.beat_at)

    def handle(self, stamp: float, message: mido.Message) -> None:
        kind = message.type
        if kind == "note_on" and message.velocity > 0:
            self.conductor.note_on(message.note, message.velocity, stamp)
        elif kind in ("note_on", "note_off"):
            self.conductor.note_off(message.note, stamp)
        elif kind == "control_change":
            self._control(message.control, message.value)
        elif kind == "program_change":
            self._switch_model(message.program)

    def _changed(self, text: str, **fields: object) -> None:
        self.state.last_change = text
        self.state.changes += 1
        self.conductor.write_log("control", change=text, **fields)

    def _control(self, control: int, value: int) -> None:
        if control in PANIC_CONTROLS:
            self.panic()
            return
        mapping = self.cc_map.get(control)
        if mapping is None:
            return
        amount = mapping.value(value)
        settings = self.generator.settings
        if mapping.parameter == "temperature":
            self.generator.settings = SamplingSettings(amount, settings.top_p)
            self._changed(f"temperature {amount:.2f}", temperature=amount)
        elif mapping.parameter == "top_p":
            self.generator.settings = SamplingSettings(settings.temperature, amount)
            self._changed(f"top-p {amount:.2f}", top_p=amount)
        elif mapping.parameter == "velocity":
            self.player.velocity = round(amount)
            self.conductor.options = replace(self.conductor.options, follow_velocity=False)
            self._changed(f"velocity {round(amount)}", velocity=round(amount))
        elif mapping.parameter == "tempo":
            self.clock.set_tempo(amount)
            self._changed(f"tempo {amount:.0f} BPM", tempo=amount)

    def panic(self) -> None:
        """Silence now (note-offs, CC123, CC120), then carry on a beat later, on a beat (or listen)."""
        self.player.halt()
        self.scheduler.panic()
        self.conductor.answering = False
        if self.conductor.options.mode != "call-response":
            self.player.begin_phrase(float(int(self.clock.beat_at(self.clock.now())) + 2))
        self._changed("panic: all notes off")

    def _switch_model(self, program: int) -> None:
        if program >= len(self.model_names):
            self._changed(f"program {program}: no such model (0-{len(self.model_names) - 1})")
            return
        name = self.model_names[program]
        try:
            model = load_model(name)
        except ContinuoError as error:  # a file changed or vanished since start: keep playing what we have
            self._changed(f"program {program}: {error}")
            return
        if model.info.codec != self.player.codec:
            self._changed(f"program {program}: {name} uses other class tables; kept {self.state.model_name}")
            return
        self.generator.model = model
        self.generator.set_pitch_range(model.info.pitch_range)
        self.conductor.pitch_range = model.info.pitch_range
        self.state.model_name = model.info.name
        self._changed(f"model {model.info.name}", model=model.info.name, program=program)
