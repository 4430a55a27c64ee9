"""`continuo train`: load a folder, split by piece, train many-to-many, evaluate, save a run folder.

The run folder holds everything evaluation and export need, so neither has to re-read the data:
manifest.json (split by piece), pieces.npz (encoded pieces), model.keras, run.json, metrics.json.
Besides a whole run, this module finishes a run whose fit ended before its evaluation (`--finish`) and adds
the leak check to a run trained without one.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from continuo.live.errors import ContinuoError
from continuo.live.music.codec import Codec
from continuo.training.conclude import conclude
from continuo.training.fit import epoch_steps, fit
from continuo.training.init_from import load_initial_weights, refuse_seen_pieces
from continuo.training.leak_check import leak_check
from continuo.training.loader import load_folder
from continuo.training.model import ModelConfig, build_model, duration_packing
from continuo.training.runfolder import RunFolder, fit_options
from continuo.training.split import split_by_piece
from continuo.training.windows import DEFAULT_TRANSPOSE, epoch_windows, tiled_windows, usable


@dataclass(frozen=True)
class TrainOptions:
    data: Path
    name: str
    out: Path
    epochs: int = 150
    max_pieces: int | None = None
    seed: int = 0
    patience: int = 8
    transpose: int = DEFAULT_TRANSPOSE
    leak_check: bool = True
    leak_check_epochs: int | None = None  # None: as many as the real model's best epoch
    init_from: Path | None = None  # fine-tune: start from this run's weights (another corpus)
    config: ModelConfig = field(default_factory=ModelConfig)


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
    """Load and split the data, fit the model (from scratch or from `--init-from`), then score it and write
    the run folder; a folder with no usable training piece stops before anything is written."""
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
    steps_per_epoch = epoch_steps(trainable, config)
    model = build_model(codec, config)
    if options.init_from is not None:
        load_initial_weights(model, options.init_from, codec, config)
        print(f"fine-tuning from {options.init_from}", flush=True)
    started = time.perf_counter()
    history = fit(
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
    conclude(run, model, split, options, history.history, round(seconds, 1), command)
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
    conclude(run, model, split, options, history, round(fit_seconds, 1), original_command, note)
    return run
