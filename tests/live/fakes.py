"""Fakes for the live engine's unit tests: a clock whose time the test sets, and a port that records."""

from __future__ import annotations

import mido

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
