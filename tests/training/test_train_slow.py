"""A real, tiny training run on music21's Bach chorales through the command line: what training reads and
writes, evaluation of the run, fine-tuning and its refusals, the leak check added afterwards, `--finish`,
and the compiled model's losses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.training.conftest import continuo

pytestmark = pytest.mark.slow


def test_training_reads_the_good_files_and_reports_the_bad_ones(tiny_run: tuple[Path, Path, str]) -> None:
    _, run, output = tiny_run
    assert "20 MIDI files, 4 skipped, 1 duplicates removed" in output
    manifest = json.loads((run / "manifest.json").read_text())
    skipped = {entry["file"] for entry in manifest["load"]["skipped"]}
    assert skipped == {f"broken/{name}" for name in ("truncated.mid", "zero.mid", "text.mid", "zero_length.mid")}
    names = [p["name"] for part in manifest["split"].values() for p in part]
    assert len(names) == 15 and len(set(names)) == 15
    assert {len(manifest["split"][k]) for k in ("val", "test")} == {2}


def test_loss_falls_and_the_saved_model_predicts(tiny_run: tuple[Path, Path, str]) -> None:
    _, run, _ = tiny_run
    info = json.loads((run / "run.json").read_text())
    losses = info["history"]["loss"]
    assert len(losses) == 6 and losses[-1] < 0.8 * losses[0]

    import keras

    model = keras.models.load_model(run / "model.keras")
    events = np.load(run / "pieces.npz")["test_events"][:30].astype(np.int64)[None]
    outputs = model({name: events[:, :, i] for i, name in enumerate(("pitch", "duration", "shift"))})
    pitch = np.asarray(outputs["pitch_logits"])
    assert pitch.shape == (1, 30, 128) and np.isfinite(pitch).all()
    assert np.ptp(pitch[0, -1]) > 1.0  # a trained head has preferences, not a flat line


def test_evaluate_prints_one_json_object_with_baselines_and_leak_check(tiny_run: tuple[Path, Path, str]) -> None:
    _, run, _ = tiny_run
    result = continuo("evaluate", "--run", str(run), "--json")
    metrics = json.loads(result.stdout)
    for predictor in ("model", "unigram", "5gram"):
        for head in ("pitch", "duration", "shift"):
            score = metrics[predictor][head]
            assert 0.0 <= score["top1"] <= score["top5"] <= 1.0 and score["bits"] > 0
    assert metrics["leak_check"]["model"]["pitch"]["targets"] > 0
    assert metrics["leak_check_source"] == f"copied from {run / 'metrics.json'}, not re-measured by this command"
    assert metrics["model"]["pitch"]["targets"] == metrics["5gram"]["pitch"]["targets"] > 0
    stored = json.loads((run / "metrics.json").read_text())
    for head, score in stored["model"].items():  # re-scoring the saved model agrees with training's scores
        assert score == pytest.approx(metrics["model"][head], abs=1e-6)
    table = continuo("evaluate", "--run", str(run)).stdout
    assert "5gram" in table and f"leak check: copied from {run / 'metrics.json'}" in table


def test_a_format_2_model_starts_from_its_format_1_base(tiny_run: tuple[Path, Path, str]) -> None:
    from continuo.live.music.codec import Codec
    from continuo.training.init_from import load_initial_weights
    from continuo.training.model import ModelConfig, build_model, keras_logits
    from continuo.training.runfolder import RunFolder

    base = tiny_run[1]
    config = ModelConfig(units=64, duration_given_shift=True)
    model = build_model(Codec(), config)
    load_initial_weights(model, base, Codec(), config)
    events = np.load(base / "pieces.npz")["test_events"][:30].astype(np.int64)[None]
    _, base_duration, _ = keras_logits(RunFolder(base).load_model())(events)
    _, duration, _ = keras_logits(model)(events)
    assert duration.shape == (1, 30, Codec().n_shifts, Codec().n_durations)
    for shift in range(duration.shape[2]):  # every row starts as the base's own duration logits
        np.testing.assert_allclose(duration[:, :, shift], base_duration, atol=1e-5)


def test_fine_tuning_from_a_run_that_saw_the_test_pieces_is_refused_before_any_folder(
    tiny_run: tuple[Path, Path, str], tmp_path: Path
) -> None:
    folder, run, _ = tiny_run
    out = tmp_path / "leaky"
    result = subprocess.run(
        [sys.executable, "-m", "continuo.live", "train", "--data", str(folder), "--name", "tiny", "--out", str(out),
         "--seed", "3", "--units", "64", "--init-from", str(run)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2
    assert "held-out pieces in training or validation" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_loss_weights_reach_the_compiled_model() -> None:
    from continuo.live.music.codec import Codec
    from continuo.training.model import ModelConfig, build_model

    model = build_model(Codec(), ModelConfig(units=8, loss_weights=(1.0, 2.5, 0.5)))
    weights = model.get_compile_config()["loss_weights"]
    assert weights == {"pitch_logits": 1.0, "duration_logits": 2.5, "shift_logits": 0.5}


def copy_of(run: Path, tmp_path: Path) -> Path:
    """A scratch copy of the module's tiny run, for tests that alter it."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    return copy


