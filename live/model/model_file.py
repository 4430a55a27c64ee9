"""Open a Continuo model file (`models/<name>.onnx`) with onnxruntime and check it is one.

Everything the live side needs (window, codec tables, pitch range) comes from the file's
metadata, so no Python object from training is ever needed; a file that lacks it is refused
with a message naming what is missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from continuo.live.errors import ContinuoError
from continuo.live.music.codec import FIELDS, Codec

#: 1: three independent heads, each [batch, time, K]. 2: duration_logits is [batch, time, shifts, durations],
#: a row per shift class, and the engine draws the duration in the row of the shift it drew.
FORMAT_VERSIONS = (1, 2)
DURATION_GIVEN_SHIFT_FORMAT = 2
INPUTS = FIELDS
OUTPUTS = tuple(f"{field}_logits" for field in FIELDS)
REQUIRED_METADATA = ("continuo_format", "name", "window", "codec", "pitch_range")


class ModelFileError(ContinuoError):
    """A model file that is not a usable Continuo ONNX model; the message says what is wrong."""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    window: int
    codec: Codec
    pitch_range: tuple[int, int]
    metadata: dict[str, Any]
    format_version: int = 1

    @property
    def duration_given_shift(self) -> bool:
        return self.format_version == DURATION_GIVEN_SHIFT_FORMAT


def shipped_models() -> dict[str, Path]:
    """Models that ship inside the package, by name."""
    folder = resources.files("continuo.models")
    return {Path(entry.name).stem: Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".onnx")}


def resolve_model(name_or_path: str) -> Path:
    """A path to an existing file, or the name of a shipped model."""
    path = Path(name_or_path)
    if path.suffix.lower() == ".onnx" or path.exists():
        if not path.is_file():
            raise ModelFileError(f"model file {path} does not exist")
        return path
    shipped = shipped_models()
    if name_or_path in shipped:
        return shipped[name_or_path]
    known = ", ".join(sorted(shipped)) or "none shipped yet"
    raise ModelFileError(f"unknown model {name_or_path!r}: shipped models are {known}; or give a path to a .onnx file")


def _metadata(raw: dict[str, str], path: Path) -> ModelInfo:
    missing = [key for key in REQUIRED_METADATA if key not in raw]
    if missing:
        raise ModelFileError(f"model file {path} lacks Continuo metadata: missing {', '.join(missing)}")
    try:
        parsed = {key: json.loads(value) for key, value in raw.items()}
    except json.JSONDecodeError as error:
        raise ModelFileError(f"model file {path} has metadata that is not JSON ({error.msg})") from None
    version = parsed["continuo_format"]
    if version not in FORMAT_VERSIONS:
        readable = " and ".join(str(v) for v in FORMAT_VERSIONS)
        raise ModelFileError(
            f"model file {path} has format version {version!r}; this Continuo reads versions {readable}"
        )
    try:
        codec = Codec.from_json(parsed["codec"])
        low, high = (int(v) for v in parsed["pitch_range"])
        window = int(parsed["window"])
    except (ValueError, TypeError) as error:
        raise ModelFileError(f"model file {path} has malformed metadata: {error}") from None
    return ModelInfo(str(parsed["name"]), window, codec, (low, high), parsed, int(version))


def _check_signature(session: Any, path: Path) -> None:
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = {o.name: o for o in session.get_outputs()}
    if set(inputs) != set(INPUTS):
        raise ModelFileError(f"model file {path} has inputs {sorted(inputs)}; expected {list(INPUTS)}")
    wrong = [name for name, i in inputs.items() if i.type != "tensor(int64)" or len(i.shape) != 2]
    if wrong:
        raise ModelFileError(f"model file {path}: inputs {wrong} must be int64 [batch, time]")
    if not set(OUTPUTS) <= set(outputs):
        raise ModelFileError(f"model file {path} has outputs {sorted(outputs)}; expected {list(OUTPUTS)}")


def _check_duration_shape(session: Any, info: ModelInfo, path: Path) -> None:
    """The duration output's layout must be its format's, with the codec's class counts where the file fixes them."""
    shape = next(o for o in session.get_outputs() if o.name == "duration_logits").shape
    if info.duration_given_shift:
        layout, classes = "[batch, time, shifts, durations]", [info.codec.n_shifts, info.codec.n_durations]
    else:
        layout, classes = "[batch, time, durations]", [info.codec.n_durations]
    fixed = [size if isinstance(size, int) else None for size in shape[2:]]
    if len(shape) != 2 + len(classes) or any(size not in (None, want) for size, want in zip(fixed, classes)):
        raise ModelFileError(
            f"model file {path}: format {info.format_version} needs duration_logits {layout} with "
            f"{' x '.join(map(str, classes))} classes (its codec's), it has {shape}"
        )


class ContinuoModel:
    """An ONNX model and its metadata; `logits` runs it on windows of events."""

    def __init__(self, path: Path) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # One window at a time is too small to share out: a thread pool only adds wake-ups and jitter.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own Fail/InvalidProtobuf types
            first = str(error).splitlines()[0][:160] if str(error) else type(error).__name__
            raise ModelFileError(f"model file {path} is not a readable ONNX model ({first})") from None
        _check_signature(self.session, path)
        self.info = _metadata(dict(self.session.get_modelmeta().custom_metadata_map), path)
        _check_duration_shape(self.session, self.info, path)
        self.path = path

    def logits(self, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(batch, time, 3) events -> pitch, duration and shift logits, each (batch, time, K); in format 2
        the duration's are (batch, time, shifts, durations)."""
        feeds = {name: np.ascontiguousarray(events[:, :, i], dtype=np.int64) for i, name in enumerate(INPUTS)}
        pitch, duration, shift = self.session.run(list(OUTPUTS), feeds)
        return pitch, duration, shift


def load_model(name_or_path: str) -> ContinuoModel:
    return ContinuoModel(resolve_model(name_or_path))
