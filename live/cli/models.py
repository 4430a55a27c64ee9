"""`continuo models`: the shipped models with their test figures, as lines or JSON, or their model card."""

from __future__ import annotations

import argparse
import json
from typing import Any

from continuo.live.cli.subcommand import TRAIN_EXTRA_HINT, Subcommand, registered_commands
from continuo.live.errors import EXIT_OK, ContinuoError

CARD_COMMAND = "card"  # registered by the export package, which renders models/MODEL_CARD.md


def shipped_metadata() -> dict[str, tuple[dict[str, Any], int]]:
    """Each shipped model's name -> (its metadata, its file's size in bytes)."""
    from continuo.live.model.model_file import ContinuoModel, shipped_models

    return {name: (ContinuoModel(path).info.metadata, path.stat().st_size) for name, path in shipped_models().items()}


def add_models_arguments(models: argparse.ArgumentParser) -> None:
    models.add_argument("--json", action="store_true", help="print one JSON list on stdout")
    models.add_argument("--card", action="store_true", help="print models/MODEL_CARD.md, made from the metadata")


def models(args: argparse.Namespace) -> int:
    if args.card:
        card = registered_commands().get(CARD_COMMAND)
        if card is None:
            raise ContinuoError(f"--card needs continuo's export package, which is not installed; {TRAIN_EXTRA_HINT}")
        return card.run(args)
    rows = []
    for name, (metadata, size) in sorted(shipped_metadata().items()):
        metrics = metadata.get("metrics", {})
        rows.append(
            {
                "name": name,
                "composer": metadata.get("composer"),
                "pieces": metadata.get("corpus", {}).get("pieces"),
                "pitch_top1": metrics.get("model", {}).get("pitch", {}).get("top1"),
                "pitch_bits": metrics.get("model", {}).get("pitch", {}).get("bits"),
                "ngram_pitch_top1": metrics.get("5gram", {}).get("pitch", {}).get("top1"),
                "size_mb": round(size / 1e6, 2),
            }
        )
    if args.json:
        print(json.dumps(rows))
    elif not rows:
        print("no models ship with this build yet")
    for row in [] if args.json else rows:
        pieces = row["pieces"] or {}
        print(
            f"{row['name']:<12} {sum(pieces.values()):>5} pieces  pitch top-1 {_percent(row['pitch_top1'])} "
            f"(5-gram {_percent(row['ngram_pitch_top1'])}), {row['pitch_bits'] or float('nan'):.2f} bits/event, "
            f"{row['size_mb']} MB"
        )
    return EXIT_OK


def _percent(value: float | None) -> str:
    return "   ?" if value is None else f"{value * 100:.1f}%"


MODELS = Subcommand("models", "list the shipped models and their test metrics", add_models_arguments, models)
