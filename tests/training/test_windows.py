"""Training slices: targets are the inputs one step on; transposition stays in range."""

from __future__ import annotations

import numpy as np

from continuo.training.loader import Piece
from continuo.training.windows import all_windows, as_inputs_targets, epoch_windows, tiled_windows


def piece(length: int, low: int = 40, name: str = "p") -> Piece:
    events = np.stack([low + np.arange(length) % 20, np.arange(length) % 5, np.arange(length) % 3], axis=1)
    return Piece(name, events.astype(np.int16), name)


def test_targets_are_inputs_shifted_by_one_step() -> None:
    slices = tiled_windows([piece(100)], window=30)
    inputs, targets = as_inputs_targets(slices)
    assert slices.shape == (3, 31, 3)
    np.testing.assert_array_equal(inputs["pitch"][:, 1:], targets["pitch_logits"][:, :-1])
    np.testing.assert_array_equal(inputs["shift"][0], piece(100).events[:30, 2])
    np.testing.assert_array_equal(targets["duration_logits"][0], piece(100).events[1:31, 1])


def test_a_format_2_duration_target_carries_the_true_shift() -> None:
    slices = tiled_windows([piece(100)], window=30)
    _, targets = as_inputs_targets(slices, durations_given_shift=16)
    true = piece(100).events[1:31]
    np.testing.assert_array_equal(targets["duration_logits"][0], true[:, 2] * 16 + true[:, 1])
    np.testing.assert_array_equal(targets["shift_logits"][0], true[:, 2])


def test_short_pieces_give_no_training_slice() -> None:
    assert len(tiled_windows([piece(30)], window=30)) == 0
    assert len(tiled_windows([piece(31)], window=30)) == 1


def test_epoch_windows_vary_phase_and_transpose_within_limits() -> None:
    rng = np.random.default_rng(1)
    high = piece(200, low=110, name="high")  # pitches 110..129 would leave range if moved up
    high = Piece("high", np.clip(high.events, 0, 127), "high")
    draws = [epoch_windows([piece(200), high], 30, rng, transpose=6) for _ in range(20)]
    pitches = np.concatenate([d[:, :, 0].ravel() for d in draws])
    assert pitches.min() >= 0 and pitches.max() <= 127
    first_pitches = {int(d[0, 0, 0]) for d in draws}
    assert len(first_pitches) > 3  # phase and transposition change between passes
    for d in draws:  # a transposition moves a whole slice; durations and shifts stay
        assert d.shape[1:] == (31, 3)
        assert set(np.unique(d[:, :, 1])) <= set(range(5))


def test_all_windows_are_stride_one() -> None:
    slices = all_windows([piece(40)], window=30)
    assert len(slices) == 10
    np.testing.assert_array_equal(slices[1, :-1], slices[0, 1:])
