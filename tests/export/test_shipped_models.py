"""Every shipped model: complete metadata, golden logits from its own seed file, and beats its 5-gram.

The 5-gram comparison is made twice: fast, from the committed records (the file's metadata and its
near-copies report must agree); slow, for the two composers quickest to convert, measured again from a
fresh music21 corpus.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from continuo.live.model.model_file import ContinuoModel, shipped_models
from continuo.live.music.midifile import read_notes

SHIPPED = sorted(shipped_models().items())
SEEDS = Path(__file__).resolve().parents[2] / "models" / "seeds"
REPORTS = Path(__file__).resolve().parents[2] / "models" / "reports"
RESCORED = [name for name in ("haydn", "mozart") if name in dict(SHIPPED)]  # small corpora, quick to convert
SCHEMA = {
    "continuo_format", "name", "composer", "window", "pitch_range", "codec", "corpus", "split_seed",
    "split_method", "split_digests", "metrics", "training", "versions", "parity", "golden",
}  # fmt: skip

pytestmark = pytest.mark.skipif(not SHIPPED, reason="no model ships in this build yet")


@pytest.mark.parametrize(("name", "path"), SHIPPED, ids=[name for name, _ in SHIPPED])
def test_metadata_is_complete(name: str, path: Path) -> None:
    metadata = ContinuoModel(path).info.metadata
    assert set(metadata) >= SCHEMA
    assert metadata["name"] == name
    assert metadata["parity"]["max_abs_logit_difference"] <= 1e-4
    corpus, digests = metadata["corpus"], metadata["split_digests"]
    assert {k: len(v) for k, v in digests.items()} == corpus["pieces"]
    assert not set(digests["test"]) & set(digests["train"])


@pytest.mark.parametrize(("name", "path"), SHIPPED, ids=[name for name, _ in SHIPPED])
def test_golden_logits_from_the_shipped_seed_file(name: str, path: Path) -> None:
    model = ContinuoModel(path)
    golden = model.info.metadata["golden"]
    notes = read_notes(SEEDS / name / golden["seed_file"]).notes
    events = np.array(model.info.codec.encode(notes), dtype=np.int64)[: model.info.window]
    np.testing.assert_array_equal(events, np.array(golden["events"]))  # the codec reads the seed back exactly
    for field, logits in zip(("pitch", "duration", "shift"), model.logits(events[None])):
        np.testing.assert_allclose(logits[0, -1], golden["last_logits"][field], atol=1e-4)


def _assert_scores_match(found: dict[str, Any], stored: dict[str, Any], tolerance: float) -> None:
    for predictor in ("model", "unigram", "5gram"):
        for head, score in stored[predictor].items():
            assert found[predictor][head] == pytest.approx(score, abs=tolerance), f"{predictor} {head}"


def _beats_five_gram(scores: dict[str, Any]) -> bool:
    model, five = scores["model"]["pitch"], scores["5gram"]["pitch"]
    return bool(model["top1"] > five["top1"] and model["bits"] < five["bits"])


@pytest.mark.parametrize(("name", "path"), SHIPPED, ids=[name for name, _ in SHIPPED])
def test_the_committed_near_copies_report_agrees_with_the_file_and_the_model_beats_its_five_gram(
    name: str, path: Path
) -> None:
    """Two committed records of one measurement must agree; the slow test below measures it again."""
    stored = ContinuoModel(path).info.metadata["metrics"]
    near = json.loads((REPORTS / f"{name}.near_copies.json").read_text())
    _assert_scores_match(near["test_all"], stored, 1e-6)
    assert _beats_five_gram(stored) and _beats_five_gram(near["test_all"])
    without = near["test_without_near_copies"]
    assert without is None or _beats_five_gram(without)


@pytest.mark.slow
@pytest.mark.parametrize("name", RESCORED)
def test_a_shipped_model_rescored_from_a_fresh_corpus_beats_a_freshly_fitted_five_gram(
    name: str, tmp_path: Path
) -> None:
    """Convert the composer from music21 again, rebuild the split from the file's digests, score the ONNX file and
    fit the 5-gram anew: the model must beat it, and the committed figures must be what comes out."""
    pytest.importorskip("music21", reason="the music21 corpus comes with the train extra: pip install -e '.[train]'")
    continuo = [sys.executable, "-m", "continuo.live"]
    subprocess.run([*continuo, "corpus", "--composers", name, "--out", str(tmp_path)], check=True, timeout=600)
    model = str(shipped_models()[name])
    command = [*continuo, "evaluate", "--model", model, "--data", str(tmp_path / name), "--near-copies", "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    fresh = json.loads(done.stdout)
    assert _beats_five_gram(fresh["test_all"])
    assert fresh["test_without_near_copies"] is None or _beats_five_gram(fresh["test_without_near_copies"])
    _assert_scores_match(fresh["test_all"], ContinuoModel(Path(model)).info.metadata["metrics"], 1e-6)
    committed = json.loads((REPORTS / f"{name}.near_copies.json").read_text())
    assert fresh["near_copies"] == committed["near_copies"] and fresh["definition"] == committed["definition"]
    if committed["test_without_near_copies"] is None:
        assert fresh["test_without_near_copies"] is None
    else:
        _assert_scores_match(fresh["test_without_near_copies"], committed["test_without_near_copies"], 1e-6)
