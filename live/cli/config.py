"""`--config FILE`: a TOML file of a subcommand's options, for installations started by a service manager.

Every flag of the subcommand is a key, spelled as the flag without its dashes (`output-port = "Synth"`,
`tempo = 90`, `no-loop-guard = true`): the keys are read off the parser's own actions, so a flag added
later has its key with nothing to update here. A value goes through the flag's own `type` and `choices`,
so the file is refused exactly where the command line would be, with the same words. A flag that takes
a comma-separated list (its help says "comma-separated") also takes a TOML array of strings.

Flags given on the command line override the file; a command-line flag also wins over the file's key
of the same mutually exclusive group (`--output-name` on the command line drops the file's `output-port`).
Relative paths in the file are taken relative to the working directory, as on the command line (a
systemd unit sets it with WorkingDirectory=), not to the file's folder.

Every mistake (no such file, not TOML, an unknown key, a value of the wrong TOML type or one the flag
refuses, two keys of one exclusive group) is one ContinuoError line naming the file and the key.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from continuo.live.errors import ContinuoError

CONFIG_DEST = "config"
NOT_KEYS = frozenset({"config", "list-ports", "help"})  # what only the command line can say
LIST_MARK = "comma-separated"  # in a flag's help: the flag takes a list, so its key takes a TOML array too
_NUMBER_TYPES = {"float": "a number", "int": "a whole number"}


def option_keys(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The keys a config file may hold for `parser`'s flags: each flag's first long name without `--`."""
    keys = {}
    for action in parser._actions:
        longs = [option for option in action.option_strings if option.startswith("--")]
        if longs and longs[0][2:] not in NOT_KEYS and _takes_a_key(action):
            keys[longs[0][2:]] = action
    return keys


def _takes_a_key(action: argparse.Action) -> bool:
    """A flag storing one value, or a switch: what one TOML value can stand for."""
    if isinstance(action, argparse._StoreConstAction):  # store_true and store_false are store_const
        return True
    return isinstance(action, argparse._StoreAction) and action.nargs is None


def _shown(value: object) -> str:
    """A TOML value as it would be written in the file (true, "fast", ["a", "b"])."""
    try:
        return json.dumps(value)
    except TypeError:  # a date or time
        return str(value)


def _converted(key: str, action: argparse.Action, value: object) -> Any:
    """The value `action` stores for a TOML `value`; a ContinuoError (without the file's name) if it refuses."""
    if isinstance(action, argparse._StoreConstAction):
        if not isinstance(value, bool):
            raise ContinuoError(f"{key}: expected true or false, got {_shown(value)}")
        return action.const if value else action.default
    if isinstance(value, list) and LIST_MARK in (action.help or ""):
        if not all(isinstance(item, str) for item in value):
            raise ContinuoError(f"{key}: expected an array of strings, got {_shown(value)}")
        value = ",".join(value)
    if action.type is None and not isinstance(value, str):
        listed = " or an array of strings" if LIST_MARK in (action.help or "") else ""
        raise ContinuoError(f"{key}: expected a string in quotes{listed}, got {_shown(value)}")
    if not isinstance(value, (str, int, float)):  # an array, a table, a date
        raise ContinuoError(f"{key}: expected one value as --{key} takes, got {_shown(value)}")
    # The value's text, converted as the command line converts it: the same ranges and the same messages
    # (channel = 3.5 is refused rather than cut to 3, and tempo = true is not a number).
    text = value if isinstance(value, str) else _shown(value)
    converted: Any = text
    if action.type is not None:
        convert: Any = action.type
        try:
            converted = convert(text)
        except argparse.ArgumentTypeError as error:
            raise ContinuoError(f"{key}: {error}") from None
        except (TypeError, ValueError):
            name = getattr(convert, "__name__", "")
            expected = _NUMBER_TYPES.get(name, f"a valid {name or 'value'}")
            raise ContinuoError(f"{key}: expected {expected}, got {_shown(value)}") from None
    if action.choices is not None and converted not in action.choices:
        choices = ", ".join(str(choice) for choice in action.choices)
        raise ContinuoError(f"{key}: expected one of {choices}, got {_shown(value)}")
    return converted