def test_a_leak_check_can_be_added_to_a_run_trained_without_one(
    tiny_run: tuple[Path, Path, str], tmp_path: Path
) -> None:
    copy = copy_of(tiny_run[1], tmp_path)
    metrics = json.loads((copy / "metrics.json").read_text())
    del metrics["leak_check"]
    (copy / "metrics.json").write_text(json.dumps(metrics))
    result = json.loads(continuo("evaluate", "--run", str(copy), "--leak-check", "--json").stdout)
    assert result["leak_check"]["epochs"] == json.loads((copy / "run.json").read_text())["best_epoch"]
    assert result["leak_check"]["model"]["pitch"]["targets"] > 0
    assert "leak_check" in json.loads((copy / "metrics.json").read_text())


def test_a_fit_whose_evaluation_was_interrupted_is_finished_without_retraining(
    tiny_run: tuple[Path, Path, str], tmp_path: Path
) -> None:
    folder, run, _ = tiny_run
    copy = copy_of(run, tmp_path)
    original = json.loads((copy / "run.json").read_text())
    model_bytes = (copy / "model.keras").read_bytes()
    for written_after_the_fit in ("run.json", "metrics.json"):
        (copy / written_after_the_fit).unlink()
    command = ("train", "--data", str(folder), "--name", "tiny", "--out", str(copy), "--epochs", "6",
               "--batch-size", "16", "--units", "64", "--patience", "10", "--leak-check-epochs", "2")  # fmt: skip
    finished = continuo(*command, "--finish")
    assert "leak check: training the same model on a random-window split for 2 epochs" in finished.stdout
    assert (copy / "model.keras").read_bytes() == model_bytes  # scored as it was, not trained again
    info = json.loads((copy / "run.json").read_text())
    assert info["history"]["loss"] == pytest.approx(original["history"]["loss"])
    assert info["best_epoch"] == original["best_epoch"]
    assert "--finish" not in info["command"] and "--finish" in info["finished_by"]
    metrics = json.loads((copy / "metrics.json").read_text())
    scored_before = json.loads((run / "metrics.json").read_text())["model"]
    for head, score in metrics["model"].items():
        assert score == pytest.approx(scored_before[head], abs=1e-6)
    assert metrics["leak_check"]["epochs"] == 2

    def refused(*extra: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "continuo.live", *command, *extra], capture_output=True, text=True
        )
        assert result.returncode == 2 and result.stderr.strip().count("\n") == 0, result.stderr
        return result.stderr

    assert "already has run.json" in refused("--finish")
    (copy / "run.json").unlink()
    assert "was fitted with" in refused("--finish", "--units", "32")
    assert "--leak-check-epochs and --no-leak-check contradict" in refused("--finish", "--no-leak-check")
    history = copy / "history.csv"
    written = history.stat()
    history.write_text("epoch,loss\n")
    os.utime(history, ns=(written.st_atime_ns, written.st_mtime_ns))  # only its content is wrong, not its time
    assert "records no finished epoch" in refused("--finish")

    wrong_seed = subprocess.run(
        [sys.executable, "-m", "continuo.live", *command, "--seed", "3", "--finish"], capture_output=True, text=True
    )
    assert wrong_seed.returncode == 2
    assert wrong_seed.stderr.strip().count("\n") == 0 and "seed 0" in wrong_seed.stderr


