"""Cut pieces into (window + 1)-event slices for many-to-many training (numpy only).

A slice of 31 events gives 30 inputs and, one step later, 30 targets: a target at every
position, about 30 times the signal of one-target-per-window training for the same pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from continuo.live.music.codec import FIELDS
from continuo.live.music.midi import MAX_DATA
from continuo.training.loader import Piece

# The training split is augmented by transposition within ±6 semitones, so every key is learnt alike
# (docs/training.md); a model may be trained with less (`--transpose`).
DEFAULT_TRANSPOSE = 6


def _starts(length: int, span: int, offset: int, stride: int) -> np.ndarray:
    return np.arange(offset, length - span + 1, stride, dtype=np.int64)


def _gather(pieces: Sequence[Piece], starts_per_piece: Sequence[np.ndarray], span: int) -> np.ndarray:
    slices = [
        piece.events[start + np.arange(span)] for piece, starts in zip(pieces, starts_per_piece) for start in starts
    ]
    if not slices:
        return np.zeros((0, span, 3), dtype=np.int64)
    return np.stack(slices).astype(np.int64)


def usable(pieces: Sequence[Piece], window: int) -> list[Piece]:
    """Pieces long enough for one training slice; shorter ones still count in evaluation."""
    return [piece for piece in pieces if len(piece) >= window + 1]


def tiled_windows(pieces: Sequence[Piece], window: int) -> np.ndarray:
    """Non-overlapping slices from the start of each piece: a fixed set for validation."""
    span = window + 1
    kept = usable(pieces, window)
    return _gather(kept, [_starts(len(p), span, 0, window) for p in kept], span)


def epoch_windows(
    pieces: Sequence[Piece], window: int, rng: np.random.Generator, transpose: int = DEFAULT_TRANSPOSE
) -> np.ndarray:
    """One pass over the pieces with a random phase per piece and a random transposition per slice.

    The transposition is drawn from those in [-transpose, +transpose] that keep every pitch of
    the slice inside 0-127.
    """
    span = window + 1
    kept = usable(pieces, window)
    starts = [_starts(len(p), span, int(rng.integers(0, min(window, len(p) - span + 1))), window) for p in kept]
    slices = _gather(kept, starts, span)
    return transpose_randomly(slices, rng, transpose)


def transpose_randomly(slices: np.ndarray, rng: np.random.Generator, transpose: int) -> np.ndarray:
    if transpose <= 0 or len(slices) == 0:
        return slices
    pitches = slices[:, :, 0]
    low = np.maximum(-transpose, -pitches.min(axis=1))
    high = np.minimum(transpose, MAX_DATA - pitches.max(axis=1))
    steps = rng.integers(low, high + 1)
    moved = slices.copy()
    moved[:, :, 0] += steps[:, None]
    return moved


def all_windows(pieces: Sequence[Piece], window: int) -> np.ndarray:
    """Every slice at stride 1: the raw material of the leaky random-window split."""
    span = window + 1
    kept = usable(pieces, window)
    return _gather(kept, [_starts(len(p), span, 0, 1) for p in kept], span)


def as_inputs_targets(
    slices: np.ndarray, durations_given_shift: int | None = None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(N, window + 1, 3) slices to Keras inputs at t and targets at t + 1.

    For a format-2 model give the number of duration classes: its duration target then carries the true
    shift too (shift * durations + duration), because its loss scores the row of that shift.
    """
    inputs = {name: slices[:, :-1, i] for i, name in enumerate(FIELDS)}
    targets = {f"{name}_logits": slices[:, 1:, i] for i, name in enumerate(FIELDS)}
    if durations_given_shift is not None:
        targets["duration_logits"] = targets["shift_logits"] * durations_given_shift + targets["duration_logits"]
    return inputs, targets
