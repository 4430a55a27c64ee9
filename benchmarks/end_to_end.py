"""End to end on a real port: Continuo's scheduler vs a naive sleep loop, same witness, same model.

A private JACK dummy server; a reading client stamps each arriving note-on with CLOCK_MONOTONIC.
The error of note i is its arrival minus its intended time, both from the first note, so drift
shows as the error growing over the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np

from benchmarks.jack_clients import MonotonicReader, start_server
from benchmarks.live_timing import _errors_ms, measure, with_samples


def naive(seconds: float, bpm: float) -> dict[str, Any]:
    server = start_server()
    try:
        with TemporaryDirectory() as folder:
            witness = MonotonicReader(server, Path(folder))
            intended_path = Path(folder) / "intended.json"
            subprocess.run(
                [sys.executable, "-m", "benchmarks.naive_player", witness.port, str(seconds), str(bpm),
                 str(intended_path)],
                env=server.env, check=True, timeout=seconds + 120, cwd=Path(__file__).resolve().parents[1],
            )  # fmt: skip
            arrived = np.array([t for t, m in witness.stop() if m.type == "note_on" and m.velocity > 0])
            intended = np.array(json.loads(intended_path.read_text()))
    finally:
        server.stop()
    # Chords (shift 0) are sent back to back: the witness sees them, so counts match.
    return with_samples(_errors_ms(arrived, intended[: len(arrived)]))


def run(seconds: float, bpm: float = 132.0) -> dict[str, Any]:
    continuo = measure(seconds / 60, bpm, seed=1)
    return {
        "seconds": seconds,
        "bpm": bpm,
        "continuo": continuo["port_monotonic_witness"],
        "continuo_send_lateness_ms": continuo["engine_send_lateness_ms"],
        "naive_sleep_loop": naive(seconds, bpm),
    }
