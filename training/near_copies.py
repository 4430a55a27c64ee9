"""Near-copies: test pieces whose notes are largely found, run for run, in the training split.

Only identical pieces are removed before the split (training/loader.py). A chorale harmonised twice, or a
movement with a reworked twin, can still land one copy in training and one in test, and then the test
score partly measures recall. A test piece is a near-copy when at least THRESHOLD of its RUN_LENGTH-note
pitch runs (every run of consecutive events, counted with repeats) occur somewhere in the training split.

The runs are compared as absolute pitches, not as intervals. In four-voice music eight consecutive events
are about two chords, and as intervals those are idiom any piece in any key shares: the interval version
flags a large part of Bach's chorales with no gap between copies and the rest, while absolute runs leave
a clear gap. The price: a copy in another key (the same chorale harmonised twice, once transposed) is
missed, although a model trained with random transposition saw it in this key too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from continuo.training.loader import Piece

RUN_LENGTH = 8
THRESHOLD = 0.5
TRANSPOSITION_INVARIANT = False

Run = tuple[int, ...]


@dataclass(frozen=True)
class NearCopy:
    test_piece: str
    training_piece: str  # the one training piece sharing the most of the test piece's runs
    shared_fraction: float  # of the test piece's runs, found anywhere in the training split

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def definition() -> dict[str, Any]:
    """The definition as the report JSON records it, so a reader never has to look it up here."""
    how = "as intervals from each run's first note, so in any key" if TRANSPOSITION_INVARIANT else "as absolute pitches"
    return {
        "run_length": RUN_LENGTH,
        "threshold": THRESHOLD,
        "transposition_invariant": TRANSPOSITION_INVARIANT,
        "text": (
            f"A test piece is a near-copy when at least {THRESHOLD:.0%} of its {RUN_LENGTH}-note pitch runs "
            f"(consecutive events, counted with repeats, compared {how}) occur in the training split."
        ),
    }


def pitch_runs(events: np.ndarray, length: int = RUN_LENGTH, invariant: bool = TRANSPOSITION_INVARIANT) -> list[Run]:
    """Every run of `length` consecutive pitches, in order; as intervals from the run's first pitch if invariant."""
    pitches = np.asarray(events)[:, 0].astype(np.int64)
    if len(pitches) < length:
        return []
    windows = np.lib.stride_tricks.sliding_window_view(pitches, length)
    if invariant:
        windows = windows[:, 1:] - windows[:, :1]
    return [tuple(row) for row in windows.tolist()]


def shared_fraction(runs: Sequence[Run], known: set[Run] | frozenset[Run]) -> float:
    """Of the runs (with repeats), the fraction found in `known`; 0 for a piece shorter than one run."""
    return sum(run in known for run in runs) / len(runs) if runs else 0.0


def find_near_copies(
    train: Sequence[Piece],
    test: Sequence[Piece],
    threshold: float = THRESHOLD,
    length: int = RUN_LENGTH,
    invariant: bool = TRANSPOSITION_INVARIANT,
) -> list[NearCopy]:
    """The test pieces at or above `threshold`, each with the training piece it shares most with, in test order."""
    by_piece = [set(pitch_runs(piece.events, length, invariant)) for piece in train]
    known: set[Run] = set().union(*by_piece) if by_piece else set()
    found = []
    for piece in test:
        runs = pitch_runs(piece.events, length, invariant)
        fraction = shared_fraction(runs, known)
        if runs and fraction >= threshold:
            counts = Counter(runs)
            # Ties go to the first training piece in split order, so the answer does not depend on set order.
            best = max(range(len(train)), key=lambda i: (sum(n for run, n in counts.items() if run in by_piece[i]), -i))
            found.append(NearCopy(piece.name, train[best].name, fraction))
    return found


def without(pieces: Sequence[Piece], copies: Sequence[NearCopy]) -> list[Piece]:
    names = {copy.test_piece for copy in copies}
    return [piece for piece in pieces if piece.name not in names]
