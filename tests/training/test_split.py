"""The split is by piece, deterministic, independent of file names and reading order."""

from __future__ import annotations

import numpy as np
import pytest

from continuo.live.errors import ContinuoError
from continuo.training.loader import Piece, events_digest
from continuo.training.split import split_by_piece


def pieces(count: int) -> list[Piece]:
    made = []
    for index in range(count):
        events = np.array([[40 + index % 60, index % 7, 1], [41, 2, 3], [index % 128, 1, 0]], dtype=np.int16)
        made.append(Piece(f"piece{index}.mid", events, events_digest(events) + f"{index}"))
    return made


def digests(part: list[Piece]) -> set[str]:
    return {p.digest for p in part}


def test_split_is_80_10_10_by_piece_without_overlap() -> None:
    split = split_by_piece(pieces(100), seed=0)
    assert (len(split.train), len(split.val), len(split.test)) == (80, 10, 10)
    assert not digests(split.train) & digests(split.test)
    assert not digests(split.train) & digests(split.val)
    assert not digests(split.val) & digests(split.test)


def test_split_ignores_order_and_names_but_follows_the_seed() -> None:
    forward = split_by_piece(pieces(50), seed=3)
    shuffled = list(reversed(pieces(50)))
    renamed = [Piece("x" + p.name, p.events, p.digest) for p in shuffled]
    again = split_by_piece(renamed, seed=3)
    assert digests(again.test) == digests(forward.test)
    assert digests(split_by_piece(pieces(50), seed=4).test) != digests(forward.test)


def test_small_corpora_still_get_validation_and_test_pieces() -> None:
    split = split_by_piece(pieces(4), seed=0)
    assert len(split.val) == 1 and len(split.test) == 1 and len(split.train) == 2
    with pytest.raises(ContinuoError, match="at least 3"):
        split_by_piece(pieces(2), seed=0)
