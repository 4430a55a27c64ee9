"""Every shipped model: complete metadata, golden logits from its own seed file, and beats its 5-gram."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from continuo.live.midifile import read_notes
from continuo.live.model_file import ContinuoModel, shipped_models

SHIPPED = sorted(shipped_models().items())
SEEDS = Path(__file__).resolve().parents[2] / "models" / "seeds"
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


@pytest.mark.parametrize(("name", "path"), SHIPPED, ids=[name for name, _ in SHIPPED])
def test_every_shipped_model_beats_its_own_five_gram(name: str, path: Path) -> None:
    metrics = ContinuoModel(path).info.metadata["metrics"]
    assert metrics["model"]["pitch"]["top1"] > metrics["5gram"]["pitch"]["top1"]
    assert metrics["model"]["pitch"]["bits"] < metrics["5gram"]["pitch"]["bits"]
