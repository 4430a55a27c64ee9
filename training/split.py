"""Deterministic split by piece (never by window), keyed on each piece's content hash.

Pieces are ordered by sha256(seed, digest) and cut 80/10/10, so the split depends only on the
music and the seed, not on file names or the order the folder was read in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from continuo.live.errors import ContinuoError
from continuo.training.loader import Piece

FRACTIONS = (0.8, 0.1, 0.1)


@dataclass(frozen=True)
class Split:
    train: list[Piece]
    val: list[Piece]
    test: list[Piece]

    def parts(self) -> dict[str, list[Piece]]:
        return {"train": self.train, "val": self.val, "test": self.test}


def _rank_key(piece: Piece, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{piece.digest}".encode()).hexdigest()


def split_by_piece(pieces: Sequence[Piece], seed: int) -> Split:
    """80/10/10 by piece; validation and test get at least one piece each."""
    if len(pieces) < 3:
        raise ContinuoError(f"need at least 3 usable pieces to split train/val/test by piece, got {len(pieces)}")
    ordered = sorted(pieces, key=lambda piece: _rank_key(piece, seed))
    n = len(ordered)
    n_test = max(1, round(n * FRACTIONS[2]))
    n_val = max(1, round(n * FRACTIONS[1]))
    n_train = n - n_val - n_test
    return Split(ordered[:n_train], ordered[n_train : n_train + n_val], ordered[n_train + n_val :])
