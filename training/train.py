"""`continuo train`: load a folder, split by piece, train many-to-many, evaluate, save a run folder.

The run folder holds everything evaluation and export need, so neither has to re-read the data:
manifest.json (split by piece), pieces.npz (encoded pieces), model.keras, run.json, metrics.json.
"""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from continuo.live.errors import ContinuoError
from continuo.live.music.codec import Codec
from continuo.training.evaluate import evaluate_split
from continuo.training.loader import Piece, load_folder
from continuo.training.model import (
    DURATION_GIVEN_SHIFT_LAYER,
    ModelConfig,
    build_model,
    custom_objects,
    duration_packing,
    keras_logits,
)
from continuo.training.runfolder import RunFolder, fit_options
from continuo.training.scoring import FIELDS, score_positions
from continuo.training.split import Split, split_by_piece
from continuo.training.windows import (
    DESIGN_TRANSPOSE,
    all_windows,
    as_inputs_targets,
    epoch_windows,
    tiled_windows,
    transpose_randomly,
    usable,
)

LEAK_TEST_WINDOWS = 4000


@dataclass(frozen=True)
class TrainOptions:
    data: Path
    name: str
    out: Path
    epochs: int = 150
    max_pieces: int | None = None
    seed: int = 0
    patience: int = 8
    transpose: int = DESIGN_TRANSPOSE
    leak_check: bool = True
    leak_check_epochs: int | None = None  # None: as many as the real model's best epoch
    init_from: Path | None = None  # fine-tune: start from this run's weights (another corpus)
    config: ModelConfig = field(default_factory=ModelConfig)


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


def _dataset(draw: Callable[[], np.ndarray], batch_size: int, rng: np.random.Generator, packing: int | None) -> Any:
    """An endless tf.data pipeline of full batches, drawing fresh slices (phase, transposition) per pass."""
    import tensorflow as tf

    def batches() -> Any:
        while True:  # Keras counts steps_per_epoch; each new pass over the pieces is a fresh draw
            slices = draw()
            order = rng.permutation(len(slices))
            for begin in range(0, max(1, len(order) - batch_size + 1), batch_size):
                yield as_inputs_targets(slices[order[begin : begin + batch_size]], packing)

    spec = tf.TensorSpec(shape=(None, None), dtype=tf.int64)
    signature = ({n: spec for n in FIELDS}, {f"{n}_logits": spec for n in FIELDS})
    return tf.data.Dataset.from_generator(batches, output_signature=signature).prefetch(2)


