"""The tiny Bach run exported to ONNX through the command line: parity with Keras, golden logits, seeds from
test pieces only, the same scores through `evaluate --model`, format 2 included, and `report` over streams."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.training.conftest import continuo

pytestmark = pytest.mark.slow


def test_export_writes_an_onnx_file_the_live_loader_accepts(tiny_run: tuple[Path, Path, str], tmp_path: Path) -> None:
    folder, run, _ = tiny_run
    out = tmp_path / "tiny.onnx"
    result = continuo("export", str(run), "-o", str(out), "--seeds", str(tmp_path / "seeds"), "--seed-count", "2")
    assert "max |ONNX - Keras| logit difference" in result.stdout
    seeds = sorted((tmp_path / "seeds").glob("*.mid"))
    manifest = json.loads((run / "manifest.json").read_text())
    test_stems = {Path(p["name"]).stem for p in manifest["split"]["test"]}
    assert len(seeds) == 2 and {s.stem for s in seeds} <= test_stems  # seeds come from test pieces only

    import keras

    from continuo.live.model.model_file import load_model
    from continuo.training.model import keras_logits

    model = load_model(str(out))
    metadata = model.info.metadata
    assert metadata["metrics"] == json.loads((run / "metrics.json").read_text())
    assert metadata["parity"]["max_abs_logit_difference"] <= 1e-4
    assert metadata["corpus"]["pieces"] == {"train": 11, "val": 2, "test": 2}
    events = np.load(run / "pieces.npz")["test_events"][:30].astype(np.int64)[None]  # a real test phrase
    expected = keras_logits(keras.models.load_model(run / "model.keras"))(events)
    for want, got in zip(expected, model.logits(events)):
        np.testing.assert_allclose(got, want, atol=1e-4)
    assert not list(tmp_path.glob("*.partial"))
    golden = metadata["golden"]
    assert (tmp_path / "seeds" / golden["seed_file"]).exists()
    seed_events = np.array(golden["events"], dtype=np.int64)[None]
    for field, got in zip(("pitch", "duration", "shift"), model.logits(seed_events)):
        np.testing.assert_allclose(got[0, -1], golden["last_logits"][field], atol=1e-4)

    scored = json.loads(continuo("evaluate", "--model", str(out), "--data", str(folder), "--json").stdout)
    for head, score in metadata["metrics"]["model"].items():  # the ONNX file scores as the Keras run did
        assert scored["model"][head] == pytest.approx(score, abs=1e-4)
    assert scored["5gram"] == metadata["metrics"]["5gram"]


def test_a_format_2_run_exports_and_scores_as_its_keras_run(
    tiny_run: tuple[Path, Path, str], tiny_format_2_run: Path, tmp_path: Path
) -> None:
    from continuo.live.engine.generator import Generator
    from continuo.live.model.model_file import load_model
    from continuo.live.music.codec import Event

    folder, run = tiny_run[0], tiny_format_2_run
    stored = json.loads((run / "metrics.json").read_text())
    assert 0 < stored["model"]["duration_marginal"]["top1"] <= 1  # scored before the shift is known, too
    out = tmp_path / "tiny2.onnx"
    continuo("export", str(run), "-o", str(out), "--seeds", str(tmp_path / "seeds"), "--seed-count", "1")
    model = load_model(str(out))
    assert model.info.format_version == 2 and model.info.metadata["parity"]["max_abs_logit_difference"] <= 1e-4
    golden = model.info.metadata["golden"]
    seed_events = np.array(golden["events"], dtype=np.int64)[None]
    for field, got in zip(("pitch", "duration", "shift"), model.logits(seed_events)):
        np.testing.assert_allclose(got[0, -1], golden["last_logits"][field], atol=1e-4)
    scored = json.loads(continuo("evaluate", "--model", str(out), "--data", str(folder), "--json").stdout)
    for head, score in stored["model"].items():
        assert scored["model"][head] == pytest.approx(score, abs=1e-4)
    generator = Generator(model, model.info.window, [Event(*e) for e in golden["events"]], seed=0)
    events = [generator.next_event() for _ in range(20)]
    assert all(
        0 <= e.duration < model.info.codec.n_durations and 0 <= e.shift < model.info.codec.n_shifts for e in events
    )


def test_report_averages_several_streams_of_an_exported_model(tiny_run: tuple[Path, Path, str], tmp_path: Path) -> None:
    pytest.importorskip("muspy")
    folder, run, _ = tiny_run
    out = tmp_path / "tiny.onnx"
    continuo("export", str(run), "-o", str(out))
    report = ("report", "--model", str(out), "--data", str(folder), "--events", "64", "--seed-composer", "bach")
    two = json.loads(continuo(*report, "--streams", "2", "--seed", "5", "--json").stdout)
    assert two["streams"] == 2 and two["first_seed"] == 5 and two["events"] == 64
    assert two["seed"].startswith("5: ") and "; 6: " in two["seed"]
    first = json.loads(continuo(*report, "--seed", "5", "--json").stdout)
    second = json.loads(continuo(*report, "--seed", "6", "--json").stdout)
    for name, value in two["generated"].items():  # stretches are whole streams here: the mean of the two
        assert value == pytest.approx((first["generated"][name] + second["generated"][name]) / 2)
    assert two["copy_rate"] == pytest.approx((first["copy_rate"] + second["copy_rate"]) / 2)
    nucleus = json.loads(continuo(*report, "--seed", "5", "--top-p", "0.5", "--json").stdout)
    assert nucleus["top_p"] == 0.5 and nucleus["generated"] != first["generated"]
