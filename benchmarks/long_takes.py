"""Long takes: what recording hours of music costs the live engine's timing, held as objects or as bytes.

A full garbage collection holds the interpreter lock while it scans every tracked object, so the
scheduler thread cannot send a note until it ends. Measured in a fresh interpreter with only the live
side and the default model loaded (as `continuo play` has them), side by side:
- a full collection with the engine's objects scanned, and after `gc.freeze()` (what play does);
- a full collection while one hour of take is held (20 messages a second, 72 000), as a list of
  `mido.Message` objects and as bytes (`SentMessages`, what the recorder keeps), with bytes per message;
- how late a 5 ms sleep-then-spin loop (the scheduler's way of waiting) wakes while a background thread
  writes that hour as one `--record-part-minutes` part, beside the same loop with nothing else running.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import summary_ms

HOUR_OF_MESSAGES = 72_000


def _collections_ms(repeats: int) -> dict[str, float]:
    """The first full collection (what the automatic one meets after the objects were made) and the
    median of the next ones (the objects already sit in the oldest generation)."""
    taken = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        gc.collect()
        taken.append((time.perf_counter() - started) * 1000)
    return {"first_ms": round(taken[0], 3), "median_of_next_ms": round(float(np.median(taken[1:])), 3)}


def _hour_of_take(count: int) -> list[tuple[float, Any]]:
    import mido

    return [
        (index * 0.125, mido.Message("note_on" if index % 2 == 0 else "note_off", note=60 + index % 24, velocity=80))
        for index in range(count)
    ]


def _held(build: Callable[[], Any], repeats: int) -> dict[str, Any]:
    """Bytes per message and full-collection time while what `build` returns is held."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    held = build()
    size = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    result = {"bytes_per_message": round(size / len(held), 1), "full_collection": _collections_ms(repeats)}
    del held
    return result


WAKER_PERIOD_S = 0.005


def _wake_lateness(seconds: float, busy: Callable[[], None] | None) -> dict[str, float]:
    late: list[float] = []
    stop = threading.Event()

    def waker() -> None:
        due = time.monotonic()
        while not stop.is_set():
            due += WAKER_PERIOD_S
            while time.monotonic() < due - 0.001:
                time.sleep(0.0005)
            while time.monotonic() < due:
                pass
            late.append(time.monotonic() - due)

    thread = threading.Thread(target=waker)
    thread.start()
    started = time.monotonic()
    if busy is not None:
        busy()
    time.sleep(max(0.0, seconds - (time.monotonic() - started)))
    stop.set()
    thread.join()
    return summary_ms(late)


def _child(count: int, repeats: int) -> dict[str, Any]:
    from continuo.live.engine.recorder import PartedRecorder, SentMessages
    from continuo.live.model.model_file import load_model

    sys.setswitchinterval(0.0005)  # as `continuo play` sets it
    load_model("bach")
    engine: dict[str, Any] = {"tracked_objects": len(gc.get_objects()), "full_collection": _collections_ms(repeats)}
    gc.collect()
    gc.freeze()
    engine["after_freeze"] = _collections_ms(repeats)

    def as_bytes() -> SentMessages:
        sent = SentMessages()
        for beat, message in _hour_of_take(count):
            sent.append(beat, message)
        return sent

    take = {"as_mido_objects": _held(lambda: _hour_of_take(count), repeats), "as_bytes": _held(as_bytes, repeats)}

    with tempfile.TemporaryDirectory() as folder:
        recorder = PartedRecorder(Path(folder) / "take.mid", bpm=120, part_beats=1e12)
        for beat, message in _hour_of_take(count):
            recorder(beat, message)
        writing: dict[str, float] = {}

        def write_part() -> None:
            started = time.perf_counter()
            recorder.close()  # hands the part to the writer thread and waits for the file
            writing["seconds"] = time.perf_counter() - started

        idle = _wake_lateness(1.0, None)
        busy = _wake_lateness(1.0, write_part)
    return {
        "messages_in_an_hour": count,
        "engine": engine,
        "hour_of_take": take,
        "part_write_seconds": round(writing["seconds"], 3),
        "waker_period_ms": WAKER_PERIOD_S * 1000,
        "wake_lateness": {"idle": idle, "while_a_part_is_written": busy},
    }


def run(count: int = HOUR_OF_MESSAGES, repeats: int = 5) -> dict[str, Any]:
    """In a fresh interpreter: this process has imported TensorFlow and more, which a player never has."""
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.long_takes", str(count), str(repeats)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    found: dict[str, Any] = json.loads(result.stdout)
    return found


if __name__ == "__main__":
    print(json.dumps(_child(int(sys.argv[1]), int(sys.argv[2]))))
