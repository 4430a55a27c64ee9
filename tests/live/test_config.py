"""`continuo play --config FILE`: every flag a key, flags over the file, and one-line errors naming file and key."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import pytest

from benchmarks.jack_clients import continuo
from continuo.live.cli import main, parse_arguments
from continuo.live.cli.config import NOT_KEYS, option_keys
from continuo.live.cli.play import add_play_arguments
from continuo.live.errors import EXIT_USAGE, ContinuoError
from continuo.live.runner.request import PlayRequest

INSTALLATION = """
model = "mozart"
seed-composer = "haydn"
temperature = 0.9
tempo = 90
channel = 3
output-port = "Synth"
no-loop-guard = true
playlist = ["bach", "mozart@haydn"]
program-models = "bach,mozart"
switch-every = "10m"
clock-lost = "pause"
health-file = "health.json"
health-every = 30
log = "continuo.log"
log-max-mb = 2
"""
SAME_FLAGS = [
    "--model", "mozart", "--seed-composer", "haydn", "--temperature", "0.9", "--tempo", "90", "--channel", "3",
    "--output-port", "Synth", "--no-loop-guard", "--playlist", "bach,mozart@haydn", "--program-models", "bach,mozart",
    "--switch-every", "10m", "--clock-lost", "pause", "--health-file", "health.json", "--health-every", "30",
    "--log", "continuo.log", "--log-max-mb", "2",
]  # fmt: skip


def requested(monkeypatch: pytest.MonkeyPatch, *words: str) -> PlayRequest:
    """The PlayRequest `continuo play WORDS` hands to the runner, through main's whole parsing path."""
    import continuo.live.runner.play

    asked: list[PlayRequest] = []
    monkeypatch.setattr(continuo.live.runner.play, "play", lambda request: asked.append(request) or 0)
    assert main(["play", *words]) == 0
    return asked[0]


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "installation.toml"
    path.write_text(text)
    return path


def test_a_config_file_makes_the_same_request_as_its_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_file = requested(monkeypatch, "--config", str(config(tmp_path, INSTALLATION)))
    from_flags = requested(monkeypatch, *SAME_FLAGS)
    assert from_file == from_flags
    assert from_file.tempo == 90 and from_file.channel == 3 and from_file.output_port == "Synth"
    assert from_file.playlist == ("bach", "mozart@haydn") and not from_file.loop_guard
    assert from_file != requested(monkeypatch)  # the file did change something


def test_flags_override_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(config(tmp_path, INSTALLATION))
    request = requested(monkeypatch, "--config", path, "--tempo", "120", "--playlist", "haydn")
    assert request.tempo == 120 and request.playlist == ("haydn",)
    assert request.channel == 3  # what the command line does not give still comes from the file


def test_a_flag_wins_over_the_file_key_of_its_exclusive_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(config(tmp_path, INSTALLATION))
    request = requested(monkeypatch, "--config", path, "--output-name", "Gallery", "--seed-file", "phrase.mid")
    assert request.output_name == "Gallery" and request.output_port is None
    assert request.seed_file == Path("phrase.mid") and request.seed_composer is None
    assert request.tempo == 90


def test_a_false_switch_is_the_default_and_an_array_takes_strings(tmp_path: Path) -> None:
    path = config(tmp_path, 'no-loop-guard = false\nsend-clock = false\nclock = "DAW"\nprogram-models = ["a", "b"]\n')
    args = parse_arguments(["play", "--config", str(path)])
    assert args.no_loop_guard is False and args.send_clock is False and args.clock == "DAW"
    assert args.program_models == "a,b"


def play_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_play_arguments(parser)
    return parser


def test_every_play_flag_has_a_key() -> None:
    keys = option_keys(play_parser())
    for action in play_parser()._actions:
        names = [option[2:] for option in action.option_strings if option.startswith("--")]
        if names and names[0] not in NOT_KEYS:
            assert names[0] in keys, f"--{names[0]} has no key in a config file"
    assert {"output-port", "tempo", "no-loop-guard", "seed-composer", "health-every"} <= set(keys)
    assert not NOT_KEYS & set(keys)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "tempo = -3",
            "tempo: expected a tempo from 20 to 400 BPM, got -3",
        ),
        ("channel = 17", "channel: expected a MIDI channel from 1 to 16, got 17"),
        ("channel = 3.5", "channel: expected a MIDI channel from 1 to 16, got '3.5'"),
        ('mode = "dance"', 'mode: expected one of continue, call-response, accompany, got "dance"'),
        ('tempo = "fast"', "tempo: expected a tempo from 20 to 400 BPM, got 'fast'"),
        ("tempo = [90]", "tempo: expected one value as --tempo takes, got [90]"),
        ("model = 5", "model: expected a string in quotes, got 5"),
        ('no-loop-guard = "yes"', 'no-loop-guard: expected true or false, got "yes"'),
        ("playlist = [1, 2]", "playlist: expected an array of strings"),
        ("tempi = 90", "tempi: unknown key; did you mean tempo?"),
        ("colour = 3", "colour: unknown key; the keys are the flags without '--': model, "),
        ("list-ports = true", "list-ports: a command-line flag only"),
        ('output-port = "A"\noutput-name = "B"', "output-name: cannot be used with output-port"),
        ("tempo = ", "not valid TOML: "),
        ("tempo = 90\ntempo = 91", "not valid TOML: "),
    ],
)
def test_a_mistake_in_the_file_is_a_usage_error_naming_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = config(tmp_path, text + "\n")
    with pytest.raises(ContinuoError) as raised:
        parse_arguments(["play", "--config", str(path), "--tempo", "100"])  # checked even where a flag overrides it
    assert str(raised.value).startswith(f"{path}: ")
    assert expected in str(raised.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ContinuoError, match=r"nowhere\.toml: no such file$"):
        parse_arguments(["play", "--config", str(tmp_path / "nowhere.toml")])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("channel = 17\n", "installation.toml: channel: expected a MIDI channel from 1 to 16, got 17"),
        ('tempo = "fast"\n', "installation.toml: tempo: expected a tempo from 20 to 400 BPM, got 'fast'"),
        ("outptu-port = 'x'\n", "installation.toml: outptu-port: unknown key; did you mean output-port?"),
        ("[play\n", "installation.toml: not valid TOML: "),
        (None, "installation.toml: no such file"),
    ],
)
def test_the_command_says_it_in_one_line_and_exits_2(tmp_path: Path, text: str | None, expected: str) -> None:
    if text is not None:
        (tmp_path / "installation.toml").write_text(text)
    result = subprocess.run(
        continuo("play", "--config", "installation.toml", "--output", "none", "--duration", "1"),
        cwd=tmp_path,  # a relative path is taken from the working directory
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == EXIT_USAGE
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"continuo play: error: {expected}"), result.stderr
    assert result.stdout == ""


def test_the_documented_installation_file_is_read_whole_and_its_playlist_checks() -> None:
    """docs/installation/installation.toml, as docs/installation.md tells people to copy it."""
    from continuo.live.runner.playlist import parse_playlist

    example = Path(__file__).resolve().parents[2] / "docs" / "installation" / "installation.toml"
    args = parse_arguments(["play", "--config", str(example)])
    assert args.playlist == "bach,mozart@haydn,palestrina" and args.switch_every == "20m"
    assert (args.output_port, args.backend, args.tempo, args.health_every) == ("FLUID Synth", "alsa", 84.0, 60.0)
    playlist = parse_playlist(tuple(args.playlist.split(",")), args.switch_every)
    assert playlist is not None and playlist.switch_seconds == 20 * 60
