"""The live model loader accepts a Continuo ONNX file and refuses anything else with a clear line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from continuo.live.model.model_file import ModelFileError, load_model
from continuo.live.music.codec import Codec

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

CODEC = Codec()


def lookup_model(
    path: Path,
    metadata: dict[str, object] | None,
    input_names: tuple[str, ...] = ("pitch", "duration", "shift"),
    duration_given_shift: bool = False,
) -> Path:
    """A real ONNX graph whose logits are rows of fixed tables indexed by each input; with
    duration_given_shift, the duration's rows are [shifts, durations] tables, as in format 2."""
    sizes = {"pitch": 128, "duration": CODEC.n_durations, "shift": CODEC.n_shifts}
    rng = np.random.default_rng(0)
    nodes, inits, inputs, outputs = [], [], [], []
    for given, field in zip(input_names, sizes):
        row = [CODEC.n_shifts, sizes[field]] if field == "duration" and duration_given_shift else [sizes[field]]
        table = rng.normal(size=(sizes[field], *row)).astype(np.float32)
        inits.append(numpy_helper.from_array(table, f"{field}_table"))
        inputs.append(helper.make_tensor_value_info(given, TensorProto.INT64, ["batch", "time"]))
        outputs.append(helper.make_tensor_value_info(f"{field}_logits", TensorProto.FLOAT, ["batch", "time", *row]))
        nodes.append(helper.make_node("Gather", [f"{field}_table", given], [f"{field}_logits"]))
    graph = helper.make_graph(nodes, "lookup", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.save(model, path)
    return path


def good_metadata(**changes: object) -> dict[str, object]:
    metadata: dict[str, object] = {
        "continuo_format": 1, "name": "lookup", "window": 30,
        "codec": CODEC.to_json(), "pitch_range": [36, 84],
    }  # fmt: skip
    metadata.update(changes)
    return metadata


def test_a_valid_file_loads_with_its_metadata_and_runs(tmp_path: Path) -> None:
    model = load_model(str(lookup_model(tmp_path / "m.onnx", good_metadata())))
    assert (model.info.name, model.info.window, model.info.pitch_range) == ("lookup", 30, (36, 84))
    assert model.info.codec == CODEC
    events = np.array([[[60, 3, 0], [64, 5, 2]]], dtype=np.int64)
    pitch, duration, shift = model.logits(events)
    assert pitch.shape == (1, 2, 128) and duration.shape == (1, 2, CODEC.n_durations)
    assert shift.shape == (1, 2, CODEC.n_shifts)
    assert not np.allclose(pitch[0, 0], pitch[0, 1])


def test_a_format_2_file_gives_a_row_of_duration_logits_per_shift(tmp_path: Path) -> None:
    path = lookup_model(tmp_path / "m.onnx", good_metadata(continuo_format=2), duration_given_shift=True)
    model = load_model(str(path))
    assert model.info.duration_given_shift and model.info.format_version == 2
    _, duration, _ = model.logits(np.array([[[60, 3, 0], [64, 5, 2]]], dtype=np.int64))
    assert duration.shape == (1, 2, CODEC.n_shifts, CODEC.n_durations)


@pytest.mark.parametrize(
    ("version", "given_shift", "message"),
    [
        (2, False, r"format 2 needs duration_logits \[batch, time, shifts, durations\] with 17 x 16 classes"),
        (1, True, r"format 1 needs duration_logits \[batch, time, durations\] with 16 classes"),
    ],
)
def test_a_duration_output_of_the_other_format_is_named(
    tmp_path: Path, version: int, given_shift: bool, message: str
) -> None:
    path = lookup_model(tmp_path / "m.onnx", good_metadata(continuo_format=version), duration_given_shift=given_shift)
    with pytest.raises(ModelFileError, match=message):
        load_model(str(path))


def test_a_duration_output_that_does_not_fit_the_codec_is_named(tmp_path: Path) -> None:
    codec = CODEC.to_json()
    codec["durations"] = codec["durations"][:-1]  # the metadata's table has one class fewer than the file
    path = lookup_model(tmp_path / "m.onnx", good_metadata(codec=codec))
    with pytest.raises(ModelFileError, match=r"with 15 classes \(its codec's\), it has \['batch', 'time', 16\]"):
        load_model(str(path))


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (None, "lacks Continuo metadata: missing continuo_format, name, window, codec, pitch_range"),
        ({"continuo_format": 1, "name": "x"}, "missing window, codec, pitch_range"),
        (good_metadata(continuo_format=99), "format version 99; this Continuo reads versions 1 and 2"),
        (good_metadata(codec={"shifts": [0, 1]}), "malformed metadata"),
    ],
)
def test_missing_or_wrong_metadata_is_named(tmp_path: Path, metadata: dict[str, object] | None, message: str) -> None:
    with pytest.raises(ModelFileError, match=message):
        load_model(str(lookup_model(tmp_path / "m.onnx", metadata)))


def test_wrong_inputs_are_named(tmp_path: Path) -> None:
    path = lookup_model(tmp_path / "m.onnx", good_metadata(), input_names=("notes", "duration", "shift"))
    with pytest.raises(ModelFileError, match=r"has inputs \['duration', 'notes', 'shift'\]; expected"):
        load_model(str(path))


def test_corrupt_or_missing_files_are_one_line(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x07garbage" * 50)
    with pytest.raises(ModelFileError, match="is not a readable ONNX model") as info:
        load_model(str(corrupt))
    assert "\n" not in str(info.value)
    with pytest.raises(ModelFileError, match="does not exist"):
        load_model(str(tmp_path / "absent.onnx"))


def test_unknown_name_lists_the_shipped_models() -> None:
    with pytest.raises(ModelFileError, match="unknown model 'no-such-composer': shipped models are"):
        load_model("no-such-composer")
