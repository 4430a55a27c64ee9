"""Scheduler accuracy: how late each note-on leaves (actual minus due), 200 BPM sixteenths, no port.

The scheduler is the engine's own (live/engine/scheduler.py), real-time priority where allowed; the output
is a null port, so only the scheduler's own error is measured. Run alone and beside a neighbour
spinning on every core; then, still beside it, at the engine's priority (below JACK's threads) and at one
above them (ABOVE_JACK_PRIORITY), in alternating rounds.
"""

from __future__ import annotations

import time
from typing import Any

import mido
import numpy as np

from benchmarks.common import busy_neighbour, summary_ms
from continuo.live.engine.scheduler import Scheduler
from continuo.live.priority import SCHEDULER_PRIORITY
from continuo.live.timing.clock import TempoClock

BPM = 200.0
STEP_BEATS = 0.25  # sixteenths
ABOVE_JACK_PRIORITY = 20  # SCHED_FIFO, above jackd2's default threads (server 10, clients 5)
ROUNDS = 2


class _NullPort:
    def send(self, message: mido.Message) -> None:
        pass


def _lateness(events: int, priority: int = SCHEDULER_PRIORITY) -> np.ndarray:
    clock = TempoClock(BPM)
    scheduler = Scheduler(_NullPort(), clock, lateness_samples=events)
    scheduler.priority = priority
    clock.start(clock.now() + 0.2)
    for index in range(events):
        scheduler.note(60 + index % 12, 80, 0, index * STEP_BEATS, index * STEP_BEATS + STEP_BEATS / 2)
    scheduler.start()
    end = clock.seconds_at(events * STEP_BEATS)
    assert end is not None
    while clock.now() < end + 0.1:
        time.sleep(0.05)
    scheduler.stop()
    return np.asarray(scheduler.lateness.samples)


def _one_run(events: int) -> dict[str, Any]:
    late = _lateness(events)
    tenth = max(1, len(late) // 10)
    return summary_ms(late) | {
        "first_tenth_mean_ms": float(late[:tenth].mean() * 1000),
        "last_tenth_mean_ms": float(late[-tenth:].mean() * 1000),
        "seconds": round(events * STEP_BEATS * 60 / BPM, 1),
    }


def _by_priority(events: int) -> dict[str, Any]:
    """`events` note-ons at each priority, in alternating rounds so that bursts of load hit both."""
    found: dict[int, list[np.ndarray]] = {SCHEDULER_PRIORITY: [], ABOVE_JACK_PRIORITY: []}
    for _ in range(ROUNDS):
        for priority in found:
            found[priority].append(_lateness(events // ROUNDS, priority))
    return {f"fifo_{priority}": summary_ms(np.concatenate(runs)) for priority, runs in found.items()}


def run(events: int, priority_events: int) -> dict[str, Any]:
    alone = _one_run(events)
    with busy_neighbour():
        loaded = _one_run(events)
        by_priority = _by_priority(priority_events)
    return {
        "events_each": events,
        "bpm": BPM,
        "alone": alone,
        "with_busy_neighbour": loaded,
        "priority_events_each": priority_events,
        "with_busy_neighbour_by_priority": by_priority,
    }
