"""Fine-tuning (`train --init-from RUN`): refuse a base run that saw this run's held-out pieces, then copy its
trained weights layer by layer into the new model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from continuo.live.errors import ContinuoError
from continuo.live.music.codec import Codec
from continuo.training.model import DURATION_GIVEN_SHIFT_LAYER, ModelConfig, custom_objects
from continuo.training.runfolder import RunFolder
from continuo.training.split import Split


def load_initial_weights(model: Any, run_path: Path, codec: Codec, config: ModelConfig) -> None:
    """Start from another run's trained weights (fine-tuning a small corpus from a large one, or the same
    corpus with other options); `train` first makes sure that run never saw this run's held-out pieces."""
    import keras

    base = RunFolder(run_path)
    if not base.model_path.is_file():
        raise ContinuoError(f"--init-from {run_path}: no {base.model_path.name} there (not a finished run)")
    if (base.path / "run.json").is_file():  # absent if the base run's evaluation was not waited for
        info = base.read_json("run.json")
        if Codec.from_json(info["codec"]) != codec or ModelConfig(**info["config"]).units != config.units:
            raise ContinuoError(f"--init-from {run_path}: its codec or --units differ from this run's; they must match")
    base_layers = keras.models.load_model(base.model_path, custom_objects=custom_objects(), compile=False).layers
    trained = {layer.name: layer.get_weights() for layer in base_layers if layer.weights}
    layers = {layer.name: layer for layer in model.layers if layer.weights}
    if DURATION_GIVEN_SHIFT_LAYER in layers and "duration_logits" in trained:
        # a format-1 base: its duration head becomes the marginal part of the format-2 head, whose
        # shift-conditioned part starts at zero, so the fine-tuning starts from the base's predictions
        kernel, bias = trained.pop("duration_logits")
        fresh = layers[DURATION_GIVEN_SHIFT_LAYER].get_weights()
        trained[DURATION_GIVEN_SHIFT_LAYER] = [kernel, bias, *fresh[2:]]
    if DURATION_GIVEN_SHIFT_LAYER in trained and DURATION_GIVEN_SHIFT_LAYER not in layers:
        raise ContinuoError(f"--init-from {run_path} is a format-2 run: add --duration-given-shift to fine-tune it")
    lacking = sorted(trained.keys() - layers.keys()) + sorted(layers.keys() - trained.keys())
    if lacking:
        raise ContinuoError(f"--init-from {run_path}: layer {lacking[0]!r} is in only one of the two models")
    for name, weights in trained.items():
        try:
            layers[name].set_weights(weights)
        except ValueError as error:
            raise ContinuoError(
                f"--init-from {run_path}: its layer {name!r} does not fit this model ({error})"
            ) from None


def refuse_seen_pieces(base_path: Path, split: Split) -> None:
    """A base run, or any run it was itself fine-tuned from, that trained or validated on this run's
    held-out pieces would make its scores a leak, so fine-tuning checks by content digest all the way back
    (the leak check's twin skips this: it is meant to be leaky)."""
    held_out = {"val": {p.digest: p.name for p in split.val}, "test": {p.digest: p.name for p in split.test}}
    visited: set[Path] = set()
    ancestor: Path | None = base_path
    while ancestor is not None and ancestor.resolve() not in visited:
        visited.add(ancestor.resolve())
        run = RunFolder(ancestor)
        manifest = run.read_json("manifest.json")
        trained = {entry["digest"] for entry in manifest["split"]["train"]}
        trained_or_validated = trained | {entry["digest"] for entry in manifest["split"]["val"]}
        seen = [name for digest, name in held_out["val"].items() if digest in trained]
        seen += [name for digest, name in held_out["test"].items() if digest in trained_or_validated]
        if seen:
            via = "" if ancestor == base_path else f" (through its base run {ancestor})"
            raise ContinuoError(
                f"--init-from {base_path}{via}: it saw {len(seen)} of this run's held-out pieces in training or "
                f"validation (e.g. {seen[0]}); start from a run of another corpus, or of this one with the same "
                "data and --seed"
            )
        ancestor = run.base_run(manifest)
