"""Near-copies: the shared fraction is counted run by run, the partner is the piece sharing most."""

from __future__ import annotations

import numpy as np
import pytest

from continuo.training.loader import Piece, events_digest
from continuo.training.near_copies import RUN_LENGTH, definition, find_near_copies, pitch_runs, shared_fraction, without


def piece(name: str, pitches: list[int]) -> Piece:
    events = np.zeros((len(pitches), 3), dtype=np.int16)
    events[:, 0] = pitches
    return Piece(name, events, events_digest(events))


def distinct(start: int, count: int) -> list[int]:
    """Pitches whose every 8-note run is unique to this call (a rising line, no run repeats another's)."""
    return list(range(start, start + count))


def test_runs_are_absolute_pitches_counted_with_repeats() -> None:
    runs = pitch_runs(piece("p", [60] * 10).events)
    assert runs == [(60,) * RUN_LENGTH] * 3
    assert shared_fraction([*runs, (1,) * RUN_LENGTH], {(60,) * RUN_LENGTH}) == pytest.approx(3 / 4)
    assert pitch_runs(piece("short", [60] * (RUN_LENGTH - 1)).events) == []


def test_a_test_piece_half_made_of_a_training_piece_is_a_near_copy_of_it() -> None:
    source = piece("source", distinct(0, 40))
    other = piece("other", distinct(0, 12) + distinct(100, 20))  # shares 5 runs with `copied`, fewer than source
    copied = piece("copied", distinct(0, 27) + distinct(60, 13))  # its first 20 of 33 runs are the source's
    fresh = piece("fresh", distinct(20, 11) + distinct(60, 29))  # 4 of 33 runs shared
    found = find_near_copies([other, source], [copied, fresh])
    assert [(c.test_piece, c.training_piece) for c in found] == [("copied", "source")]
    assert found[0].shared_fraction == pytest.approx(20 / 33)
    assert [p.name for p in without([copied, fresh], found)] == ["fresh"]


def test_the_threshold_is_inclusive_and_a_transposed_copy_is_not_counted() -> None:
    source = piece("source", distinct(0, 40))
    half = piece("half", distinct(0, 23) + distinct(60, 16))  # 16 of 32 runs shared: exactly 50%
    transposed = piece("transposed", distinct(50, 40))  # the same rising line, higher: no absolute run shared
    found = find_near_copies([source], [half, transposed])
    assert [c.test_piece for c in found] == ["half"] and found[0].shared_fraction == 0.5
    assert definition()["transposition_invariant"] is False
    assert "absolute" in definition()["text"]
    interval_found = find_near_copies([source], [transposed], invariant=True)  # as intervals it would count
    assert [c.test_piece for c in interval_found] == ["transposed"]
