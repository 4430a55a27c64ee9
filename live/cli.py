"""The `continuo` command: one entry point, one subcommand per job (DESIGN.md §6).

Only argparse lives at module level; each subcommand imports what it needs when it runs, so
`continuo play` never pays for (or needs) TensorFlow. Exit codes: 0 ok, 2 usage or bad input,
1 failure.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TypeVar

from continuo.live.errors import ContinuoError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
Number = TypeVar("Number", int, float)
TRAIN_EXTRA_HINT = "install the training extras: pip install 'continuo[train]'"


def _bounded(
    convert: Callable[[str], Number], fits: Callable[[Number], bool], expected: str
) -> Callable[[str], Number]:
    """An argparse type that names what it expected and what it got."""

    def parse(text: str) -> Number:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not fits(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
        return value

    return parse


positive_int = _bounded(int, lambda v: v >= 1, "a whole number, 1 or more")
positive_float = _bounded(float, lambda v: v > 0, "a number above 0")
fraction = _bounded(float, lambda v: 0 <= v < 1, "a number from 0 up to (not including) 1")
channel = _bounded(int, lambda v: 1 <= v <= 16, "a MIDI channel from 1 to 16")
velocity = _bounded(int, lambda v: 1 <= v <= 127, "a velocity from 1 to 127")
BACKEND_CHOICES = ("auto", "alsa", "jack", "coremidi", "windows")
semitones = _bounded(int, lambda v: 0 <= v <= 12, "a whole number of semitones from 0 to 12")


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


def _existing_run(text: str) -> Path:
    run = Path(text)
    if not run.is_dir():
        raise ContinuoError(f"run folder {run} does not exist")
    return run


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
    for note in summary.notes:
        print(f"  note {note}")
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    _needs_training_extras("tensorflow")
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
    command = "continuo " + shlex.join(sys.argv[1:])
    run = (finish_fit if args.finish else train)(options, command)
    print("\n".join(summary_lines(run.read_json("metrics.json"))))
    print(f"saved run to {run.path}")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    _needs_training_extras("tensorflow")
    from continuo.training.evaluate import evaluate_model_file, evaluate_run, print_report, seed_spread, spread_lines

    runs = [_existing_run(run) for run in args.run or []]
    if args.near_copies:
        if not (args.model and args.data) or runs or args.leak_check:
            raise ContinuoError("--near-copies needs --model MODEL --data DATA_FOLDER (and no --run or --leak-check)")
        from continuo.training.evaluate import evaluate_near_copies, near_copies_lines

        report = evaluate_near_copies(args.model, Path(args.data), "continuo " + shlex.join(sys.argv[1:]))
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


def cmd_export(args: argparse.Namespace) -> int:
    _needs_training_extras("tf2onnx")
    from continuo.export.onnx_export import export_run

    run = _existing_run(args.run)
    report = export_run(run, Path(args.output))
    print(
        f"wrote {report.path} ({report.size_bytes / 1e6:.1f} MB), "
        f"max |ONNX - Keras| logit difference {report.max_abs_difference:.1e}"
    )
    if args.seeds:
        from continuo.export.seeds import write_seed_bank

        seeds = write_seed_bank(run, Path(args.seeds), args.seed_count)
        print(f"wrote {len(seeds)} seed phrases from test pieces to {args.seeds}")
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from continuo.live.model.model_file import ContinuoModel, shipped_models

    shipped = {
        name: (ContinuoModel(path).info.metadata, path.stat().st_size) for name, path in shipped_models().items()
    }
    if args.card:
        from continuo.export.card_artifacts import shipped_artifacts
        from continuo.export.model_card import render_card

        print(render_card(shipped, shipped_artifacts()), end="")
        return EXIT_OK
    rows = []
    for name, (metadata, size) in sorted(shipped.items()):
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


def cmd_play(args: argparse.Namespace) -> int:
    if args.list_ports:
        return cmd_ports(args)
    from continuo.live.runner.play import PlayRequest, play

    request = PlayRequest(
        model=args.model,
        seed_composer=args.seed_composer,
        seed_file=Path(args.seed_file) if args.seed_file else None,
        temperature=args.temperature,
        top_p=args.top_p,
        seed=args.seed,
        tempo=args.tempo,
        channel=args.channel,
        velocity=args.velocity,
        output_name=args.output_name,
        output_port=args.output_port,
        output=args.output,
        backend=args.backend,
        duration=args.duration,
        record=Path(args.record) if args.record else None,
        record_part_minutes=args.record_part_minutes,
        timing_report=Path(args.timing_report) if args.timing_report else None,
        quiet=args.quiet,
        print_notes=args.print_notes,
        start_jack=args.start_jack,
        input_port=args.input_port,
        input_name=args.input_name,
        input_channel=args.input_channel,
        mode=args.mode,
        phrase_gap=args.phrase_gap,
        answer_length=args.answer_length,
        cc_map=Path(args.cc_map) if args.cc_map else None,
        log=Path(args.log) if args.log else None,
        clock_port=args.clock,
        clock_name=args.clock_name,
        send_clock=args.send_clock,
        program_models=tuple(n for n in (args.program_models or "").split(",") if n),
    )
    return play(request)


def cmd_generate(args: argparse.Namespace) -> int:
    from continuo.live.offline.generate import GenerateRequest, Outputs, generate_files

    request = GenerateRequest(
        model=args.model,
        seed_composer=args.seed_composer,
        seed_file=Path(args.seed_file) if args.seed_file else None,
        events=args.events if args.events is not None or args.beats is not None else 500,
        beats=args.beats,
        temperature=args.temperature,
        top_p=args.top_p,
        seed=args.seed,
        tempo=args.tempo,
        velocity=args.velocity,
        channel=args.channel,
    )
    outputs = Outputs(
        midi=Path(args.output),
        wav=Path(args.wav) if args.wav else None,
        png=Path(args.png) if args.png else None,
        soundfont=Path(args.soundfont) if args.soundfont else None,
    )
    result = generate_files(request, outputs, progress=sys.stderr.isatty())
    written = ", ".join(str(p) for p in (outputs.midi, outputs.wav, outputs.png) if p is not None)
    print(f"{len(result.events)} events from {result.model.info.name} (seed {result.seed_name}) -> {written}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from continuo.live.model.model_file import load_model
    from continuo.training.report import make_report

    data = Path(args.data) if args.data else Path("data") / load_model(args.model).info.name
    report = make_report(
        args.model, data, args.events, args.seed_composer, args.temperature, args.seed, args.top_p, args.streams
    )
    print(json.dumps(report.as_dict()) if args.json else "\n".join(report.lines()))
    return EXIT_OK


def cmd_ports(args: argparse.Namespace) -> int:
    from continuo.live.midi_io.ports import BACKENDS, NoMidiSystemError, api_answers, list_ports, no_midi_system_fix

    backends = [args.backend] if args.backend != "auto" else list(_platform_backends())
    found = False
    for backend in backends:
        api = BACKENDS[backend]
        if not api_answers(api):
            print(f"{backend}: not available")
            continue
        found = True
        listing = list_ports(api)
        print(f"{listing.backend}:")
        print("  inputs:  " + (", ".join(repr(n) for n in listing.inputs) or "none"))
        print("  outputs: " + (", ".join(repr(n) for n in listing.outputs) or "none"))
    if not found:
        raise NoMidiSystemError(f"no MIDI system answers ({', '.join(backends)}): {no_midi_system_fix()}")
    return EXIT_OK


def _platform_backends() -> tuple[str, ...]:
    if sys.platform.startswith("linux"):
        return ("alsa", "jack")
    if sys.platform == "darwin":
        return ("coremidi", "jack")
    return ("windows",)


class _Parser(argparse.ArgumentParser):
    """A bad value is one line naming the flag and the value; unknown flags still get the usage."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("argument --") and ("expected " in message or "invalid " in message):
            self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="continuo", description="Real-time MIDI generation from per-composer neural models.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.set_defaults(handler=handler)
        return sub

    play = add("play", cmd_play, "stream generated notes in real time to a virtual MIDI port")
    play.add_argument("--model", default="bach", help="shipped model name or .onnx path (default bach)")
    seed = play.add_mutually_exclusive_group()
    seed.add_argument("--seed-composer", help="start from a phrase of this composer's seed bank (default: the model's)")
    seed.add_argument("--seed-file", help="start from the last 30 events of this MIDI file")
    play.add_argument("--temperature", type=float, default=1.0, help="sampling temperature, 0.05-10 (default 1.0)")
    play.add_argument("--top-p", type=float, help="nucleus sampling: keep the likeliest classes up to this mass")
    play.add_argument("--seed", type=int, help="random seed: same seed, model and seed phrase give the same notes")
    play.add_argument("--tempo", type=float, default=120.0, help="beats (quarter notes) per minute (default 120)")
    play.add_argument("--channel", type=channel, default=1, help="MIDI channel to play on, 1-16 (default 1)")
    play.add_argument(
        "--velocity", type=velocity, help="fixed note-on velocity, 1-127 (default: 80, then the performer's dynamics)"
    )
    port = play.add_mutually_exclusive_group()
    port.add_argument("--output-name", default="Continuo", help="name of the virtual output port (default Continuo)")
    port.add_argument("--output-port", help="send to this existing port instead (e.g. loopMIDI on Windows)")
    play.add_argument("--output", choices=("port", "none"), default="port", help="none: no port, only --record")
    listen = play.add_mutually_exclusive_group()
    listen.add_argument("--input-port", help="listen to this existing MIDI input port (a keyboard)")
    listen.add_argument("--input-name", help="listen on a new virtual input port of this name")
    play.add_argument("--input-channel", type=channel, help="only hear this input channel, 1-16 (default: all)")
    play.add_argument(
        "--mode", choices=("continue", "call-response", "accompany"), default="continue", help="(default continue)"
    )
    play.add_argument("--phrase-gap", default="500ms", help="call-response: silence that ends a phrase (500ms, 1beat)")
    play.add_argument("--answer-length", default="8beats", help="call-response: answer length (8beats, 16events)")
    play.add_argument(
        "--cc-map", help="JSON file mapping CC numbers to parameters (default: CC1 temperature, CC74 top-p)"
    )
    play.add_argument(
        "--program-models", help="models Program Change 0, 1, ... selects, comma-separated names or .onnx paths "
        "(default: the shipped models, as `continuo models` lists them)",
    )  # fmt: skip
    clock = play.add_mutually_exclusive_group()
    clock.add_argument("--clock", help="follow MIDI clock, Start/Stop/Continue and SPP from this existing port")
    clock.add_argument("--clock-name", help="follow MIDI clock arriving on a new virtual port of this name")
    clock.add_argument("--send-clock", action="store_true", help="be the clock master: send 24-ppqn clock, Start, Stop")
    play.add_argument("--log", help="write a JSON-lines log of what the engine heard and decided to this file")
    play.add_argument("--backend", choices=BACKEND_CHOICES, default="auto", help="MIDI system (default auto)")
    play.add_argument("--start-jack", action="store_true", help="no MIDI system? start a private JACK dummy server")
    play.add_argument("--duration", type=positive_float, help="stop after this many seconds (default: endless)")
    play.add_argument("--record", help="also write what is sent to this .mid file")
    play.add_argument(
        "--record-part-minutes",
        type=positive_float,
        help="for long runs: write the take as FILE-00001.mid, FILE-00002.mid, ... one per this many minutes at "
        "--tempo, each saved as it ends (default: one file at the end)",
    )
    play.add_argument("--timing-report", help="at exit, write how late each note-on left (ms) to this JSON file")
    play.add_argument("--print-notes", action="store_true", help="print each note as it is sent")
    play.add_argument("--quiet", action="store_true", help="no status line")
    play.add_argument("--list-ports", action="store_true", help="list MIDI ports and exit")

    gen = add("generate", cmd_generate, "write generated music to a MIDI file (and WAV, piano roll), not in real time")
    gen.add_argument("--model", default="bach", help="shipped model name or .onnx path (default bach)")
    gen_seed = gen.add_mutually_exclusive_group()
    gen_seed.add_argument("--seed-composer", help="start from a phrase of this composer's seed bank")
    gen_seed.add_argument("--seed-file", help="start from the last 30 events of this MIDI file")
    length = gen.add_mutually_exclusive_group()
    length.add_argument("--events", type=positive_int, help="generate this many events (default 500)")
    length.add_argument("--beats", type=positive_float, help="or: generate this many beats")
    gen.add_argument("--temperature", type=float, default=1.0, help="sampling temperature, 0.05-10 (default 1.0)")
    gen.add_argument("--top-p", type=float, help="nucleus sampling: keep the likeliest classes up to this mass")
    gen.add_argument("--seed", type=int, help="random seed: same seed, same file, byte for byte")
    gen.add_argument("--tempo", type=float, default=120.0, help="tempo written into the file (default 120)")
    gen.add_argument("--velocity", type=velocity, default=80, help="note-on velocity (default 80)")
    gen.add_argument("--channel", type=channel, default=1, help="MIDI channel, 1-16 (default 1)")
    gen.add_argument("-o", "--output", required=True, help="MIDI file to write")
    gen.add_argument("--wav", help="also render to this WAV file with FluidSynth")
    gen.add_argument("--png", help="also draw a piano roll (seed in grey, generated in blue) to this PNG")
    gen.add_argument("--soundfont", help="General MIDI soundfont for --wav (default: the system's FluidR3_GM)")

    report = add("report", cmd_report, "musical statistics of generated music beside the composer's test pieces")
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

    ports = add("ports", cmd_ports, "list MIDI input and output ports per MIDI system")
    ports.add_argument("--backend", choices=BACKEND_CHOICES, default="auto", help="only this MIDI system")

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

    evaluate = add("evaluate", cmd_evaluate, "score a run's model on its test split beside the baselines")
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

    export = add("export", cmd_export, "turn a trained run into a self-describing ONNX model file")
    export.add_argument("run", help="run folder written by `continuo train`")
    export.add_argument("-o", "--output", required=True, help="model file to write, e.g. models/bach.onnx")
    export.add_argument("--seeds", help="also write seed phrases from the run's test pieces to this folder")
    export.add_argument("--seed-count", type=positive_int, default=5, help="seed phrases to write (default 5)")

    models = add("models", cmd_models, "list the shipped models and their test metrics")
    models.add_argument("--json", action="store_true", help="print one JSON list on stdout")
    models.add_argument("--card", action="store_true", help="print models/MODEL_CARD.md, made from the metadata")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except ContinuoError as error:
        print(f"continuo {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # an output path that cannot be written, a folder that is a file...
        print(f"continuo {args.command}: error: {error.strerror or error}: {error.filename or ''}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"continuo {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
