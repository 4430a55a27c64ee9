"""`continuo export RUN -o models/NAME.onnx`: a trained run to a self-describing ONNX file.

tf2onnx turns the Keras model into fused ONNX LSTM ops; the run's manifest, metrics and
configuration go into `metadata_props` as JSON strings, so the live side needs only the file.
The file is written only if onnxruntime reproduces the Keras logits on windows of several lengths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from continuo.live.errors import ContinuoError
from continuo.live.files import written_together
from continuo.live.model.model_file import DURATION_GIVEN_SHIFT_FORMAT, OUTPUTS, ContinuoModel
from continuo.live.music.codec import FIELDS
from continuo.training.model import keras_logits
from continuo.training.runfolder import RunFolder

OPSET = 17
PARITY_LENGTHS = (1, 7, 30)
PARITY_TOLERANCE = 1e-4


@dataclass(frozen=True)
class ExportReport:
    path: Path
    max_abs_difference: float
    size_bytes: int


def build_metadata(run: RunFolder, parity: float) -> dict[str, Any]:
    info = run.read_json("run.json")
    manifest = run.read_json("manifest.json")
    metrics = run.read_json("metrics.json")
    split = run.read_split()
    pitches = np.concatenate([p.events[:, 0] for p in split.train])
    return {
        "continuo_format": DURATION_GIVEN_SHIFT_FORMAT if info["config"].get("duration_given_shift") else 1,
        "name": info["name"],
        "composer": info["composer"],
        "window": info["config"]["window"],
        "pitch_range": [int(pitches.min()), int(pitches.max())],
        "codec": info["codec"],
        "corpus": {
            "data": manifest["data"],
            "files": manifest["load"]["files"],
            "skipped": len(manifest["load"]["skipped"]),
            "duplicates_removed": manifest["load"]["duplicates_removed"],
            "pieces": {name: len(part) for name, part in split.parts().items()},
            "events": {name: int(sum(len(p) for p in part)) for name, part in split.parts().items()},
        },
        "split_seed": manifest["seed"],
        "split_digests": {name: [p.digest for p in part] for name, part in split.parts().items()},
        "split_method": manifest["method"],
        "metrics": metrics,
        "training": {
            key: info[key]
            for key in ("command", "config", "transpose", "epochs_run", "best_epoch", "train_seconds", "seed")
        }
        | {key: info[key] for key in ("finished_by", "train_seconds_from") if key in info}
        | _base_run(info),
        "versions": info["versions"],
        "parity": {"max_abs_logit_difference": parity, "lengths": list(PARITY_LENGTHS)},
    }


def _base_run(info: dict[str, Any]) -> dict[str, Any]:
    """For a fine-tuned run: which run it started from, that run's composer, and where that run started."""
    if not info.get("init_from"):
        return {}
    base = Path(info["init_from"])
    found: dict[str, Any] = {"run": info["init_from"]}
    if (base / "run.json").is_file():
        base_info = json.loads((base / "run.json").read_text())
        found["name"] = base_info["name"]
        found["train_seconds"] = base_info["train_seconds"]
        if base_info.get("init_from"):
            found["itself_from"] = _base_run(base_info)["init_from"]
    else:  # a base run whose evaluation was not waited for: its manifest names the corpus folder
        found["name"] = Path(json.loads((base / "manifest.json").read_text())["data"]).name
    return {"init_from": found}


def _parity(keras_model: Any, onnx_model: ContinuoModel, codec_sizes: tuple[int, int], seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    worst = 0.0
    for length in PARITY_LENGTHS:
        events = np.stack(
            [
                rng.integers(30, 90, (4, length)),
                rng.integers(0, codec_sizes[0], (4, length)),
                rng.integers(0, codec_sizes[1], (4, length)),
            ],
            axis=-1,
        ).astype(np.int64)
        for expected, actual in zip(keras_logits(keras_model)(events), onnx_model.logits(events)):
            worst = max(worst, float(np.max(np.abs(np.asarray(expected) - actual))))
    return worst


def golden_example(model: Any, run: RunFolder, window: int) -> dict[str, Any]:
    """Keras's logits after the first seed phrase's window: a golden answer the ONNX file must give.

    The events are those of the first seed file, so a test can go MIDI file -> codec -> ONNX -> logits
    without TensorFlow and compare with what Keras said at export.
    """
    from continuo.export.seeds import seed_file_name, seed_pieces

    pieces = seed_pieces(run, 1) or [max(run.read_split().test, key=len)]
    events = pieces[0].events[:window].astype(np.int64)
    logits = keras_logits(model)(events[None])
    return {
        "seed_file": seed_file_name(pieces[0]),
        "events": events.tolist(),
        "last_logits": {field: np.asarray(head)[0, -1].round(6).tolist() for field, head in zip(FIELDS, logits)},
    }


def export_run(run_path: Path, out: Path) -> ExportReport:
    import onnx
    import tensorflow as tf
    import tf2onnx

    run = RunFolder(run_path)
    info = run.read_json("run.json")
    model = run.load_model()
    signature = [tf.TensorSpec((None, None), tf.int64, name=name) for name in FIELDS]

    @tf.function(input_signature=signature)
    def serve(pitch: Any, duration: Any, shift: Any) -> dict[str, Any]:
        outputs = model({"pitch": pitch, "duration": duration, "shift": shift}, training=False)
        return {name: tf.identity(outputs[name], name=name) for name in OUTPUTS}

    proto, _ = tf2onnx.convert.from_function(serve, input_signature=signature, opset=OPSET)
    out.parent.mkdir(parents=True, exist_ok=True)
    with written_together(out) as (candidate,):
        # A first write without parity, so the check runs through the same loader the live side uses.
        metadata = build_metadata(run, parity=float("nan"))
        _write(onnx, proto, metadata, candidate)
        sizes = (len(info["codec"]["durations"]), len(info["codec"]["shifts"]))
        difference = _parity(model, ContinuoModel(candidate), sizes)
        if not difference <= PARITY_TOLERANCE:
            raise ContinuoError(
                f"ONNX and Keras disagree by {difference:.2e} (limit {PARITY_TOLERANCE:g}); {out} not written"
            )
        metadata["parity"]["max_abs_logit_difference"] = difference
        metadata["golden"] = golden_example(model, run, info["config"]["window"])
        _write(onnx, proto, metadata, candidate)
    return ExportReport(out, difference, out.stat().st_size)


def _write(onnx: Any, proto: Any, metadata: dict[str, Any], path: Path) -> None:
    del proto.metadata_props[:]
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    proto.producer_name = "continuo"
    onnx.save(proto, str(path))
