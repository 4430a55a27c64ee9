"""The `continuo` command: one entry point, one subcommand per job (DESIGN.md §6).

Only argparse lives at module level; each subcommand imports what it needs when it runs, so
`continuo play` never pays for (or needs) TensorFlow. Exit codes: 0 ok, 2 usage or bad input,
1 failure.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from continuo.live.errors import ContinuoError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
TRAIN_EXTRA_HINT = "install the training extras: pip install 'continuo[train]'"


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected more than 0, got {value}")
    return value


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a value from 0 up to (not including) 1, got {value}")
    return value


def semitones(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of semitones, got {text!r}") from None
    if not 0 <= value <= 12:
        raise argparse.ArgumentTypeError(f"expected 0 to 12 semitones, got {value}")
    return value


def _needs_training_extras(module: str) -> None:
    """Fail with the install hint instead of an ImportError; quiet TensorFlow's C++ start-up log."""
    import os
    from importlib.util import find_spec

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    if find_spec(module) is None:
        raise ContinuoError(f"this command needs {module}, which is not installed; {TRAIN_EXTRA_HINT}")


def cmd_corpus(args: argparse.Namespace) -> int:
    _needs_training_extras("music21")
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
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    _needs_training_extras("tensorflow")
    from continuo.training.model import ModelConfig
    from continuo.training.train import TrainOptions, summary_lines, train

    options = TrainOptions(
        data=Path(args.data),
        name=args.name,
        out=Path(args.out),
        epochs=args.epochs,
        max_pieces=args.max_pieces,
        seed=args.seed,
        patience=args.patience,
        leak_check=not args.no_leak_check,
        transpose=args.transpose,
        config=ModelConfig(
            batch_size=args.batch_size, units=args.units, learning_rate=args.learning_rate, dropout=args.dropout
        ),
    )
    command = "continuo " + shlex.join(sys.argv[1:])
    run = train(options, command)
    print("\n".join(summary_lines(run.read_json("metrics.json"))))
    print(f"saved run to {run.path}")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    _needs_training_extras("tensorflow")
    from continuo.training.evaluate import evaluate_run, print_report

    run = Path(args.run)
    if not run.is_dir():
        raise ContinuoError(f"run folder {run} does not exist")
    print_report(evaluate_run(run), args.json)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    _needs_training_extras("tf2onnx")
    from continuo.export.onnx_export import export_run

    run = Path(args.run)
    if not run.is_dir():
        raise ContinuoError(f"run folder {run} does not exist")
    report = export_run(run, Path(args.output))
    print(
        f"wrote {report.path} ({report.size_bytes / 1e6:.1f} MB), "
        f"max |ONNX - Keras| logit difference {report.max_abs_difference:.1e}"
    )
    return EXIT_OK


def cmd_play(args: argparse.Namespace) -> int:
    print(
        "continuo play: the live engine is not built yet (issue 5). Today Continuo can build a corpus,\n"
        "train and evaluate models: see README.md.",
        file=sys.stderr,
    )
    return EXIT_FAILURE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="continuo", description="Real-time MIDI generation from per-composer neural models."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.set_defaults(handler=handler)
        return sub

    play = add("play", cmd_play, "stream generated notes to a virtual MIDI port (not built yet)")
    play.add_argument("--model", default="bach", help="shipped model name or .onnx path")

    corpus = add("corpus", cmd_corpus, "write per-composer MIDI folders from the music21 corpus")
    corpus.add_argument(
        "--composers",
        default="bach,palestrina,monteverdi,beethoven,mozart,haydn",
        help="comma-separated music21 composer names (default: %(default)s)",
    )
    corpus.add_argument("--out", required=True, help="folder to write OUT/<composer>/*.mid into")
    corpus.add_argument("--max-pieces", type=positive_int, help="at most this many scores per composer")

    train = add("train", cmd_train, "train a model on a folder of MIDI files, split by piece")
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
        "--transpose", type=semitones, default=6, help="augment by random transposition up to ± this many semitones"
    )
    train.add_argument("--patience", type=positive_int, default=8, help="epochs without val-loss gain before stopping")
    train.add_argument(
        "--no-leak-check", action="store_true", help="skip training the random-window-split model used as leak check"
    )

    evaluate = add("evaluate", cmd_evaluate, "score a run's model on its test split beside the baselines")
    evaluate.add_argument("--run", required=True, help="run folder written by `continuo train`")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    export = add("export", cmd_export, "turn a trained run into a self-describing ONNX model file")
    export.add_argument("run", help="run folder written by `continuo train`")
    export.add_argument("-o", "--output", required=True, help="model file to write, e.g. models/bach.onnx")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except ContinuoError as error:
        print(f"continuo {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"continuo {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
