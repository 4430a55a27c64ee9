"""`continuo generate`: its flags, the request and outputs they make, and the line that reports the result."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from continuo.live.cli.arguments import (
    LOOP_GUARD_FLAG,
    LOOP_GUARD_HELP,
    channel,
    positive_float,
    positive_int,
    velocity,
)
from continuo.live.cli.subcommand import Subcommand
from continuo.live.errors import EXIT_OK
from continuo.live.music.midi import DEFAULT_BPM, DEFAULT_VELOCITY


def add_generate_arguments(gen: argparse.ArgumentParser) -> None:
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
    gen.add_argument(
        "--tempo", type=float, default=DEFAULT_BPM, help=f"tempo written into the file (default {DEFAULT_BPM:g})"
    )
    gen.add_argument(
        "--velocity", type=velocity, default=DEFAULT_VELOCITY, help=f"note-on velocity (default {DEFAULT_VELOCITY})"
    )
    gen.add_argument("--channel", type=channel, default=1, help="MIDI channel, 1-16 (default 1)")
    gen.add_argument(LOOP_GUARD_FLAG, action="store_true", help=LOOP_GUARD_HELP)
    gen.add_argument("-o", "--output", required=True, help="MIDI file to write")
    gen.add_argument("--wav", help="also render to this WAV file with FluidSynth")
    gen.add_argument("--png", help="also draw a piano roll (seed in grey, generated in blue) to this PNG")
    gen.add_argument("--soundfont", help="General MIDI soundfont for --wav (default: the system's FluidR3_GM)")


def generate(args: argparse.Namespace) -> int:
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
        loop_guard=not args.no_loop_guard,
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
    if result.loop_recoveries:
        recoveries = result.loop_recoveries
        print(f"the loop guard drew the music out of a loop {recoveries} times ({LOOP_GUARD_FLAG} lets it run)")
    return EXIT_OK


GENERATE = Subcommand(
    "generate",
    "write generated music to a MIDI file (and WAV, piano roll), not in real time",
    add_generate_arguments,
    generate,
)