def test_a_model_without_a_layer_of_its_base_refuses_the_base(tiny_run: tuple[Path, Path, str]) -> None:
    from continuo.live.errors import ContinuoError
    from continuo.live.music.codec import Codec
    from continuo.training.init_from import load_initial_weights
    from continuo.training.model import ModelConfig, build_model

    run = tiny_run[1]
    codec = Codec.from_json(json.loads((run / "run.json").read_text())["codec"])
    narrower = build_model(codec, ModelConfig(units=64, layers=1))
    with pytest.raises(ContinuoError, match=r"--init-from .*: layer 'lstm_2' is in only one of the two models"):
        load_initial_weights(narrower, run, codec, ModelConfig(units=64, layers=1))


def test_the_format_2_loss_and_accuracy_score_the_row_of_the_true_shift() -> None:
    """Keras' loss and accuracy for the format-2 head against NumPy: cross-entropy in the true shift's row."""
    from continuo.live.music.codec import Codec
    from continuo.training.model import DURATION_GIVEN_SHIFT_LAYER, ModelConfig, build_model
    from continuo.training.windows import as_inputs_targets

    codec = Codec()
    model = build_model(codec, ModelConfig(units=8, duration_given_shift=True))
    head = model.get_layer(DURATION_GIVEN_SHIFT_LAYER)
    rng = np.random.default_rng(0)
    head.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in head.get_weights()])  # rows differ
    slices = np.stack(
        [
            rng.integers(40, 80, (4, 31)),
            rng.integers(0, codec.n_durations, (4, 31)),
            rng.integers(0, codec.n_shifts, (4, 31)),
        ],
        axis=-1,
    )
    inputs, targets = as_inputs_targets(slices, codec.n_durations)
    scored = model.evaluate(inputs, targets, batch_size=4, verbose=0, return_dict=True)
    table = np.asarray(model(inputs, training=False)["duration_logits"], dtype=np.float64)
    durations, shifts = slices[:, 1:, 1], slices[:, 1:, 2]
    rows = np.take_along_axis(table, shifts[:, :, None, None], axis=2)[:, :, 0]
    log_p = rows - np.log(np.exp(rows).sum(axis=-1, keepdims=True))
    chosen = np.take_along_axis(log_p, durations[..., None], axis=-1)[..., 0]
    assert scored["duration_logits_loss"] == pytest.approx(-chosen.mean(), rel=1e-4)
    assert scored["duration_logits_acc"] == pytest.approx(np.mean(rows.argmax(axis=-1) == durations), abs=1e-6)


def test_a_format_1_model_cannot_start_from_a_format_2_run(tiny_format_2_run: Path) -> None:
    from continuo.live.errors import ContinuoError
    from continuo.live.music.codec import Codec
    from continuo.training.init_from import load_initial_weights
    from continuo.training.model import ModelConfig, build_model

    config = ModelConfig(units=64)
    with pytest.raises(ContinuoError, match="is a format-2 run: add --duration-given-shift to fine-tune it"):
        load_initial_weights(build_model(Codec(), config), tiny_format_2_run, Codec(), config)