def _unknown_key(key: str, keys: dict[str, argparse.Action]) -> ContinuoError:
    if key in NOT_KEYS:
        return ContinuoError(f"{key}: a command-line flag only, not a key of the file")
    nearest = difflib.get_close_matches(key, list(keys), n=1)
    if nearest:
        return ContinuoError(f"{key}: unknown key; did you mean {nearest[0]}?")
    return ContinuoError(f"{key}: unknown key; the keys are the flags without '--': {', '.join(keys)}")


def read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the same parser, packaged for 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise ContinuoError("no such file") from None
    except IsADirectoryError:
        raise ContinuoError("a folder, not a file") from None
    except OSError as error:
        raise ContinuoError(f"cannot be read: {error.strerror or error}") from None
    except ValueError as error:  # TOMLDecodeError, or bytes that are not UTF-8
        raise ContinuoError(f"not valid TOML: {error}") from None


def file_values(parser: argparse.ArgumentParser, table: dict[str, Any]) -> dict[str, Any]:
    """dest -> value for each key of a parsed config file; a ContinuoError naming the key at the first mistake."""
    keys = option_keys(parser)
    values: dict[str, Any] = {}
    set_by: dict[str, str] = {}  # dest -> the key that set it, for the exclusive groups
    for key, raw in table.items():
        if key not in keys:
            raise _unknown_key(key, keys)
        action = keys[key]
        values[action.dest] = _converted(key, action, raw)
        if not (isinstance(action, argparse._StoreConstAction) and raw is False):  # `send-clock = false`: not used
            set_by[action.dest] = key
    for group in parser._mutually_exclusive_groups:
        dests = {action.dest for action in group._group_actions}
        used = [key for dest, key in set_by.items() if dest in dests]  # in the file's order
        if len(used) > 1:
            raise ContinuoError(f"{used[1]}: cannot be used with {used[0]} (one or the other)")
    return values


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices[command]
            return found
    raise LookupError(f"no subcommand {command}")


def given_on_command_line(parser: argparse.ArgumentParser, words: list[str]) -> set[str]:
    """The dests of the flags `words` give (words as `parser` takes them, already checked by it)."""
    # An attribute already on the namespace is not set to its default, so the ones still unset were not given.
    unset = object()
    keys = option_keys(parser)
    namespace = argparse.Namespace(**{action.dest: unset for action in keys.values()})
    parser.parse_known_args(words, namespace)
    return {action.dest for action in keys.values() if getattr(namespace, action.dest) is not unset}


def with_config_file(parser: argparse.ArgumentParser, words: list[str], args: argparse.Namespace) -> argparse.Namespace:
    """`args` as `parser` (the main parser) parsed them from `words`, with the values of the subcommand's --config
    file for the flags `words` do not give.

    A ContinuoError "FILE: KEY: what was wrong" for any mistake in the file, before anything runs.
    """
    if getattr(args, CONFIG_DEST, None) is None:
        return args
    subparser = _subparser(parser, args.command)
    rest = words[words.index(args.command) + 1 :]  # the subcommand's own words (the main parser has no options)
    name = str(getattr(args, CONFIG_DEST))
    try:
        values = file_values(subparser, read_toml(Path(name)))
    except ContinuoError as error:
        raise ContinuoError(f"{name}: {error}") from None
    given = given_on_command_line(subparser, rest)
    for group in subparser._mutually_exclusive_groups:
        if any(action.dest in given for action in group._group_actions):
            given |= {action.dest for action in group._group_actions}
    for dest, value in values.items():
        if dest not in given:
            setattr(args, dest, value)
    return args
