"""`continuo evaluate --model --data`: says what it copied, which pieces the baselines saw, and refuses too few.

The model is a stand-in (flat logits, metadata naming a split of hand-built files) loaded in place of an
ONNX file, so the whole command runs, argument parsing to exit code, in a second.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from continuo.live import cli
from continuo.live.music.codec import PITCH_CLASSES, Codec
from continuo.training.loader import load_folder
from tests.midi_builders import scale_file

LEAK = {
    "model": {field: {"top1": 0.9, "top5": 1.0, "bits": 0.1, "targets": 9} for field in ("pitch", "duration", "shift")}
}


class FlatModel:
    """Every class equally likely: enough to score, nothing to learn from."""

    def __init__(self, path: Path, digests: dict[str, list[str]]) -> None:
        self.path = path
        metadata = {"split_digests": digests, "metrics": {"leak_check": LEAK}, "training": {"command": "continuo x"}}
        self.info = SimpleNamespace(name="flat", codec=Codec(), window=30, metadata=metadata)

    def logits(self, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        batch, time, _ = events.shape
        codec = self.info.codec
        return tuple(np.zeros((batch, time, k)) for k in (PITCH_CLASSES, codec.n_durations, codec.n_shifts))  # type: ignore[return-value]


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, list[str]]]:
    """20 scales: 16 train, 2 val, and 2 test, one of them the first training scale played on for 10 notes more
    (a near-copy); and the stand-in model recording that split, loaded whatever --model names."""
    folder = tmp_path / "data"
    folder.mkdir()
    for start in range(40, 59):
        scale_file(folder / f"scale{start}.mid", start_pitch=start, notes=40)
    scale_file(folder / "longer40.mid", start_pitch=40, notes=50)
    names = {
        "train": [f"scale{s}.mid" for s in range(40, 56)],
        "val": ["scale56.mid", "scale57.mid"],
        "test": ["scale58.mid", "longer40.mid"],
    }
    pieces, _ = load_folder(folder, Codec(), progress=False)
    by_name = {piece.name: piece.digest for piece in pieces}
    digests = {part: [by_name[name] for name in members] for part, members in names.items()}
    monkeypatch.setattr(
        "continuo.live.model.model_file.load_model", lambda _: FlatModel(tmp_path / "flat.onnx", digests)
    )
    return folder, names


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["evaluate", "--model", "flat.onnx", *args])
    out, err = capsys.readouterr()
    return code, out, "\n".join(line for line in err.splitlines() if "reading" not in line)  # no progress bar lines


def test_the_leak_check_is_said_to_be_copied_and_every_training_piece_found(
    corpus: tuple[Path, dict[str, list[str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = corpus
    code, out, err = run(capsys, "--data", str(folder))
    assert code == 0 and err == ""
    assert "leak check: copied from the metadata of" in out and "not re-measured" in out
    assert "baselines fitted on 16 of the model's 16 training pieces" in out
    code, out, _ = run(capsys, "--data", str(folder), "--json")
    metrics = json.loads(out)
    assert "copied from the metadata" in metrics["leak_check_source"]
    assert metrics["baselines_fitted_on"] == {"train_pieces": 16, "train_pieces_recorded": 16, "missing_digests": []}


def test_one_missing_training_piece_is_a_one_line_warning_naming_it(
    corpus: tuple[Path, dict[str, list[str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, names = corpus
    (folder / names["train"][0]).unlink()  # 1 of 16: under the 10% refused
    code, out, err = run(capsys, "--data", str(folder), "--json")
    assert code == 0
    metrics = json.loads(out)
    fitted = metrics["baselines_fitted_on"]
    assert fitted["train_pieces"] == 15 and len(fitted["missing_digests"]) == 1
    assert len(err.splitlines()) == 1 and "lacks 1 of the model's 16 training pieces" in err
    assert fitted["missing_digests"][0][:12] in err


@pytest.mark.parametrize("removed", [2, 16], ids=["over 10 percent", "all"])
def test_too_many_missing_training_pieces_are_refused_with_exit_2(
    removed: int, corpus: tuple[Path, dict[str, list[str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, names = corpus
    for name in names["train"][:removed]:
        (folder / name).unlink()
    code, out, err = run(capsys, "--data", str(folder))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and f"lacks {removed} of the model's 16 training pieces" in err


def test_near_copies_report_has_the_card_schema_and_drops_the_copy(
    corpus: tuple[Path, dict[str, list[str]]], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, _ = corpus
    args = ["--data", str(folder), "--near-copies", "--json"]
    monkeypatch.setattr(sys, "argv", ["continuo", "evaluate", "--model", "flat.onnx", *args])
    code, out, err = run(capsys, *args)
    assert code == 0 and err == ""
    report = json.loads(out)
    assert set(report) == {
        "definition",
        "test_pieces",
        "near_copies",
        "test_all",
        "test_without_near_copies",
        "command",
    }
    assert report["command"] == "continuo evaluate --model flat.onnx " + " ".join(args)
    assert report["near_copies"] == [
        {"test_piece": "longer40.mid", "training_piece": "scale40.mid", "shared_fraction": 1.0}
    ]
    everything, kept = report["test_all"], report["test_without_near_copies"]
    assert everything["pieces"] == 2 and kept["pieces"] == 1
    assert kept["events"] == everything["events"] - 50  # the 50-note copy is what left
    assert kept["5gram"]["pitch"]["targets"] == kept["model"]["pitch"]["targets"] == 39