def _fit(
    model: Any,
    draw: Callable[[], np.ndarray],
    validation: np.ndarray | None,
    options: TrainOptions,
    epochs: int,
    steps_per_epoch: int,
    rng: np.random.Generator,
    log: Path | None,
    packing: int | None,
) -> Any:
    import keras

    callbacks: list[Any] = []
    validation_data = None
    if validation is not None and len(validation):
        validation_data = as_inputs_targets(validation, packing)
        callbacks += [
            keras.callbacks.EarlyStopping("val_loss", patience=options.patience, restore_best_weights=True),
            # Duration and shift saturate early, so the summed loss plateaus while pitch still learns:
            # halve the rate only after half the early-stopping patience, and not below a tenth.
            keras.callbacks.ReduceLROnPlateau(
                "val_loss",
                factor=0.5,
                patience=max(1, options.patience // 2),
                min_lr=options.config.learning_rate / 10,
            ),
        ]
    if log is not None:
        callbacks.append(keras.callbacks.CSVLogger(str(log)))
    verbose = 1 if sys.stdout.isatty() else 2
    return model.fit(
        _dataset(draw, options.config.batch_size, rng, packing),
        steps_per_epoch=steps_per_epoch,
        validation_data=validation_data,
        epochs=epochs,
        callbacks=callbacks,
        verbose=verbose,
    )


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0]}
    for package in ("continuo", "tensorflow", "keras", "numpy", "mido", "music21", "tf2onnx", "onnx"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def leak_check(split: Split, codec: Codec, options: TrainOptions, epochs: int) -> dict[str, Any]:
    """Train the same model on a random-window split and score it: what a leaky split would claim.

    Stride-1 slices of all the split's pieces (in digest order, so the same whoever calls) are shuffled into
    90% train and 10% test, so test slices overlap training slices by up to 29 events, as in the seed's
    evaluation. An epoch has as many steps as the real model's.
    """
    import keras

    rng = np.random.default_rng(options.seed + 1)
    steps_per_epoch = _steps_per_epoch(usable(split.train, options.config.window), options.config)
    pieces = sorted([*split.train, *split.val, *split.test], key=lambda piece: piece.digest)
    slices = all_windows(pieces, options.config.window)
    order = rng.permutation(len(slices))
    cut = int(len(order) * 0.9)
    train_slices, test_slices = slices[order[:cut]], slices[order[cut:][:LEAK_TEST_WINDOWS]]
    keras.utils.set_random_seed(options.seed + 1)
    model = build_model(codec, options.config)
    if options.init_from is not None:  # the leaky twin starts where the real model started
        load_initial_weights(model, options.init_from, codec, options.config)

    def draw() -> np.ndarray:
        per_pass = min(steps_per_epoch * options.config.batch_size, len(train_slices))
        chosen = rng.choice(len(train_slices), size=per_pass, replace=False)
        return transpose_randomly(train_slices[chosen], rng, options.transpose)

    print(f"leak check: training the same model on a random-window split for {epochs} epochs", flush=True)
    _fit(model, draw, None, options, epochs, steps_per_epoch, rng, None, duration_packing(codec, options.config))
    window = options.config.window
    inputs = test_slices[:, :window]
    positions = np.stack([np.arange(len(inputs)), np.full(len(inputs), window - 1)], axis=1)
    scores = score_positions(keras_logits(model), inputs, positions, test_slices[:, window])
    return {
        "split": "random stride-1 windows, 90/10, overlapping",
        "test_windows": len(test_slices),
        "epochs": epochs,
        "model": {field: score.as_dict() for field, score in scores.items()},
    }


def _steps_per_epoch(trainable: Sequence[Piece], config: ModelConfig) -> int:
    """One epoch = about one pass over the training events, cut into window-long slices."""
    return max(1, sum((len(p) - 1) // config.window for p in trainable) // config.batch_size)


def add_leak_check(path: Path, epochs: int | None = None) -> dict[str, Any]:
    """Run the leak check (same procedure, by default as many epochs) for a run trained with --no-leak-check."""
    run = RunFolder(path)
    info = run.read_json("run.json")
    config = ModelConfig(**info["config"])
    split = run.read_split()
    options = TrainOptions(
        data=Path(info["data"]), name=info["name"], out=path, seed=info["seed"], transpose=info["transpose"],
        init_from=Path(info["init_from"]) if info.get("init_from") else None, config=config,
    )  # fmt: skip
    result = leak_check(split, Codec.from_json(info["codec"]), options, epochs or int(info["best_epoch"]))
    metrics = run.read_json("metrics.json")
    metrics["leak_check"] = result
    run.write_json("metrics.json", metrics)
    return metrics


def train(options: TrainOptions, command: str = "") -> RunFolder:
    codec = Codec()
    config = options.config
    print(f"loading {options.data}", flush=True)
    pieces, report = load_folder(options.data, codec, options.max_pieces)
    print(report.describe(), flush=True)
    split = split_by_piece(pieces, options.seed)
    trainable = usable(split.train, config.window)
    if not trainable:
        raise ContinuoError(
            f"no training piece in {options.data} has the {config.window + 1} events one training window needs"
        )
    if options.init_from is not None:
        refuse_seen_pieces(options.init_from, split)
    run = RunFolder(options.out)
    run.create()
    run.write_split(split, report, options, config.window)
    print(
        f"split by piece (seed {options.seed}): "
        + ", ".join(f"{k} {len(v)} pieces / {sum(len(p) for p in v)} events" for k, v in split.parts().items()),
        flush=True,
    )

    import keras  # only now: a bad folder is reported without waiting seconds for TensorFlow

    keras.utils.set_random_seed(options.seed)
    rng = np.random.default_rng(options.seed)
    steps_per_epoch = _steps_per_epoch(trainable, config)
    model = build_model(codec, config)
    if options.init_from is not None:
        load_initial_weights(model, options.init_from, codec, config)
        print(f"fine-tuning from {options.init_from}", flush=True)
    started = time.perf_counter()
    history = _fit(
        model,
        lambda: epoch_windows(trainable, config.window, rng, options.transpose),
        tiled_windows(split.val, config.window),
        options,
        options.epochs,
        steps_per_epoch,
        rng,
        run.path / "history.csv",
        duration_packing(codec, config),
    )
    seconds = time.perf_counter() - started
    model.save(run.model_path)
    _conclude(run, model, split, options, history.history, round(seconds, 1), command)
    return run


def finish_fit(options: TrainOptions, command: str = "") -> RunFolder:
    """Evaluate a run whose fit ended (model.keras, history.csv saved) but whose process stopped before
    evaluation, so hours of training are not thrown away. The fit's time comes from the files' times."""
    import csv

    run = RunFolder(options.out)
    history_path, manifest_path = run.path / "history.csv", run.path / "manifest.json"
    for needed in (run.model_path, history_path, manifest_path):
        if not needed.is_file():
            raise ContinuoError(f"--finish: {run.path} has no {needed.name}, so its fit did not end; train it again")
    if (run.path / "run.json").exists():
        raise ContinuoError(f"--finish: {run.path} already has run.json: its evaluation finished (see evaluate --run)")
    times = [path.stat().st_mtime for path in (manifest_path, history_path, run.model_path)]
    if not times[0] < times[2] or not times[0] <= times[1] <= times[2] + 60:
        raise ContinuoError(
            f"--finish: the files in {run.path} are not one fit's (manifest.json, history.csv and model.keras "
            "were not written in that order)"
        )
    manifest = run.read_json("manifest.json")
    if manifest["seed"] != options.seed or Path(manifest["data"]) != options.data:
        raise ContinuoError(
            f"--finish: {run.path} was split from {manifest['data']} with seed {manifest['seed']}, "
            f"not {options.data} with seed {options.seed}; give the original command's options"
        )
    recorded = manifest.get("fit_options")  # absent in runs begun before it was recorded
    if recorded is not None:  # a config stored before a field existed reads back with that field's default
        recorded = recorded | {"config": ModelConfig(**recorded["config"]).as_dict()}
    if recorded is not None and recorded != fit_options(options):
        raise ContinuoError(
            f"--finish: {run.path} was fitted with {recorded}, not {fit_options(options)}; give the original options"
        )
    with history_path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "loss" not in rows[0]:
        raise ContinuoError(f"--finish: {history_path} records no finished epoch; train it again")
    history = {key: [float(row[key]) for row in rows] for key in rows[0] if key != "epoch"}
    split = run.read_split()
    model = run.load_model()
    units = [layer.units for layer in model.layers if layer.name.startswith("lstm_")]
    if units and units[0] != options.config.units:
        raise ContinuoError(f"--finish: the saved model has {units[0]} LSTM units, not --units {options.config.units}")
    fit_seconds = times[2] - times[0]
    note = {"finished_by": command, "train_seconds_from": "manifest.json to model.keras file times"}
    original_command = shlex.join(word for word in shlex.split(command) if word != "--finish")
    _conclude(run, model, split, options, history, round(fit_seconds, 1), original_command, note)
    return run


def _conclude(
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
            "versions": _versions(),
            **(note or {}),
        },
    )
    run.write_json("metrics.json", metrics)
