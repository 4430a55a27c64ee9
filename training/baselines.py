"""Count-based baselines every model is reported beside: unigram and n-gram with back-off.

The n-gram interpolates each context order with the next shorter one (Witten-Bell), down to an
add-one unigram, so every class keeps a non-zero probability and bits per event are finite.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

IntSequence = Sequence[int] | np.ndarray


class NGramModel:
    """Predicts one event field from the previous ``order - 1`` values of that same field."""

    def __init__(self, order: int, vocabulary: int) -> None:
        if order < 1:
            raise ValueError(f"n-gram order must be 1 or more, got {order}")
        self.order = order
        self.vocabulary = vocabulary
        self._counts: list[defaultdict[tuple[int, ...], np.ndarray]] = [
            defaultdict(lambda: np.zeros(vocabulary, dtype=np.float64)) for _ in range(order)
        ]

    def fit(self, sequences: Iterable[IntSequence]) -> NGramModel:
        for sequence in sequences:
            values = [int(v) for v in sequence]
            for t, value in enumerate(values):
                for k in range(min(self.order - 1, t) + 1):
                    self._counts[k][tuple(values[t - k : t])][value] += 1
        return self

    def distribution(self, history: IntSequence) -> np.ndarray:
        """P(next | the last order-1 values of history), a vector over the vocabulary."""
        unigram = self._counts[0].get((), np.zeros(self.vocabulary))
        probabilities = (unigram + 1.0) / (unigram.sum() + self.vocabulary)
        recent = [int(v) for v in history]
        for k in range(1, min(self.order - 1, len(recent)) + 1):
            counts = self._counts[k].get(tuple(recent[-k:]))
            if counts is None:
                break  # a longer context cannot have been seen if this one was not
            total = counts.sum()
            types = np.count_nonzero(counts)
            weight = total / (total + types)
            probabilities = weight * counts / total + (1.0 - weight) * probabilities
        return probabilities
