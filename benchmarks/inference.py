"""Per-step inference: the seed's loop (Keras `model.predict` on a 30-note window) vs Continuo's ONNX path.

Both run the same kind of network on the same 30-event window each step; the seed's model is its
own architecture (Embedding(128,100) -> LSTM(256) -> LSTM(256) -> Dense(128)) with random weights,
which costs the same as trained ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.common import rounded_ms, summary_ms, time_calls

WINDOW = 30


def seed_model(many_to_many: bool = False, softmax: bool = True) -> Any:
    """The seed's architecture; `many_to_many` gives a prediction at every step instead of the last only."""
    import keras

    return keras.Sequential(
        [
            keras.Input(shape=(WINDOW,), dtype="int64"),
            keras.layers.Embedding(128, 100),
            keras.layers.LSTM(256, return_sequences=True),
            keras.layers.LSTM(256, return_sequences=many_to_many),
            keras.layers.Dense(128, activation="softmax" if softmax else None),
        ]
    )


def run(repeats: int) -> dict[str, Any]:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from continuo.live.model.model_file import load_model

    rng = np.random.default_rng(0)
    window = rng.integers(40, 80, size=(1, WINDOW)).astype(np.int64)
    events = np.stack([window[0], rng.integers(0, 16, WINDOW), rng.integers(0, 16, WINDOW)], axis=1)[None]
    keras_model = seed_model()
    onnx_model = load_model("bach")
    results: dict[str, Any] = {"window": WINDOW}
    # Interleaved in rounds, so a burst of load hits both sides alike.
    keras_times: list[float] = []
    onnx_times: list[float] = []
    rounds = 5
    for _ in range(rounds):
        keras_times += time_calls(lambda: keras_model.predict(window, verbose=0), max(1, repeats // (10 * rounds)))
        onnx_times += time_calls(lambda: onnx_model.logits(events), repeats // rounds)
    results["keras_predict"] = summary_ms(keras_times)
    results["onnx_windowed"] = summary_ms(onnx_times)
    results["ratio_median"] = results["keras_predict"]["median_ms"] / results["onnx_windowed"]["median_ms"]
    # Every step's time, for the plot; the goals are judged by benchmarks/report.py from the figures.
    results["samples_ms"] = {"keras_predict": rounded_ms(keras_times), "onnx_windowed": rounded_ms(onnx_times)}
    return results
