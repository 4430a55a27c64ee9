"""The `continuo` command: one entry point, one subcommand per job (docs/ARCHITECTURE.md).

The live path's commands are defined in this package; the training and export packages register
theirs (live/cli/subcommand.py), so the live path never imports them. Only argparse and the argument
definitions load at start-up: each command imports what it needs when it runs, so `continuo play`
never pays for (or needs) TensorFlow. Exit codes (live/errors.py): EXIT_OK, EXIT_USAGE for usage
errors and bad input, EXIT_FAILURE for failures.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import NoReturn

from continuo.live.cli.config import with_config_file
from continuo.live.cli.models import MODELS
from continuo.live.cli.offline import GENERATE
from continuo.live.cli.play import PLAY
from continuo.live.cli.ports import PORTS
from continuo.live.cli.subcommand import TRAIN_EXTRA_HINT, Subcommand, registered_commands
from continuo.live.errors import EXIT_USAGE, ContinuoError

LIVE_COMMANDS = (PLAY, GENERATE, PORTS, MODELS)
INTERRUPTED = 130  # the shell's code for a process ended by SIGINT


def available_commands() -> dict[str, Subcommand]:
    """The live path's commands, then those installed packages register (a live command's name wins)."""
    commands = {command.name: command for command in LIVE_COMMANDS}
    for name, command in registered_commands().items():
        commands.setdefault(name, command)
    return commands


class _Parser(argparse.ArgumentParser):
    """A bad value is one line naming the flag and the value; unknown flags still get the usage."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("argument --") and ("expected " in message or "invalid " in message):
            self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")
        super().error(message)


def build_parser(commands: Mapping[str, Subcommand] | None = None) -> argparse.ArgumentParser:
    parser = _Parser(prog="continuo", description="Real-time MIDI generation from per-composer neural models.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (available_commands() if commands is None else commands).values():
        if command.help is None:  # run only by another command
            continue
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(handler=command.run)
    return parser


def _command_word(words: Sequence[str]) -> str | None:
    """The first word that is not a flag: the subcommand's name, if the options before it are all flags."""
    return next((word for word in words if not word.startswith("-")), None)


def _unknown_command(words: Sequence[str], commands: Mapping[str, Subcommand]) -> str | None:
    """The command word, if it names no subcommand here."""
    typed = _command_word(words)
    listed = [name for name, command in commands.items() if command.help is not None]
    return typed if typed is not None and typed not in listed else None


def parse_arguments(words: Sequence[str], commands: Mapping[str, Subcommand] | None = None) -> argparse.Namespace:
    """What `words` ask for: the command line, then a --config file's values for the flags it does not give.

    A mistake on the command line exits as argparse does; one in the config file is a ContinuoError.
    """
    parser = build_parser(commands)
    return with_config_file(parser, list(words), parser.parse_args(words))


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    # Finding the registered commands scans every installed distribution's entry points and imports
    # their modules: tens of milliseconds that a live command (`continuo play`) need not wait for.
    live = {command.name: command for command in LIVE_COMMANDS}
    commands = live if _command_word(words) in live else available_commands()
    unknown = _unknown_command(words, commands)
    if unknown is not None:
        listed = ", ".join(name for name, command in commands.items() if command.help is not None)
        print(
            f"continuo: error: no command {unknown!r} among {listed}; "
            f"for the training and export commands, {TRAIN_EXTRA_HINT}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    command = _command_word(words)
    try:
        args = parse_arguments(words, commands)  # a config file's mistakes end here, before the command runs
        return int(args.handler(args))
    except ContinuoError as error:
        print(f"continuo {command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # an output path that cannot be written, a folder that is a file...
        print(f"continuo {command}: error: {error.strerror or error}: {error.filename or ''}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"continuo {command}: interrupted", file=sys.stderr)
        return INTERRUPTED
