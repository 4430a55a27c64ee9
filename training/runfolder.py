"""A training run's folder: the split, the encoded pieces, the model and its metrics, side by side.

Evaluation and export read only this folder, so a run stays scoreable after the data moves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from continuo.live.errors import ContinuoError
from continuo.training.loader import LoadReport, Piece
from continuo.training.split import Split

if TYPE_CHECKING:
    from continuo.training.train import TrainOptions

SPLITS = ("train", "val", "test")


def fit_options(options: TrainOptions) -> dict[str, Any]:
    """What shaped the fit's weights, kept so that `train --finish` can refuse a different command."""
    return {
        "config": options.config.as_dict(),
        "transpose": options.transpose,
        "init_from": None if options.init_from is None else str(options.init_from),
    }


@dataclass(frozen=True)
class RunFolder:
    path: Path

    @property
    def model_path(self) -> Path:
        return self.path / "model.keras"

    def create(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)

    def write_json(self, name: str, data: Any) -> None:
        (self.path / name).write_text(json.dumps(data, indent=2) + "\n")

    def read_json(self, name: str) -> Any:
        target = self.path / name
        try:
            return json.loads(target.read_text())
        except FileNotFoundError:
            raise ContinuoError(
                f"run folder {self.path} has no {name}: is it a finished `continuo train` run?"
            ) from None
        except json.JSONDecodeError as error:
            raise ContinuoError(f"{target} is not valid JSON ({error.msg} at line {error.lineno})") from None

    def write_split(self, split: Split, report: LoadReport, options: TrainOptions, window: int) -> None:
        """manifest.json names every piece on each side; pieces.npz keeps their events."""
        self.write_json(
            "manifest.json",
            {
                "data": str(options.data),
                "seed": options.seed,
                "window": window,
                "fit_options": fit_options(options),
                "method": "by piece: sha256(seed:events digest) order, cut 80/10/10",
                "load": {
                    "files": report.files,
                    "duplicates_removed": report.duplicates,
                    "skipped": [{"file": name, "reason": reason} for name, reason in report.skipped],
                },
                "split": {
                    name: [{"name": p.name, "digest": p.digest, "events": len(p)} for p in pieces]
                    for name, pieces in split.parts().items()
                },
            },
        )
        arrays: dict[str, Any] = {}
        for name, pieces in split.parts().items():
            arrays[f"{name}_events"] = (
                np.concatenate([p.events for p in pieces]) if pieces else np.zeros((0, 3), np.int16)
            )
            arrays[f"{name}_lengths"] = np.array([len(p) for p in pieces], dtype=np.int64)
        np.savez_compressed(self.path / "pieces.npz", **arrays)

    def read_split(self) -> Split:
        manifest = self.read_json("manifest.json")
        try:
            arrays = np.load(self.path / "pieces.npz")
        except FileNotFoundError:
            raise ContinuoError(f"run folder {self.path} has no pieces.npz") from None
        parts: dict[str, list[Piece]] = {}
        for name in SPLITS:
            lengths = arrays[f"{name}_lengths"]
            chunks = np.split(arrays[f"{name}_events"], np.cumsum(lengths)[:-1]) if len(lengths) else []
            entries = manifest["split"][name]
            parts[name] = [Piece(e["name"], events, e["digest"]) for e, events in zip(entries, chunks)]
        return Split(parts["train"], parts["val"], parts["test"])

    def base_run(self, manifest: dict[str, Any] | None = None) -> Path | None:
        """The run this one was fine-tuned from: in its manifest, or (runs older than fit_options) its run.json."""
        manifest = self.read_json("manifest.json") if manifest is None else manifest
        base = manifest.get("fit_options", {}).get("init_from")
        if base is None and (self.path / "run.json").is_file():
            base = self.read_json("run.json").get("init_from")
        return None if base is None else Path(base)

    def load_model(self) -> Any:
        if not self.model_path.exists():
            raise ContinuoError(f"run folder {self.path} has no model.keras: did training finish?")
        import keras

        from continuo.training.model import custom_objects

        return keras.models.load_model(self.model_path, custom_objects=custom_objects())
