"""Fakes for the live engine's unit tests: a clock whose time the test sets, a port that records, and models
whose notes tell which of them wrote them."""

from __future__ import annotations

from dataclasses import replace

import mido
import numpy as np

from continuo.live.engine.engine import Engine
from continuo.live.engine.generator import Generator
from continuo.live.engine.options import EngineOptions
from continuo.live.engine.sampler import SamplingSettings
from continuo.live.model.model_file import ContinuoModel, load_model
from continuo.live.model.seeds import seed_from_bank
from continuo.live.music.codec import PITCH_CLASSES
from continuo.live.timing.clock import TempoClock


class FakeTime:
    def __init__(self) -> None:
        self.seconds = 100.0

    def __call__(self) -> float:
        return self.seconds


def fake_clock(bpm: float = 60.0) -> tuple[TempoClock, FakeTime]:
    """At 60 BPM one beat is one second, which keeps expected times readable."""
    time = FakeTime()
    clock = TempoClock(bpm, now=time)
    clock.start(time.seconds)
    return clock, time


class RecordingPort:
    """Keeps every message sent, as mido's own tests do; can be told to fail like a vanished device."""

    def __init__(self) -> None:
        self.sent: list[mido.Message] = []
        self.fail = False

    def send(self, message: mido.Message) -> None:
        if self.fail:
            raise OSError("port went away")
        self.sent.append(message)

    def summary(self) -> list[tuple[str, int]]:
        return [(m.type, m.note if m.type != "control_change" else m.control) for m in self.sent]


LOW, HIGH = range(36, 60), range(60, 89)  # two registers that split the shipped bach model's pitch range


class Register:
    """A real model heard through a mask: only pitches of `pitches`, and if given, only one duration and one shift
    (in beats). Two of them on disjoint registers let a test tell from the notes alone which model wrote them."""

    def __init__(
        self, model: ContinuoModel, name: str, pitches: range, duration: float | None = None, shift: float | None = None
    ) -> None:
        self.model = model
        self.info = replace(model.info, name=name, pitch_range=(pitches.start, pitches.stop - 1))
        codec = model.info.codec
        self._pitches = np.full(PITCH_CLASSES, -1e9)
        self._pitches[pitches.start : pitches.stop] = 0.0
        self._duration = None if duration is None else codec.durations.index(duration)
        self._shift = None if shift is None else codec.shifts.index(shift)

    def logits(self, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pitch, duration, shift = self.model.logits(events)
        return pitch + self._pitches, only(duration, self._duration), only(shift, self._shift)


def only(logits: np.ndarray, index: int | None) -> np.ndarray:
    """`logits` with every class of the last axis but `index` made impossible (all kept if None)."""
    if index is None:
        return logits
    forced = np.full_like(logits, -1e9)
    forced[..., index] = logits[..., index]
    return forced


def register_of(pitch: int) -> str:
    return "low" if pitch in LOW else "high" if pitch in HIGH else "neither"


def register_engine(low: Register | None = None) -> tuple[Engine, RecordingPort, FakeTime]:
    """An engine at 120 BPM on a fake clock playing `low` (default: the bach model in the low register), which
    can switch to "low" or "high" (bach in the high register) by name."""
    bach = load_model("bach")
    models = {"low": low or Register(bach, "low", LOW), "high": Register(bach, "high", HIGH)}
    clock, time = fake_clock(120)
    _, seed = seed_from_bank("bach", bach.info.codec, bach.info.window, np.random.default_rng(0))
    opening = models["low"]
    generator = Generator(opening, bach.info.window, seed, SamplingSettings(1.0), 0, opening.info.pitch_range)
    port = RecordingPort()
    engine = Engine(opening, generator, clock, port, EngineOptions(), load=models.__getitem__)  # type: ignore[arg-type]
    return engine, port, time
