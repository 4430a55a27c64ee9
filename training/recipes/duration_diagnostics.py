"""Why Bach's duration top-1 stops near 74%: the diagnostics quoted in models/MODEL_CARD.md.

None makes a model that ships or plays; each starts from a finished run (the card used runs/bach-ft-s0)
and are judged on its validation pieces, never its test pieces.

    python training/recipes/duration_diagnostics.py errors runs/bach-ft-s0
    python training/recipes/duration_diagnostics.py lookahead runs/bach-ft-s0
    python training/recipes/duration_diagnostics.py lookahead runs/bach-ft-s0 --control
    python training/recipes/duration_diagnostics.py phase runs/bach-ft-s0 [--next] [--control]
    python training/recipes/duration_diagnostics.py long-context runs/bach-ft-s0 --window 120

- errors: the run's duration mistakes on its validation pieces, the commonest (true, predicted) pairs first.
- lookahead: the run's trained layers, frozen, plus a new duration head that also sees the next event's
  true pitch and shift. Its validation duration top-1 (Keras' metric on the tiled validation windows, as in
  the run's history.csv) says how much the next event would tell the duration head. `--control` trains the
  same new head with the next pitch and shift hidden (always 0), so the difference is the information
  itself, not the extra layer or the extra epochs.
- phase: the same, the new head told where an onset falls in the beat (in 24ths, counted from the piece's
  first onset): the last input event's, or with `--next` the predicted event's (known only once its shift
  is). `--control` hides it.
- long-context: the run trained further on longer windows, scored with that much context and with 30
  (the repository's scorer, every validation target once).
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from continuo.live.music.codec import FIELDS
from continuo.training.loader import Piece
from continuo.training.model import ModelConfig, keras_logits
from continuo.training.runfolder import RunFolder
from continuo.training.scoring import context_windows, score_model
from continuo.training.windows import DEFAULT_TRANSPOSE, as_inputs_targets, epoch_windows, tiled_windows

WINDOW = ModelConfig().window  # the context the shipped models are trained and scored with
PHASE_STEPS = 24  # per beat: every duration and shift class is a whole number of 24ths


def errors(run_path: Path) -> None:
    from collections import Counter

    run = RunFolder(run_path)
    durations = run.read_json("run.json")["codec"]["durations"]
    inputs, positions, targets = context_windows(run.read_split().val, WINDOW)
    logits = keras_logits(run.load_model())
    rows = [np.asarray(logits(inputs[begin : begin + 512])[1]) for begin in range(0, len(inputs), 512)]
    predicted = np.concatenate(rows)[positions[:, 0], positions[:, 1]].argmax(axis=-1)
    wrong = predicted != targets[:, 1]
    print(f"validation duration top-1 {1 - wrong.mean():.4f} over {len(wrong)} events; {wrong.sum()} errors")
    pairs = Counter(zip(targets[wrong, 1].tolist(), predicted[wrong].tolist()))
    for (true, guess), count in pairs.most_common(5):
        print(f"  true {durations[true]:g} beats, predicted {durations[guess]:g}: {count} ({count / wrong.sum():.1%})")


def _frozen_trunk_with_new_duration_head(run: RunFolder, extras: dict[str, int]) -> Any:
    """The run's trained layers, frozen, and a new duration head that also sees `extras` (name: classes)."""
    import keras

    base = keras.models.load_model(run.model_path, compile=False)
    inputs = {name: keras.Input((None,), dtype="int64", name=name) for name in (*FIELDS, *extras)}
    hidden = keras.layers.Concatenate()([base.get_layer(f"{name}_embedding")(inputs[name]) for name in FIELDS])
    for layer in ("lstm_1", "dropout_1", "lstm_2", "dropout_2"):
        hidden = base.get_layer(layer)(hidden)
    for layer in base.layers:
        layer.trainable = False
    sizes = {"next_pitch": 32}
    seen = [hidden] + [keras.layers.Embedding(n, sizes.get(name, 8))(inputs[name]) for name, n in extras.items()]
    head = keras.layers.Dense(256, activation="relu")(keras.layers.Concatenate()(seen))
    model = keras.Model(inputs, keras.layers.Dense(base.get_layer("duration_logits").units)(head))
    model.compile(
        keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["acc"]
    )
    return model


Feeds = Callable[[np.ndarray], tuple[dict[str, np.ndarray], np.ndarray]]


def _train_new_head(run: RunFolder, model: Any, feeds: Feeds, train: Sequence[Piece], val: Sequence[Piece],
                    epochs: int, seed: int, what: str) -> None:  # fmt: skip
    """Fit the new head epoch by epoch; print its validation duration top-1 and the run's own."""
    rng = np.random.default_rng(seed)
    validation = feeds(tiled_windows(val, WINDOW))
    for epoch in range(epochs):
        model.fit(*feeds(epoch_windows(train, WINDOW, rng, DEFAULT_TRANSPOSE)), batch_size=32, epochs=1, verbose=0)
        accuracy = model.evaluate(*validation, verbose=0)[1]
        print(f"epoch {epoch + 1}: validation duration top-1, {what}: {accuracy:.4f}", flush=True)
    best_epoch = run.read_json("run.json")["best_epoch"]  # counted from 1; history.csv counts from 0
    with (run.path / "history.csv").open() as history:
        best = next(row for row in csv.DictReader(history) if int(row["epoch"]) == best_epoch - 1)
    print(f"the run itself at its best epoch ({best_epoch}): {float(best['val_duration_logits_acc']):.4f}")


