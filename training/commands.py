"""The training package's `continuo` subcommands: corpus, train, evaluate and report.

They are registered under the `continuo.commands` entry-point group (pyproject.toml), so the live
CLI lists and runs them without importing this package itself. Each command imports TensorFlow or
music21 only when it runs, after checking they are installed.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from continuo.live.cli.arguments import bounded, positive_float, positive_int
from continuo.live.cli.subcommand import TRAIN_EXTRA_HINT, Subcommand
from continuo.live.errors import EXIT_OK, ContinuoError

fraction = bounded(float, lambda v: 0 <= v < 1, "a number from 0 up to (not including) 1")
semitones = bounded(int, lambda v: 0 <= v <= 12, "a whole number of semitones from 0 to 12")


def head_weights(text: str) -> tuple[float, float, float]:
    """`--loss-weights 1,2,1`: how much each head's loss counts (pitch, duration, shift)."""
    parts = text.split(",")
    try:
        weights = tuple(float(part) for part in parts)
    except ValueError:
        weights = ()
    if len(weights) != 3 or not all(0 < weight < float("inf") for weight in weights):
        raise argparse.ArgumentTypeError(f"expected three numbers above 0 for pitch,duration,shift, got {text!r}")
    return weights


def existing_run(text: str) -> Path:
    run = Path(text)
    if not run.is_dir():
        raise ContinuoError(f"run folder {run} does not exist")
    return run


def needs_training_extras(module: str) -> None:
    """Fail with the install hint instead of an ImportError; quiet TensorFlow's C++ start-up log."""
    import os
    from importlib.util import find_spec

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    if find_spec(module) is None:
        raise ContinuoError(f"this command needs {module}, which is not installed; {TRAIN_EXTRA_HINT}")


def command_line() -> str:
    """The command as typed, for the run's record of how it was made."""
    return "continuo " + shlex.join(sys.argv[1:])


def add_corpus_arguments(corpus: argparse.ArgumentParser) -> None:
    corpus.add_argument(
        "--composers",
        default="bach,palestrina,monteverdi,beethoven,mozart,haydn",
        help="comma-separated music21 composer names (default: %(default)s)",
    )
    corpus.add_argument("--out", required=True, help="folder to write OUT/<composer>/*.mid into")
    corpus.add_argument("--max-pieces", type=positive_int, help="at most this many scores per composer")


def run_corpus(args: argparse.Namespace) -> int:
    needs_training_extras("music21")
    from continuo.training.corpus import build_corpus

    composers = [c.strip() for c in args.composers.split(",") if c.strip()]
    if not composers:
        raise ContinuoError("--composers is empty: give names such as bach,mozart")
    summary = build_corpus(composers, Path(args.out), args.max_pieces)
    for composer in composers:
        print(
            f"{composer}: {summary.written[composer]} written, {summary.kept[composer]} already present, "
            f"{summary.skipped[composer]} skipped -> {Path(args.out) / composer}"
        )
    for reason in summary.reasons[:10]:
        print(f"  skipped {reason}")
    if len(summary.reasons) > 10:
        print(f"  ... and {len(summary.reasons) - 10} more")
    for note in summary.notes:
        print(f"  note {note}")
    return EXIT_OK


def add_train_arguments(train: argparse.ArgumentParser) -> None:
    train.add_argument("--data", required=True, help="folder of .mid/.midi files, searched recursively")
    train.add_argument("--name", required=True, help="model name, usually the composer (e.g. bach)")
    train.add_argument("--out", required=True, help="run folder to write (e.g. runs/bach)")
    train.add_argument("--epochs", type=positive_int, default=150, help="most epochs; early stopping may end sooner")
    train.add_argument("--max-pieces", type=positive_int, help="use only the first N files (sorted by path)")
    train.add_argument("--seed", type=int, default=0, help="split, augmentation and weight seed (default 0)")
    train.add_argument("--batch-size", type=positive_int, default=32, help="windows per batch (default 32)")
    train.add_argument("--units", type=positive_int, default=256, help="LSTM units per layer (default 256)")
    train.add_argument("--learning-rate", type=positive_float, default=3e-3, help="Adam learning rate (default 0.003)")
    train.add_argument("--dropout", type=fraction, default=0.2, help="dropout after each LSTM layer (default 0.2)")
    train.add_argument(
        "--loss-weights",
        type=head_weights,
        default=(1.0, 1.0, 1.0),
        help="how much each head's loss counts, pitch,duration,shift (default 1,1,1)",
    )
    train.add_argument(
        "--duration-given-shift",
        action="store_true",
        help="model format 2: the duration is drawn given the drawn shift (default: format 1, independent heads)",
    )
    train.add_argument(
        "--transpose", type=semitones, default=6, help="augment by random transposition up to ± this many semitones"
    )
    train.add_argument(
        "--init-from",
        help="fine-tune: start from this run's weights (another corpus's, or this one's with the same --seed)",
    )
    train.add_argument("--patience", type=positive_int, default=8, help="epochs without val-loss gain before stopping")
    train.add_argument(
        "--no-leak-check", action="store_true", help="skip training the random-window-split model used as leak check"
    )
    train.add_argument(
        "--leak-check-epochs", type=positive_int, help="train the leak check this long (default: as long as the fit)"
    )
    train.add_argument(
        "--finish",
        action="store_true",
        help="the fit in --out ended but its process stopped before evaluation: evaluate it now, no retraining",
    )


