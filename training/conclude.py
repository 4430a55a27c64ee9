"""The end of a training run: score the fitted model on the test split, run the leak check, and write
run.json (configuration, codec, history, timing, command, library versions) and metrics.json."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from continuo.live.music.codec import Codec
from continuo.training.evaluate import evaluate_split
from continuo.training.leak_check import leak_check
from continuo.training.model import keras_logits
from continuo.training.runfolder import RunFolder
from continuo.training.split import Split

if TYPE_CHECKING:
    from continuo.training.train import TrainOptions


def versions() -> dict[str, str]:
    """The versions of Python and of the libraries that shape a run, as recorded in run.json."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0]}
    for package in ("continuo", "tensorflow", "keras", "numpy", "mido", "music21", "tf2onnx", "onnx"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def conclude(
    run: RunFolder,
    model: Any,
    split: Split,
    options: TrainOptions,
    history: dict[str, list[float]],
    seconds: float,
    command: str,
    note: dict[str, str] | None = None,
) -> None:
    """Score the fitted model on the test split, run the leak check, and write run.json and metrics.json."""
    codec, config = Codec(), options.config
    losses = history.get("val_loss") or history["loss"]
    best_epoch = int(np.argmin(losses)) + 1
    metrics = evaluate_split(keras_logits(model), split, codec, config.window)
    if options.leak_check:
        metrics["leak_check"] = leak_check(split, codec, options, options.leak_check_epochs or best_epoch)
    run.write_json(
        "run.json",
        {
            "name": options.name,
            "composer": options.name,
            "data": str(options.data),
            "seed": options.seed,
            "config": config.as_dict(),
            "codec": codec.to_json(),
            "transpose": options.transpose,
            "init_from": None if options.init_from is None else str(options.init_from),
            "epochs_requested": options.epochs,
            "epochs_run": len(history["loss"]),
            "best_epoch": best_epoch,
            "train_seconds": seconds,
            "history": {k: [float(v) for v in vs] for k, vs in history.items()},
            "command": command,
            "versions": versions(),
            **(note or {}),
        },
    )
    run.write_json("metrics.json", metrics)
