"""The command line: help everywhere, usage errors exit 2, user mistakes are one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import continuo.live.cli.models
from continuo.live.cli import build_parser, main

SUBCOMMANDS = ["play", "generate", "report", "ports", "corpus", "train", "evaluate", "export", "models"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "continuo.live", *args], capture_output=True, text=True, timeout=120)


def test_every_subcommand_is_listed_in_help() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_subcommand_help_exits_zero(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: continuo {name}" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["--no-such-flag"], ["train", "--bogus"], ["train", "--data", "x"]])
def test_wrong_flags_exit_2_with_usage(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert "usage: continuo" in capsys.readouterr().err


def test_an_unknown_command_is_one_line_naming_it_and_the_training_extras(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nope", "--flag"]) == 2
    error = capsys.readouterr().err.splitlines()
    assert len(error) == 1 and "'nope'" in error[0] and "continuo[train]" in error[0]


def test_without_registered_commands_training_ones_and_the_card_point_to_the_extras(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An install whose training and export packages register nothing: the live commands still work."""
    monkeypatch.setattr(continuo.live.cli, "registered_commands", dict)
    monkeypatch.setattr(continuo.live.cli.models, "registered_commands", dict)
    assert main(["train", "--data", "d"]) == 2
    error = capsys.readouterr().err.splitlines()
    assert len(error) == 1 and "'train'" in error[0] and "continuo[train]" in error[0]
    assert main(["models", "--card"]) == 2
    error = capsys.readouterr().err.splitlines()
    assert len(error) == 1 and "--card" in error[0] and "continuo[train]" in error[0]
    assert "train" not in build_parser().format_help()


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_epochs_must_be_a_positive_whole_number(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--data", "d", "--name", "n", "--out", "o", "--epochs", value])
    assert "--epochs" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["1,2", "1,x,1", "1,0,1", "1,-2,1"])
def test_loss_weights_must_be_three_positive_numbers(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--data", "d", "--name", "n", "--out", "o", "--loss-weights", value])
    assert "--loss-weights" in capsys.readouterr().err


def test_loss_weights_are_read_as_pitch_duration_shift() -> None:
    args = build_parser().parse_args(["train", "--data", "d", "--name", "n", "--out", "o", "--loss-weights", "1,2.5,1"])
    assert args.loss_weights == (1.0, 2.5, 1.0)


def test_folder_with_no_usable_file_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "zero.mid").write_bytes(b"")
    (tmp_path / "text.mid").write_text("hello")
    result = run_cli("train", "--data", str(tmp_path), "--name", "x", "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "no usable MIDI file" in errors[0]
    assert "Traceback" not in result.stderr


def test_evaluate_on_a_missing_run_exits_2(tmp_path: Path) -> None:
    result = run_cli("evaluate", "--run", str(tmp_path / "nothing"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_evaluate_on_a_folder_that_is_not_a_run_exits_2(tmp_path: Path) -> None:
    result = run_cli("evaluate", "--run", str(tmp_path))
    assert result.returncode == 2
    assert "no run.json" in result.stderr and "Traceback" not in result.stderr


def test_evaluate_needs_a_run_or_a_model_with_data(tmp_path: Path) -> None:
    result = run_cli("evaluate", "--model", "bach")
    assert result.returncode == 2
    assert "give either --run RUN_FOLDER (one or more), or --model MODEL --data DATA_FOLDER" in result.stderr


MODELS = Path(__file__).resolve().parents[1] / "models"


def onnx_metadata(path: Path) -> dict[str, object]:
    """A model file's metadata read with the onnx package, not with Continuo's own loader."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return {prop.key: json.loads(prop.value) for prop in model.metadata_props}


def test_models_lists_what_ships() -> None:
    """Every .onnx file in models/ is listed, with the figures its own metadata holds (an empty list fails)."""
    files = sorted(MODELS.glob("*.onnx"))
    assert files, f"no model file in {MODELS}"
    result = run_cli("models", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["name"] for row in rows] == [path.stem for path in files]
    text = run_cli("models").stdout.splitlines()
    for row, path in zip(rows, files, strict=True):
        metadata = onnx_metadata(path)
        metrics = metadata["metrics"]  # type: ignore[index]
        assert row["composer"] == metadata["composer"]
        assert row["pieces"] == metadata["corpus"]["pieces"]  # type: ignore[index]
        assert row["pitch_top1"] == metrics["model"]["pitch"]["top1"]  # type: ignore[index]
        assert row["pitch_bits"] == metrics["model"]["pitch"]["bits"]  # type: ignore[index]
        assert row["ngram_pitch_top1"] == metrics["5gram"]["pitch"]["top1"]  # type: ignore[index]
        assert row["size_mb"] == round(path.stat().st_size / 1e6, 2)
        line = next(line for line in text if line.split()[0] == path.stem)
        assert f"pitch top-1 {row['pitch_top1'] * 100:.1f}% (5-gram {row['ngram_pitch_top1'] * 100:.1f}%)" in line


def test_unwritable_output_is_one_line(tmp_path: Path) -> None:
    from tests.midi_builders import scale_file

    for index in range(3):
        scale_file(tmp_path / f"p{index}.mid", 50 + index)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    result = run_cli("train", "--data", str(tmp_path), "--name", "x", "--out", str(blocker / "run"))
    assert result.returncode == 2
    assert "Not a directory" in result.stderr and "Traceback" not in result.stderr


def test_models_card_prints_the_committed_card() -> None:
    """`continuo models --card` runs the card command the export package registers: the README regenerates
    models/MODEL_CARD.md with it."""
    result = run_cli("models", "--card")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (MODELS / "MODEL_CARD.md").read_text()
