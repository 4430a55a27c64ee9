"""Shared builders for the model card's tests: fake metadata, seed spreads, the shipped card."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from continuo.export.card_artifacts import Artifacts
from continuo.export.model_card import render_card
from continuo.live.model.model_file import ContinuoModel, shipped_models

ROOT = Path(__file__).resolve().parents[2]
CARD = ROOT / "models" / "MODEL_CARD.md"
REPORTS = ROOT / "models" / "reports"
CARD_CODE = [ROOT / "export" / name for name in ("model_card.py", "card_spread.py", "card_summary.py", "card_text.py")]


def head(top1: float, top5: float, bits: float) -> dict[str, float]:
    return {"top1": top1, "top5": top5, "bits": bits, "targets": 100}


def fake_metadata() -> dict[str, Any]:
    scores = {"pitch": head(0.612, 0.931, 1.78), "duration": head(0.75, 0.99, 0.9), "shift": head(0.94, 1.0, 0.2)}
    return {
        "composer": "bach",
        "window": 30,
        "corpus": {"files": 410, "skipped": 0, "duplicates_removed": 3,
                   "pieces": {"train": 326, "val": 41, "test": 40}, "events": {"train": 1, "val": 2, "test": 3}},
        "split_seed": 0,
        "training": {"epochs_run": 50, "best_epoch": 42, "train_seconds": 600.0, "command": "continuo train"},
        "pitch_range": [36, 88],
        "parity": {"max_abs_logit_difference": 2e-6},
        "metrics": {"pieces": 40, "events": 3, "model": scores, "unigram": scores, "5gram": scores,
                    "leak_check": {"model": scores}},
    }  # fmt: skip


def format_2(metadata: dict[str, Any], before: float = 0.741) -> dict[str, Any]:
    """The metadata as a format-2 model whose duration scores 75.0% given the true shift, `before` without it."""
    metadata = copy.deepcopy(metadata)
    metadata["continuo_format"] = 2
    metadata["metrics"]["model"] = dict(metadata["metrics"]["model"], duration_marginal=head(before, 0.99, 1.05))
    metadata["metrics"]["5gram"] = {
        "pitch": head(0.41, 0.75, 3.5), "duration": head(0.57, 0.99, 1.5), "shift": head(0.75, 1.0, 1.0)
    }  # fmt: skip
    return metadata


def spread_of(
    name: str, runs: list[tuple[int, dict[str, Any], int]], command: str = "continuo train"
) -> dict[str, Any]:
    """A seed spread as `continuo evaluate --run ... --json` writes it: (seed, model heads, test events) per run."""
    keys = {key for _, model, _ in runs for key in model}
    mean = {
        k: {m: sum(model[k][m] for _, model, _ in runs) / len(runs) for m in ("top1", "top5", "bits")} for k in keys
    }
    return {
        "name": name,
        "runs": [{"seed": s, "command": f"{command} --out runs/{name}-s{s}", "pieces": 4, "events": e, "model": model}
                 for s, model, e in runs],
        "mean": mean,
    }  # fmt: skip


def model_row(card: str) -> str:
    """The model's row in its section's metrics table (the summary above also has a "model" column)."""
    return next(line for line in card[card.index("| predictor |") :].splitlines() if line.startswith("| model |"))


def shipped_card(artifacts: Artifacts) -> str:
    shipped = {name: (ContinuoModel(p).info.metadata, p.stat().st_size) for name, p in shipped_models().items()}
    return render_card(shipped, artifacts)
