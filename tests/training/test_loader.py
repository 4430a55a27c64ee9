"""The folder loader keeps good files, skips broken ones with reasons, and removes duplicates."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from continuo.live.errors import ContinuoError
from continuo.live.music.codec import Codec
from continuo.training.loader import load_folder
from tests.midi_builders import scale_file, track_from_notes, write_midi

CODEC = Codec()


def make_broken_folder(folder: Path) -> dict[str, str]:
    """Good files in several spellings and depths, plus every kind of bad file; returns bad -> reason."""
    (folder / "nested" / "deeper").mkdir(parents=True)
    scale_file(folder / "a.mid", 60)
    scale_file(folder / "nested" / "B.MID", 62)
    scale_file(folder / "nested" / "deeper" / "c.midi", 64)
    shutil.copy(folder / "a.mid", folder / "nested" / "a_copy.mid")  # same music twice
    good = (folder / "a.mid").read_bytes()
    (folder / "truncated.mid").write_bytes(good[: len(good) // 2])
    (folder / "zero.mid").write_bytes(b"")
    (folder / "text.mid").write_text("this is a text file named .mid\n")
    write_midi(folder / "zero_length.mid", [track_from_notes([(0, 0, 60, 0), (480, 0, 62, 0)])])
    (folder / "notes.txt").write_text("not MIDI and not named like it: ignored")
    return {
        "truncated.mid": "truncated",
        "zero.mid": "empty file",
        "text.mid": "not a MIDI file",
        "zero_length.mid": "no notes",
    }


def test_broken_files_are_skipped_with_reasons_and_duplicates_removed(tmp_path: Path) -> None:
    bad = make_broken_folder(tmp_path)
    pieces, report = load_folder(tmp_path, CODEC, progress=False)
    assert sorted(p.name for p in pieces) == ["a.mid", "nested/B.MID", "nested/deeper/c.midi"]
    assert report.files == 8
    assert report.duplicates == 1
    reasons = dict(report.skipped)
    assert set(reasons) == set(bad)
    for name, reason in bad.items():
        assert reason in reasons[name]
    assert "4 skipped, 1 duplicates removed" in report.describe()


def test_folder_with_no_usable_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "zero.mid").write_bytes(b"")
    (tmp_path / "text.midi").write_text("nope")
    with pytest.raises(ContinuoError, match=r"no usable MIDI file in .* \(2 files, all unreadable"):
        load_folder(tmp_path, CODEC, progress=False)


def test_missing_or_empty_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ContinuoError, match="does not exist"):
        load_folder(tmp_path / "nowhere", CODEC, progress=False)
    with pytest.raises(ContinuoError, match=r"no \.mid or \.midi files"):
        load_folder(tmp_path, CODEC, progress=False)


def test_max_pieces_takes_the_first_files_in_path_order(tmp_path: Path) -> None:
    for index in range(5):
        scale_file(tmp_path / f"p{index}.mid", 50 + index)
    pieces, _ = load_folder(tmp_path, CODEC, max_pieces=2, progress=False)
    assert [p.name for p in pieces] == ["p0.mid", "p1.mid"]
