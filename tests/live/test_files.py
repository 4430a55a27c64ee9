"""Output files: checked before any work, and written whole, all together, or not at all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from continuo.live.errors import ContinuoError
from continuo.live.files import check_writable, write_atomically, written_together


def test_files_appear_only_once_all_are_written(tmp_path: Path) -> None:
    first, second = tmp_path / "a.mid", tmp_path / "b.png"
    with written_together(first, second) as (first_partial, second_partial):
        first_partial.write_bytes(b"one")
        second_partial.write_bytes(b"two")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mid.partial", "b.png.partial"]
    assert (first.read_bytes(), second.read_bytes()) == (b"one", b"two")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mid", "b.png"]


def test_a_failed_write_leaves_neither_file_nor_partial_and_keeps_the_old_file(tmp_path: Path) -> None:
    kept, new = tmp_path / "take.mid", tmp_path / "roll.png"
    kept.write_bytes(b"an earlier take")
    with pytest.raises(KeyboardInterrupt), written_together(kept, new) as (kept_partial, _):
        kept_partial.write_bytes(b"half a ta")
        raise KeyboardInterrupt  # Ctrl-C before the second file is written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.mid"]
    assert kept.read_bytes() == b"an earlier take"


def test_write_atomically_replaces_the_file_in_one_step(tmp_path: Path) -> None:
    target = tmp_path / "model.onnx"
    target.write_bytes(b"old")
    write_atomically(target, lambda partial: partial.write_bytes(b"new"))
    assert target.read_bytes() == b"new" and list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: root / "missing" / "take.mid", "-o {path}: folder {folder} does not exist"),
        (lambda root: root, "-o {path} is a folder, not a file"),
    ],
)
def test_check_writable_names_the_flag_and_the_reason(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(ContinuoError) as raised:
        check_writable(path, "-o")
    assert str(raised.value) == message.format(path=path, folder=path.parent)
