"""Scheduler accuracy: how late each note-on leaves (actual minus due), 200 BPM sixteenths, no port.

The scheduler is the engine's own (live/scheduler.py), real-time priority where allowed; the output
is a null port, so only the scheduler's own error is measured. Run alone and beside a neighbour
spinning on every core.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import mido
import numpy as np

from benchmarks.common import busy_neighbour, summary_ms
from continuo.live.clock import TempoClock
from continuo.live.scheduler import Scheduler

BPM = 200.0
STEP_BEATS = 0.25  # sixteenths


class _NullPort:
    def send(self, message: mido.Message) -> None:
        pass


def _one_run(events: int) -> dict[str, Any]:
    clock = TempoClock(BPM)
    scheduler = Scheduler(_NullPort(), clock)
    scheduler.lateness = deque()
    clock.start(clock.now() + 0.2)
    for index in range(events):
        scheduler.note(60 + index % 12, 80, 0, index * STEP_BEATS, index * STEP_BEATS + STEP_BEATS / 2)
    scheduler.start()
    end = clock.seconds_at(events * STEP_BEATS)
    assert end is not None
    while clock.now() < end + 0.1:
        time.sleep(0.05)
    scheduler.stop()
    late = np.asarray(scheduler.lateness)
    tenth = max(1, len(late) // 10)
    return summary_ms(late) | {
        "first_tenth_mean_ms": float(late[:tenth].mean() * 1000),
        "last_tenth_mean_ms": float(late[-tenth:].mean() * 1000),
        "seconds": round(events * STEP_BEATS * 60 / BPM, 1),
    }


def run(events: int) -> dict[str, Any]:
    alone = _one_run(events)
    with busy_neighbour():
        loaded = _one_run(events)
    return {"events_each": events, "bpm": BPM, "alone": alone, "with_busy_neighbour": loaded}
