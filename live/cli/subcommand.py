"""What a subcommand is, and finding the ones other packages register.

The live CLI defines its own commands (play, generate, ports, models). The training and export
packages register theirs under the `continuo.commands` entry-point group (pyproject.toml), so the
live path never imports them: a command's module is loaded only to add its arguments and run it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

ENTRY_POINT_GROUP = "continuo.commands"
TRAIN_EXTRA_HINT = "install the training extras: pip install 'continuo[train]'"


@dataclass(frozen=True)
class Subcommand:
    """One `continuo NAME` subcommand.

    `help` is its line in `continuo --help`; a command whose help is None is no subcommand of its
    own, only run by another one (`models --card` runs the registered `card`).
    """

    name: str
    help: str | None
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def registered_commands() -> dict[str, Subcommand]:
    """The commands installed packages register, in order of their names."""
    from importlib.metadata import entry_points  # tens of ms: only for the commands that need it

    found: dict[str, Subcommand] = {}
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda entry: entry.name):
        command = entry.load()
        if not isinstance(command, Subcommand):
            raise TypeError(f"entry point {entry.name} = {entry.value} is not a continuo Subcommand")
        found[command.name] = command
    return found


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """`add_arguments` of a command that takes none."""
