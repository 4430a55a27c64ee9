"""Score predictors on held-out pieces: top-1, top-5 and bits per event for each head.

Every event after a piece's first is a target, predicted from the up-to-30 events before it,
exactly the context the live engine has. Models and baselines are scored on the same targets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from continuo.live.music.codec import FIELDS
from continuo.training.baselines import NGramModel
from continuo.training.loader import Piece

#: Each head's measures, in the order every table of scores shows them, with the words that head their columns.
MEASURES = {"top1": "top-1", "top5": "top-5", "bits": "bits"}
#: Takes (batch, time, 3) int64 events, returns logits (batch, time, K) for each field in FIELDS.
LogitsFunction = Callable[[np.ndarray], Sequence[np.ndarray]]


@dataclass(frozen=True)
class HeadScore:
    top1: float
    top5: float
    bits: float
    targets: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def measure_text(value: float, measure: str) -> str:
    """A measure as every table writes it: top-1 and top-5 as percentages, bits with two decimals."""
    return f"{value:.2f}" if measure == "bits" else percent(value)


class _Tally:
    """Accumulates per-target ranks and log-probabilities without keeping whole distributions."""

    def __init__(self) -> None:
        self.ranks: list[np.ndarray] = []
        self.log2p: list[np.ndarray] = []

    def add(self, probabilities: np.ndarray, targets: np.ndarray) -> None:
        """probabilities (n, K) rows summing to 1; ties are broken by class index, lowest first."""
        rows = np.arange(len(targets))
        p_target = probabilities[rows, targets]
        above = (probabilities > p_target[:, None]).sum(axis=1)
        tied_before = (
            (probabilities == p_target[:, None]) & (np.arange(probabilities.shape[1]) < targets[:, None])
        ).sum(axis=1)
        self.ranks.append(above + tied_before)
        self.log2p.append(np.log2(np.maximum(p_target, 1e-300)))

    def score(self) -> HeadScore:
        ranks = np.concatenate(self.ranks) if self.ranks else np.zeros(0)
        log2p = np.concatenate(self.log2p) if self.log2p else np.zeros(0)
        if len(ranks) == 0:
            return HeadScore(float("nan"), float("nan"), float("nan"), 0)
        return HeadScore(float(np.mean(ranks == 0)), float(np.mean(ranks < 5)), float(-np.mean(log2p)), len(ranks))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted.astype(np.float64))
    return exp / exp.sum(axis=-1, keepdims=True)


def context_windows(pieces: Sequence[Piece], window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inputs (M, window, 3), and for each target its (row, column) in them and its event.

    The first window of a piece serves its first `window` targets (a causal model's output at
    column c has seen columns 0..c only, so right padding of short pieces changes nothing);
    every later target gets its own window ending just before it.
    """
    inputs: list[np.ndarray] = []
    rows: list[int] = []
    columns: list[int] = []
    targets: list[np.ndarray] = []
    for piece in pieces:
        events = piece.events.astype(np.int64)
        n = len(events)
        if n < 2:
            continue
        first = np.zeros((window, 3), dtype=np.int64)
        length = min(n - 1, window)
        first[:length] = events[:length]
        row = len(inputs)
        inputs.append(first)
        rows.extend([row] * length)
        columns.extend(range(length))
        targets.extend(events[1 : length + 1])
        for t in range(window + 1, n):
            rows.append(len(inputs))
            inputs.append(events[t - window : t])
            columns.append(window - 1)
            targets.append(events[t])
    if not inputs:
        return np.zeros((0, window, 3), np.int64), np.zeros((0, 2), np.int64), np.zeros((0, 3), np.int64)
    positions = np.stack([np.array(rows), np.array(columns)], axis=1)
    return np.stack(inputs), positions, np.array(targets, dtype=np.int64)


def score_model(
    logits_fn: LogitsFunction, pieces: Sequence[Piece], window: int, batch_size: int = 512
) -> dict[str, HeadScore]:
    inputs, positions, targets = context_windows(pieces, window)
    return score_positions(logits_fn, inputs, positions, targets, batch_size)


def score_positions(
    logits_fn: LogitsFunction, inputs: np.ndarray, positions: np.ndarray, targets: np.ndarray, batch_size: int = 512
) -> dict[str, HeadScore]:
    """Each head's scores; for a format-2 model (duration logits per shift class) the duration is scored in
    the row of the true shift, as the engine draws it after the shift, and `duration_marginal` scores it
    before the shift is known (summed over the model's own shift distribution)."""
    tallies = {field: _Tally() for field in FIELDS}
    marginal = _Tally()
    for begin in range(0, len(inputs), batch_size):
        heads = [np.asarray(head) for head in logits_fn(inputs[begin : begin + batch_size])]
        chosen = (positions[:, 0] >= begin) & (positions[:, 0] < begin + batch_size)
        rows, columns = positions[chosen, 0] - begin, positions[chosen, 1]
        pitch, duration, shift = (head[rows, columns] for head in heads)
        truth = targets[chosen]
        shift_probabilities = softmax(shift)
        if duration.ndim == 3:  # (targets, shifts, durations)
            by_shift = softmax(duration)
            marginal.add(np.einsum("ns,nsd->nd", shift_probabilities, by_shift), truth[:, 1])
            duration_probabilities = by_shift[np.arange(len(truth)), truth[:, 2]]
        else:
            duration_probabilities = softmax(duration)
        tallies["pitch"].add(softmax(pitch), truth[:, 0])
        tallies["duration"].add(duration_probabilities, truth[:, 1])
        tallies["shift"].add(shift_probabilities, truth[:, 2])
    scores = {field: tally.score() for field, tally in tallies.items()}
    if marginal.ranks:
        scores["duration_marginal"] = marginal.score()
    return scores


def score_ngrams(models: dict[str, NGramModel], pieces: Sequence[Piece]) -> dict[str, HeadScore]:
    """Same targets as score_model: every event after the first of each piece."""
    scores = {}
    for index, field in enumerate(FIELDS):
        model = models[field]
        tally = _Tally()
        for piece in pieces:
            values = piece.events[:, index].astype(np.int64)
            if len(values) < 2:
                continue
            history_length = model.order - 1
            rows = np.stack([model.distribution(values[max(0, t - history_length) : t]) for t in range(1, len(values))])
            tally.add(rows, values[1:])
        scores[field] = tally.score()
    return scores


def fit_ngrams(pieces: Sequence[Piece], order: int, vocabularies: dict[str, int]) -> dict[str, NGramModel]:
    return {
        field: NGramModel(order, vocabularies[field]).fit(piece.events[:, index] for piece in pieces)
        for index, field in enumerate(FIELDS)
    }
