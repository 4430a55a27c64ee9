"""`continuo ports`: the MIDI input and output ports of each MIDI system that answers."""

from __future__ import annotations

import argparse

from continuo.live.cli.subcommand import Subcommand
from continuo.live.errors import EXIT_OK
from continuo.live.midi_io.ports import (
    BACKEND_NAMES,
    BACKENDS,
    NoMidiSystemError,
    api_answers,
    list_ports,
    no_midi_system_fix,
    platform_backends,
)


def add_backend_argument(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--backend", choices=BACKEND_NAMES, default="auto", help=help)


def print_ports(args: argparse.Namespace) -> int:
    """Print each backend's ports: `args.backend`'s, or those of every backend `auto` would try here."""
    backends = [args.backend] if args.backend != "auto" else list(platform_backends())
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


PORTS = Subcommand(
    "ports",
    "list MIDI input and output ports per MIDI system",
    lambda parser: add_backend_argument(parser, "only this MIDI system"),
    print_ports,
)
