"""Shared by the benchmarks: timing summaries and a CPU-hungry neighbour."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np


def summary_ms(seconds: list[float] | np.ndarray) -> dict[str, float]:
    values = np.asarray(seconds, dtype=np.float64) * 1000
    return {
        "n": len(values),
        "median_ms": float(np.median(values)),
        "p99_ms": float(np.percentile(values, 99)),
        "max_ms": float(values.max()),
    }


def rounded_ms(seconds: list[float] | np.ndarray) -> list[float]:
    """Raw samples for the result JSON, in ms rounded to the microsecond: enough for the plots and small."""
    return [round(float(value) * 1000, 3) for value in seconds]


def time_calls(call: Callable[[], Any], repeats: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        call()
    taken = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        taken.append(time.perf_counter() - started)
    return taken


def _spin() -> None:
    while True:
        pass


@contextmanager
def busy_neighbour(processes: int | None = None) -> Iterator[None]:
    """A process per core spinning at normal priority: what a busy machine does to a real-time loop."""
    count = processes or os.cpu_count() or 2
    workers = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(count)]
    for worker in workers:
        worker.start()
    try:
        yield
    finally:
        for worker in workers:
            worker.terminate()
            worker.join()
