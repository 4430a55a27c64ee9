"""The musical report's own parts: copy rate, statistics on codec events, the verdict, the card table."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from benchmarks.jack_clients import continuo
from continuo.export.model_card import render_report
from continuo.live.music.codec import Codec
from continuo.training.loader import Piece
from continuo.training.report import Report, copy_rate, known_runs, pieces_copy_rate, seed_pieces, statistics

CODEC = Codec()
QUARTER, EIGHTH = CODEC.durations.index(1.0), CODEC.shifts.index(0.5)


def melody(pitches: list[int]) -> np.ndarray:
    return np.array([(p, QUARTER, EIGHTH) for p in pitches], dtype=np.int64)


def test_copy_rate_counts_generated_8_note_runs_found_in_training() -> None:
    training = known_runs([melody([60, 62, 64, 65, 67, 69, 71, 72, 74])])
    assert copy_rate(melody([60, 62, 64, 65, 67, 69, 71, 72]), training) == 1.0
    assert copy_rate(melody([60, 62, 64, 65, 67, 69, 71, 72, 50, 51]), training) == pytest.approx(1 / 3)
    assert copy_rate(melody([61, 62, 64, 65, 67, 69, 71, 72]), training) == 0.0


def test_the_test_pieces_copy_rate_pools_runs_within_each_piece() -> None:
    training = known_runs([melody([60, 62, 64, 65, 67, 69, 71, 72])])
    # one piece copies its only run, the other (9 notes, 2 runs) none; no run may span the two pieces
    pieces = [melody([60, 62, 64, 65, 67, 69, 71, 72]), melody([62, 64, 65, 67, 69, 71, 72, 74, 76])]
    assert pieces_copy_rate(pieces, training) == pytest.approx(1 / 3)
    assert pieces_copy_rate([], training) == 0.0


def test_statistics_of_a_c_major_scale() -> None:
    pytest.importorskip("muspy")
    found = statistics(melody([60, 62, 64, 65, 67, 69, 71, 72]), CODEC)
    assert found["scale_consistency"] == 1.0
    assert found["pitch_range"] == 12
    assert found["pitch_class_entropy"] == pytest.approx(np.log2(7), abs=0.2)  # 7 classes, C twice
    assert found["mean_shift_beats"] == 0.5 and found["mean_duration_beats"] == 1.0
    chromatic = statistics(melody(list(range(60, 72))), CODEC)
    assert chromatic["scale_consistency"] < 0.7 and chromatic["pitch_class_entropy"] == pytest.approx(np.log2(12))


def test_verdict_and_card_table() -> None:
    stats = {"pitch_class_entropy": 3.0, "scale_consistency": 0.9, "pitch_range": 30.0, "polyphony": 3.0,
             "mean_shift_beats": 0.25, "mean_duration_beats": 1.0}  # fmt: skip
    near = Report("bach", "s", 1.0, 2000, 200, stats | {"pitch_class_entropy": 3.2}, stats, 40, 0.03)
    assert near.checks() == {"pitch_class_entropy": True, "scale_consistency": True, "copy_rate": True}
    far = Report("bach", "s", 1.0, 2000, 200, stats | {"scale_consistency": 0.7}, stats, 40, 0.08, test_copy_rate=0.2)
    assert far.checks() == {"pitch_class_entropy": True, "scale_consistency": False, "copy_rate": False}
    table = render_report(far.as_dict())
    assert "| scale consistency | 0.700 | 0.900 |" in table and "copy rate OUT of bound" in table
    assert "found in the training split) | 8.0% | 20.0% |" in table
    assert "found in the training split) | 3.0% |  |" in render_report(near.as_dict())


def test_seed_pieces_name_each_seed_file_and_the_split_its_piece_is_in() -> None:
    def piece(name: str) -> Piece:
        return Piece(name, melody([60] * 8), name)

    parts = {"train": [piece("a.mid")], "val": [piece("sub/b.mid")], "test": [piece("c.mid"), piece("d.mid")]}
    used = ["c.mid (bach seed bank)", "b.mid (bach seed bank)", "c.mid (bach seed bank)", "x.mid (haydn seed bank)"]
    assert seed_pieces([*used, "/tmp/d.mid"], parts) == [
        {"file": "c.mid", "bank": "bach", "streams": 2, "split": "test"},
        {"file": "b.mid", "bank": "bach", "streams": 1, "split": "val"},
        {"file": "x.mid", "bank": "haydn", "streams": 1, "split": "none"},
        {"file": "d.mid", "bank": None, "streams": 1, "split": "test"},
    ]
    stats = {"pitch_class_entropy": 3.0, "scale_consistency": 0.9, "pitch_range": 30.0, "polyphony": 3.0,
             "mean_shift_beats": 0.25, "mean_duration_beats": 1.0}  # fmt: skip
    report = Report("bach", "s", 1.0, 2000, 200, stats, stats, 40, 0.03, seed_pieces=seed_pieces(used, parts))
    assert report.as_dict()["seed_pieces"][0] == {"file": "c.mid", "bank": "bach", "streams": 2, "split": "test"}
    assert "seeded from: c.mid (test piece, 2 streams), b.mid (val piece, 1 streams)" in "\n".join(report.lines())


def test_report_without_the_corpus_says_how_to_make_it(tmp_path: object) -> None:
    result = subprocess.run(
        continuo("report", "--model", "bach", "--data", "no/such/folder"), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "continuo report: error: data folder no/such/folder does not exist (make it with: continuo corpus --out data)"
    )