def run_train(args: argparse.Namespace) -> int:
    needs_training_extras("tensorflow")
    from continuo.training.evaluate import summary_lines
    from continuo.training.model import ModelConfig
    from continuo.training.train import TrainOptions, finish_fit, train

    options = TrainOptions(
        data=Path(args.data),
        name=args.name,
        out=Path(args.out),
        epochs=args.epochs,
        max_pieces=args.max_pieces,
        seed=args.seed,
        patience=args.patience,
        leak_check=not args.no_leak_check,
        leak_check_epochs=args.leak_check_epochs,
        transpose=args.transpose,
        init_from=Path(args.init_from) if args.init_from else None,
        config=ModelConfig(
            batch_size=args.batch_size,
            units=args.units,
            learning_rate=args.learning_rate,
            dropout=args.dropout,
            loss_weights=args.loss_weights,
            duration_given_shift=args.duration_given_shift,
        ),
    )
    if args.no_leak_check and args.leak_check_epochs:
        raise ContinuoError("--leak-check-epochs and --no-leak-check contradict each other: give one")
    run = (finish_fit if args.finish else train)(options, command_line())
    print("\n".join(summary_lines(run.read_json("metrics.json"))))
    print(f"saved run to {run.path}")
    return EXIT_OK


def add_evaluate_arguments(evaluate: argparse.ArgumentParser) -> None:
    evaluate.add_argument(
        "--run", action="append", help="run folder written by `continuo train`; several: the spread across seeds"
    )
    evaluate.add_argument("--model", help="or: an exported model (name or .onnx path) ...")
    evaluate.add_argument("--data", help="... with the data folder it was trained on (test split from its metadata)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    evaluate.add_argument(
        "--near-copies",
        action="store_true",
        help="with --model/--data: the test scores with and without test pieces that are near-copies of training ones",
    )
    evaluate.add_argument(
        "--leak-check",
        action="store_true",
        help="for a run trained with --no-leak-check: train its leak-check model now (as long as training)",
    )
    evaluate.add_argument(
        "--leak-check-epochs", type=positive_int, help="train the leak check this long (default: as long as the fit)"
    )


def run_evaluate(args: argparse.Namespace) -> int:
    needs_training_extras("tensorflow")
    from continuo.training.evaluate import evaluate_model_file, evaluate_run, print_report, seed_spread, spread_lines

    runs = [existing_run(run) for run in args.run or []]
    if args.near_copies:
        if not (args.model and args.data) or runs or args.leak_check:
            raise ContinuoError("--near-copies needs --model MODEL --data DATA_FOLDER (and no --run or --leak-check)")
        from continuo.training.evaluate import evaluate_near_copies, near_copies_lines

        report = evaluate_near_copies(args.model, Path(args.data), command_line())
        print(json.dumps(report) if args.json else "\n".join(near_copies_lines(report)))
        return EXIT_OK
    if args.leak_check_epochs and not args.leak_check:
        raise ContinuoError("--leak-check-epochs needs --leak-check")
    if args.leak_check and len(runs) != 1:
        raise ContinuoError("--leak-check needs exactly one --run RUN_FOLDER")
    if len(runs) > 1 and not args.model:
        spread = seed_spread([evaluate_run(run) for run in runs])
        print(json.dumps(spread) if args.json else "\n".join(spread_lines(spread)))
        return EXIT_OK
    if runs and not args.model:
        if args.leak_check:
            from contextlib import redirect_stdout

            from continuo.training.train import add_leak_check

            with redirect_stdout(sys.stderr if args.json else sys.stdout):  # --json: stdout is the JSON alone
                add_leak_check(runs[0], args.leak_check_epochs)
        metrics = evaluate_run(runs[0])
        if args.leak_check:
            metrics["leak_check_source"] = "measured by this command"
    elif args.model and args.data and not runs:
        metrics = evaluate_model_file(args.model, Path(args.data))
    else:
        raise ContinuoError("give either --run RUN_FOLDER (one or more), or --model MODEL --data DATA_FOLDER")
    print_report(metrics, args.json)
    return EXIT_OK


def add_report_arguments(report: argparse.ArgumentParser) -> None:
    report.add_argument("--model", default="bach", help="shipped model name or .onnx path (default bach)")
    report.add_argument("--seed-composer", help="start from this composer's seed bank (default: the model's)")
    report.add_argument("--events", type=positive_int, default=2000, help="events to generate (default 2000)")
    report.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (default 1.0)")
    report.add_argument("--top-p", type=float, help="nucleus sampling, as in generate (default: none)")
    report.add_argument("--seed", type=int, default=0, help="random seed of the first stream (default 0)")
    report.add_argument(
        "--streams",
        type=positive_int,
        default=1,
        help="generate this many streams, seeds SEED, SEED+1, ... (default 1)",
    )
    report.add_argument(
        "--data", help="the model's corpus folder, for its test and training pieces (default data/NAME)"
    )
    report.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def run_report(args: argparse.Namespace) -> int:
    from continuo.live.model.model_file import load_model
    from continuo.training.report import make_report

    data = Path(args.data) if args.data else Path("data") / load_model(args.model).info.name
    report = make_report(
        args.model, data, args.events, args.seed_composer, args.temperature, args.seed, args.top_p, args.streams
    )
    print(json.dumps(report.as_dict()) if args.json else "\n".join(report.lines()))
    return EXIT_OK


CORPUS = Subcommand(
    "corpus", "write per-composer MIDI folders from the music21 corpus", add_corpus_arguments, run_corpus
)
TRAIN = Subcommand("train", "train a model on a folder of MIDI files, split by piece", add_train_arguments, run_train)
EVALUATE = Subcommand(
    "evaluate", "score a run's model on its test split beside the baselines", add_evaluate_arguments, run_evaluate
)
REPORT = Subcommand(
    "report",
    "musical statistics of generated music beside the composer's test pieces",
    add_report_arguments,
    run_report,
)