def _hidden_if(control: bool, told: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: np.zeros_like(values) for name, values in told.items()} if control else told


def lookahead(run_path: Path, epochs: int, seed: int, control: bool) -> None:
    import keras

    keras.utils.set_random_seed(seed)
    run = RunFolder(run_path)
    split = run.read_split()
    n_shifts = len(run.read_json("run.json")["codec"]["shifts"])
    model = _frozen_trunk_with_new_duration_head(run, {"next_pitch": 128, "next_shift": n_shifts})

    def feeds(slices: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        given, targets = as_inputs_targets(slices)
        told = {"next_pitch": targets["pitch_logits"], "next_shift": targets["shift_logits"]}
        return given | _hidden_if(control, told), targets["duration_logits"]

    what = f"next pitch and shift {'hidden (control)' if control else 'told'}"
    _train_new_head(run, model, feeds, split.train, split.val, epochs, seed, what)


def with_beat_phase(pieces: Sequence[Piece], shifts: Sequence[float]) -> list[Piece]:
    """Each piece with a fourth column: its onset's place in the beat, in 24ths from the piece's first onset."""
    table = np.asarray(shifts, dtype=np.float64)
    found = []
    for piece in pieces:
        onsets = np.cumsum(table[piece.events[:, 2]])
        phase = np.rint(onsets * PHASE_STEPS).astype(np.int64) % PHASE_STEPS
        found.append(Piece(piece.name, np.column_stack([piece.events, phase]), piece.digest))
    return found


def phase(run_path: Path, epochs: int, seed: int, control: bool, of_next: bool) -> None:
    import keras

    keras.utils.set_random_seed(seed)
    run = RunFolder(run_path)
    split = run.read_split()
    shifts = run.read_json("run.json")["codec"]["shifts"]
    model = _frozen_trunk_with_new_duration_head(run, {"phase": PHASE_STEPS})

    def feeds(slices: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        given, targets = as_inputs_targets(slices)
        where = slices[:, 1:, 3] if of_next else slices[:, :-1, 3]
        return given | _hidden_if(control, {"phase": where}), targets["duration_logits"]

    whose = "next onset's" if of_next else "last onset's"
    what = f"{whose} place in the beat {'hidden (control)' if control else 'told'}"
    train, val = with_beat_phase(split.train, shifts), with_beat_phase(split.val, shifts)
    _train_new_head(run, model, feeds, train, val, epochs, seed, what)


def _validation_scores(model: Any, pieces: Sequence[Piece], window: int) -> str:
    """Top-1 per head with `window` events of context and with the shipped models' WINDOW."""
    found = []
    for context in (window, WINDOW):
        scores = score_model(keras_logits(model), pieces, context)
        found.append(f"context {context}: " + ", ".join(f"{field} {scores[field].top1:.4f}" for field in FIELDS))
    return "; ".join(found)


def long_context(run_path: Path, window: int, epochs: int, seed: int, learning_rate: float) -> None:
    import keras

    keras.utils.set_random_seed(seed)
    run = RunFolder(run_path)
    split = run.read_split()
    model = keras.models.load_model(run.model_path)
    model.optimizer.learning_rate.assign(learning_rate)
    print(f"before: {_validation_scores(model, split.val, window)}")
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        given, targets = as_inputs_targets(epoch_windows(split.train, window, rng, DEFAULT_TRANSPOSE))
        model.fit(given, targets, batch_size=32, epochs=1, verbose=0)
        if (epoch + 1) % 3 == 0 or epoch + 1 == epochs:
            print(f"epoch {epoch + 1}: {_validation_scores(model, split.val, window)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ahead = commands.add_parser("lookahead", help="a duration head told the next event's pitch and shift")
    ahead.add_argument("run", type=Path)
    ahead.add_argument("--epochs", type=int, default=15)
    ahead.add_argument("--seed", type=int, default=0)
    ahead.add_argument("--control", action="store_true", help="hide the next pitch and shift from the new head")
    placed = commands.add_parser("phase", help="a duration head told where the onset falls in the beat")
    placed.add_argument("run", type=Path)
    placed.add_argument("--epochs", type=int, default=15)
    placed.add_argument("--seed", type=int, default=0)
    placed.add_argument("--control", action="store_true", help="hide the place in the beat from the new head")
    placed.add_argument("--next", action="store_true", help="the predicted event's onset instead of the last one's")
    mistakes = commands.add_parser("errors", help="the commonest duration mistakes on the validation pieces")
    mistakes.add_argument("run", type=Path)
    longer = commands.add_parser("long-context", help="train further on longer windows, score with longer context")
    longer.add_argument("run", type=Path)
    longer.add_argument("--window", type=int, default=120)
    longer.add_argument("--epochs", type=int, default=15)
    longer.add_argument("--seed", type=int, default=0)
    longer.add_argument("--learning-rate", type=float, default=2.5e-4)
    args = parser.parse_args()
    if RunFolder(args.run).read_json("run.json")["config"].get("duration_given_shift"):
        parser.error(f"{args.run} is a format-2 run: these diagnostics look into format-1 runs' duration heads")
    if args.command == "errors":
        errors(args.run)
    elif args.command == "lookahead":
        lookahead(args.run, args.epochs, args.seed, args.control)
    elif args.command == "phase":
        phase(args.run, args.epochs, args.seed, args.control, args.next)
    else:
        long_context(args.run, args.window, args.epochs, args.seed, args.learning_rate)


if __name__ == "__main__":
    main()
