"""`continuo play`: its flags, and the PlayRequest they make (live/runner/ checks and runs it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from continuo.live.cli.arguments import (
    LOOP_GUARD_FLAG,
    LOOP_GUARD_HELP,
    channel,
    positive_float,
    quantum,
    tempo,
    velocity,
)
from continuo.live.cli.ports import add_backend_argument, print_ports
from continuo.live.cli.subcommand import Subcommand
from continuo.live.engine.commands import CLOCK_LOST_CHOICES, MODES
from continuo.live.midi_io.jack_library import DEFAULT_QUANTUM
from continuo.live.music.midi import DEFAULT_BPM, DEFAULT_VELOCITY


def add_play_arguments(play: argparse.ArgumentParser) -> None:
    play.add_argument("--model", help="shipped model name or .onnx path (default bach; with --playlist, its first)")
    seed = play.add_mutually_exclusive_group()
    seed.add_argument("--seed-composer", help="start from a phrase of this composer's seed bank (default: the model's)")
    seed.add_argument("--seed-file", help="start from the last 30 events of this MIDI file")
    play.add_argument("--temperature", type=float, default=1.0, help="sampling temperature, 0.05-10 (default 1.0)")
    play.add_argument("--top-p", type=float, help="nucleus sampling: keep the likeliest classes up to this mass")
    play.add_argument("--seed", type=int, help="random seed: same seed, model and seed phrase give the same notes")
    play.add_argument(
        "--tempo", type=tempo, default=DEFAULT_BPM, help=f"beats (quarter notes) per minute (default {DEFAULT_BPM:g})"
    )
    play.add_argument("--channel", type=channel, default=1, help="MIDI channel to play on, 1-16 (default 1)")
    play.add_argument(
        "--velocity",
        type=velocity,
        help=f"fixed note-on velocity, 1-127 (default: {DEFAULT_VELOCITY}, then the performer's dynamics)",
    )
    port = play.add_mutually_exclusive_group()
    port.add_argument("--output-name", default="Continuo", help="name of the virtual output port (default Continuo)")
    port.add_argument("--output-port", help="send to this existing port instead (e.g. loopMIDI on Windows)")
    play.add_argument("--output", choices=("port", "none"), default="port", help="none: no port, only --record")
    listen = play.add_mutually_exclusive_group()
    listen.add_argument("--input-port", help="listen to this existing MIDI input port (a keyboard)")
    listen.add_argument("--input-name", help="listen on a new virtual input port of this name")
    play.add_argument("--input-channel", type=channel, help="only hear this input channel, 1-16 (default: all)")
    play.add_argument("--mode", choices=MODES, default="continue", help="(default continue)")
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
    add_backend_argument(play, "MIDI system (default auto)")
    play.add_argument("--start-jack", action="store_true", help="no MIDI system? start a private JACK dummy server")
    play.add_argument(
        "--pipewire-quantum",
        type=quantum,
        default=DEFAULT_QUANTUM,
        help=f"where PipeWire serves JACK: the graph's period in frames while Continuo plays, so notes land on "
        f"time (default {DEFAULT_QUANTUM}; 0 leaves PipeWire's own)",
    )
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
    play.add_argument(LOOP_GUARD_FLAG, action="store_true", help=LOOP_GUARD_HELP)
    play.add_argument("--quiet", action="store_true", help="no status line")
    installation = play.add_argument_group("installations (long unattended runs)")
    installation.add_argument(
        "--config",
        help="read options from this TOML file: each flag is a key (tempo = 90); flags given override it; "
        "relative paths are from the working directory",
    )
    installation.add_argument(
        "--playlist", help="rotate models at phrase ends: comma-separated names or .onnx paths, each optionally "
        "MODEL@SEED-COMPOSER to reseed from that composer's seed bank (bach,mozart@haydn)",
    )  # fmt: skip
    installation.add_argument("--switch-every", help="with --playlist: time per entry (10m, 90s, 1h)")
    installation.add_argument(
        "--exit-on-port-loss",
        action="store_true",
        help="exit 1 when the MIDI system or a port goes away (default: wait for it and play on)",
    )
    installation.add_argument(
        "--clock-lost",
        choices=CLOCK_LOST_CHOICES,
        default="continue",
        help="when --clock ticks stop for two beats: play on at the last tempo, or pause (default continue)",
    )
    installation.add_argument("--health-file", help="keep the latest health figures in this JSON file")
    installation.add_argument(
        "--health-every", type=positive_float, default=60.0, help="seconds between health lines (default 60)"
    )
    installation.add_argument(
        "--log-max-mb", type=positive_float, default=10.0, help="rotate --log at this size, keeping 3 old files"
    )
    installation.add_argument(
        "--state-dir", help="where the notes held on each port are kept, to end them after a crash "
        "(default $XDG_STATE_HOME/continuo, else ~/.local/state/continuo)",
    )  # fmt: skip
    play.add_argument("--list-ports", action="store_true", help="list MIDI ports and exit")


def run_play(args: argparse.Namespace) -> int:
    if args.list_ports:
        return print_ports(args)
    from continuo.live.runner.play import play
    from continuo.live.runner.playlist import starting_model
    from continuo.live.runner.request import PlayRequest

    playlist = tuple(n.strip() for n in (args.playlist or "").split(",") if n.strip())
    request = PlayRequest(
        model=args.model or starting_model(playlist) or "bach",
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
        pipewire_quantum=args.pipewire_quantum,
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
        loop_guard=not args.no_loop_guard,
        playlist=playlist,
        switch_every=args.switch_every,
        exit_on_port_loss=args.exit_on_port_loss,
        clock_lost=args.clock_lost,
        health_file=Path(args.health_file) if args.health_file else None,
        health_seconds=args.health_every,
        log_max_mb=args.log_max_mb,
        state_dir=Path(args.state_dir) if args.state_dir else None,
    )
    return play(request)


PLAY = Subcommand("play", "stream generated notes in real time to a virtual MIDI port", add_play_arguments, run_play)
