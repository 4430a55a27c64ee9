"""Training throughput: targets per second, many-to-many (a target at every step of the 30-event window)
vs the seed's one target per window, same architecture size, same batches, a fixed number of steps."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks.inference import WINDOW, seed_model

BATCH = 32


def _model(many_to_many: bool) -> Any:
    import keras

    model = seed_model(many_to_many, softmax=False)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def run(steps: int) -> dict[str, Any]:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    rng = np.random.default_rng(0)
    windows = rng.integers(40, 80, size=(steps, BATCH, WINDOW + 1)).astype(np.int64)
    found: dict[str, Any] = {}
    for name, many in (("seed_one_target", False), ("continuo_many_to_many", True)):
        model = _model(many)
        model.train_on_batch(windows[0, :, :WINDOW], windows[0, :, 1:] if many else windows[0, :, WINDOW])  # compile
        started = time.perf_counter()
        for step in range(steps):
            inputs = windows[step, :, :WINDOW]
            targets = windows[step, :, 1:] if many else windows[step, :, WINDOW]
            model.train_on_batch(inputs, targets)
        seconds = time.perf_counter() - started
        targets_per_step = BATCH * (WINDOW if many else 1)
        found[name] = {
            "steps": steps,
            "seconds": round(seconds, 2),
            "steps_per_s": round(steps / seconds, 2),
            "targets_per_s": round(steps * targets_per_step / seconds, 1),
        }
    found["targets_ratio"] = found["continuo_many_to_many"]["targets_per_s"] / found["seed_one_target"]["targets_per_s"]
    return found
