"""Scoring aligns every target with exactly the context before it; baselines are real distributions."""

from __future__ import annotations

import numpy as np
import pytest

from continuo.training.baselines import NGramModel
from continuo.training.loader import Piece
from continuo.training.scoring import context_windows, fit_ngrams, score_model, score_ngrams

VOCAB = {"pitch": 128, "duration": 16, "shift": 17}


def rising(length: int, start: int = 10, name: str = "p") -> Piece:
    pitches = (start + np.arange(length)) % 128
    return Piece(name, np.stack([pitches, np.ones(length), np.zeros(length)], axis=1).astype(np.int16), name)


def one_hot(index: np.ndarray, size: int) -> np.ndarray:
    out = np.full((*index.shape, size), -20.0)
    np.put_along_axis(out, index[..., None] % size, 20.0, axis=-1)
    return out


def next_pitch_oracle(events: np.ndarray) -> list[np.ndarray]:
    """Knows that pitch rises by one: right only if it sees the event just before the target."""
    return [one_hot(events[:, :, 0] + 1, 128), one_hot(events[:, :, 1], 16), one_hot(events[:, :, 2], 17)]


def test_every_target_after_the_first_is_scored_once_with_its_context() -> None:
    pieces = [rising(100), rising(12, 50, "short"), rising(1, 0, "single")]
    inputs, positions, targets = context_windows(pieces, window=30)
    assert len(targets) == 99 + 11
    for (row, column), target in zip(positions, targets):
        assert inputs[row, column, 0] + 1 == target[0]
    scores = score_model(next_pitch_oracle, pieces, window=30, batch_size=7)
    assert scores["pitch"].top1 == 1.0 and scores["pitch"].targets == 110
    assert scores["pitch"].bits < 1e-6


def test_a_wrong_alignment_would_be_caught() -> None:
    def stale(events: np.ndarray) -> list[np.ndarray]:
        return [one_hot(events[:, :, 0], 128), one_hot(events[:, :, 1], 16), one_hot(events[:, :, 2], 17)]

    assert score_model(stale, [rising(100)], window=30)["pitch"].top1 == 0.0


def test_a_format_2_duration_is_scored_in_the_row_of_the_true_shift() -> None:
    """In the row of shift s the model is sure of duration (s + 3) % 16, and the shifts follow a fixed
    uneven distribution, so before the shift is known the duration is that distribution's mixture of rows."""
    shifts = np.arange(100) % 4
    durations = (shifts + 3) % 16
    piece = Piece("tied", np.stack([np.full(100, 60), durations, shifts], axis=1).astype(np.int16), "tied")
    shift_logits = np.linspace(3.0, -3.0, 17)
    table = one_hot((np.arange(17) + 3) % 16, 16)  # row s: duration (s + 3) % 16

    def tied(events: np.ndarray) -> list[np.ndarray]:
        batch, time = events.shape[:2]
        rows = np.broadcast_to(table, (batch, time, 17, 16))
        return [one_hot(events[:, :, 0], 128), rows, np.broadcast_to(shift_logits, (batch, time, 17))]

    scores = score_model(tied, [piece], window=30)
    assert scores["duration"].top1 == 1.0 and scores["duration"].bits < 1e-6  # the wrong row would miss
    p_shift = np.exp(shift_logits) / np.exp(shift_logits).sum()
    p_row = np.exp(table) / np.exp(table).sum(axis=1, keepdims=True)
    mixture = [sum(p_shift[s] * p_row[s, d] for s in range(17)) for d in durations[1:]]
    assert scores["duration_marginal"].bits == pytest.approx(float(np.mean(-np.log2(mixture))), rel=1e-9)
    most_likely = int(np.argmax(sum(p_shift[s] * p_row[s] for s in range(17))))
    assert scores["duration_marginal"].top1 == pytest.approx(np.mean(durations[1:] == most_likely))
    assert "duration_marginal" not in score_model(next_pitch_oracle, [piece], window=30)


def test_ngram_distributions_sum_to_one_and_back_off() -> None:
    model = NGramModel(5, 128).fit([[1, 2, 3, 4, 5, 6, 7, 8] * 10])
    for history in ([], [1], [1, 2, 3, 4], [99, 98, 97, 96], [4, 99]):
        assert model.distribution(history).sum() == pytest.approx(1.0)
    assert int(np.argmax(model.distribution([1, 2, 3, 4]))) == 5
    unseen = model.distribution([99, 98, 97, 96])
    unigram = NGramModel(1, 128).fit([[1, 2, 3, 4, 5, 6, 7, 8] * 10]).distribution([])
    np.testing.assert_allclose(unseen, unigram)


def test_five_gram_beats_unigram_on_a_repeating_pattern() -> None:
    train = [Piece("t", np.stack([np.tile([60, 64, 67, 72, 67, 64], 30), np.ones(180), np.ones(180)], 1), "t")]
    test = [Piece("s", np.stack([np.tile([60, 64, 67, 72, 67, 64], 5), np.ones(30), np.ones(30)], 1), "s")]
    five = score_ngrams(fit_ngrams(train, 5, VOCAB), test)["pitch"]
    one = score_ngrams(fit_ngrams(train, 1, VOCAB), test)["pitch"]
    assert five.top1 > 0.85 and one.top1 < 0.4
    assert five.bits < one.bits
    assert one.top5 == 1.0  # only four pitches occur
