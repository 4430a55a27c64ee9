"""The tiny training runs the slow training tests share, each trained once per session through the command
line: a format-1 run on twelve Bach chorales plus a folder of broken files, and its format-2 fine-tune."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.training.test_loader import make_broken_folder


def continuo(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run the `continuo` command line in a fresh interpreter and require it to succeed."""
    result = subprocess.run(
        [sys.executable, "-m", "continuo.live", *args], capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"continuo {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The data folder, the run folder and what `continuo train` printed."""
    root = tmp_path_factory.mktemp("tiny")
    corpus = continuo("corpus", "--composers", "bach", "--max-pieces", "12", "--out", str(root / "data"))
    assert "bach: 12 written" in corpus.stdout
    folder = root / "data" / "bach"
    make_broken_folder(folder / "broken")  # three good scales, a duplicate and four bad files
    trained = continuo(
        "train", "--data", str(folder), "--name", "tiny", "--out", str(root / "run"),
        "--epochs", "6", "--batch-size", "16", "--units", "64", "--patience", "10",
    )  # fmt: skip
    return folder, root / "run", trained.stdout


@pytest.fixture(scope="session")
def tiny_format_2_run(tiny_run: tuple[Path, Path, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny run fine-tuned (same data and seed) into format 2: duration logits per shift class."""
    folder, base, _ = tiny_run
    out = tmp_path_factory.mktemp("tiny2") / "run"
    continuo(
        "train", "--data", str(folder), "--name", "tiny", "--out", str(out), "--epochs", "3", "--batch-size", "16",
        "--units", "64", "--init-from", str(base), "--duration-given-shift", "--no-leak-check",
    )  # fmt: skip
    return out
