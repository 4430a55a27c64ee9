"""Cold start: importing the live package vs importing TensorFlow (what the seed's app does), each in a
fresh interpreter, and process start to first note sent (`continuo play --output none`)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

IMPORT_LIVE = "import continuo.live.runner.play, continuo.live.model.model_file, onnxruntime, mido, rtmidi"
IMPORT_TF = "import os; os.environ['TF_CPP_MIN_LOG_LEVEL']='2'; import tensorflow"


def _import_seconds(statement: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True, capture_output=True)
    return time.perf_counter() - started


def _first_note_seconds() -> float:
    """Process start to the first note-on leaving the scheduler (the --timing-report file appears at exit)."""
    with tempfile.TemporaryDirectory() as folder:
        take = Path(folder) / "take.mid"
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "continuo.live", "play", "--output", "none", "--record", str(take), "--seed", "1",
             "--print-notes", "--duration", "3"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert process.stdout is not None
        for line in process.stdout:
            if "vel" in line:  # the first printed note
                first = time.perf_counter() - started
                break
        else:
            raise RuntimeError("no note was printed")
        process.wait(timeout=30)
        return first


def run(repeats: int) -> dict[str, Any]:
    live, tf = [], []
    for _ in range(repeats):  # interleaved: the disk cache and load treat both alike
        live.append(_import_seconds(IMPORT_LIVE))
        tf.append(_import_seconds(IMPORT_TF))
    first = [_first_note_seconds() for _ in range(repeats)]
    return {
        "import_live_s": float(np.median(live)),
        "import_tensorflow_s": float(np.median(tf)),
        "ratio": float(np.median(tf) / np.median(live)),
        "process_start_to_first_note_s": float(np.median(first)),
        "repeats": repeats,
    }
