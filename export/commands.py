"""The export package's `continuo` commands: `export`, and `card` (what `continuo models --card` runs).

They are registered under the `continuo.commands` entry-point group (pyproject.toml), so the live
CLI runs them without importing this package itself.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from continuo.live.cli.arguments import positive_int
from continuo.live.cli.subcommand import Subcommand, no_arguments
from continuo.live.errors import EXIT_OK
from continuo.training.commands import existing_run, needs_training_extras


def add_export_arguments(export: argparse.ArgumentParser) -> None:
    export.add_argument("run", help="run folder written by `continuo train`")
    export.add_argument("-o", "--output", required=True, help="model file to write, e.g. models/bach.onnx")
    export.add_argument("--seeds", help="also write seed phrases from the run's test pieces to this folder")
    export.add_argument("--seed-count", type=positive_int, default=5, help="seed phrases to write (default 5)")


def run_export(args: argparse.Namespace) -> int:
    needs_training_extras("tf2onnx")
    from continuo.export.onnx_export import export_run

    run = existing_run(args.run)
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


def print_card(args: argparse.Namespace) -> int:
    """Print models/MODEL_CARD.md, made from the shipped models' metadata and the committed reports."""
    from continuo.export.card_artifacts import shipped_artifacts
    from continuo.export.model_card import render_card
    from continuo.live.cli.models import shipped_metadata

    print(render_card(shipped_metadata(), shipped_artifacts()), end="")
    return EXIT_OK


EXPORT = Subcommand(
    "export", "turn a trained run into a self-describing ONNX model file", add_export_arguments, run_export
)
CARD = Subcommand("card", None, no_arguments, print_card)
