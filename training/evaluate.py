"""`continuo evaluate --run DIR`: score a run's model on its test split, beside the baselines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from continuo.live.codec import Codec
from continuo.training.runfolder import RunFolder
from continuo.training.train import evaluate_split, summary_lines


def evaluate_run(path: Path) -> dict[str, Any]:
    """Fresh scores from the saved model and pieces; the leak check is read from training's record."""
    run = RunFolder(path)
    info = run.read_json("run.json")
    split = run.read_split()
    model = run.load_model()
    metrics = evaluate_split(model, split, Codec.from_json(info["codec"]), int(info["config"]["window"]))
    stored = run.read_json("metrics.json") if (path / "metrics.json").exists() else {}
    if "leak_check" in stored:
        metrics["leak_check"] = stored["leak_check"]
    metrics["name"] = info["name"]
    return metrics


def print_report(metrics: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(metrics))
    else:
        print("\n".join(summary_lines(metrics)))
