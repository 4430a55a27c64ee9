"""Sampling the next class from logits: temperature, nucleus (top-p) and a seeded numpy generator.

The same seed, model and window give the same choice, so a take can be reproduced exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from continuo.live.engine.commands import PARAMETER_RANGES
from continuo.live.errors import ContinuoError
from continuo.live.timing.clock import check_bpm

MIN_TEMPERATURE, MAX_TEMPERATURE = PARAMETER_RANGES["temperature"]


@dataclass(frozen=True)
class SamplingSettings:
    temperature: float = 1.0
    top_p: float | None = None

    def __post_init__(self) -> None:
        if not MIN_TEMPERATURE <= self.temperature <= MAX_TEMPERATURE:
            raise ValueError(
                f"temperature must be between {MIN_TEMPERATURE} and {MAX_TEMPERATURE}, got {self.temperature}"
            )
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ValueError(f"top-p must be above 0 and at most 1, got {self.top_p}")


def checked_settings(temperature: float, top_p: float | None, tempo: float) -> SamplingSettings:
    """A request's sampling settings and tempo, or a ContinuoError (one line) naming what is out of range."""
    try:
        settings = SamplingSettings(temperature, top_p)
        check_bpm(tempo)
        return settings
    except ValueError as error:
        raise ContinuoError(str(error)) from None


def distribution(logits: np.ndarray, settings: SamplingSettings, allowed: np.ndarray | None = None) -> np.ndarray:
    """Probabilities after temperature, an optional mask of allowed classes, and top-p truncation."""
    scaled = np.asarray(logits, dtype=np.float64) / settings.temperature
    if allowed is not None:
        if not allowed.any():
            raise ValueError("the mask of allowed classes excludes every class")
        scaled = np.where(allowed, scaled, -np.inf)
    scaled -= scaled.max()
    probabilities = np.exp(scaled)
    probabilities /= probabilities.sum()
    if settings.top_p is not None and settings.top_p < 1:
        order = np.argsort(-probabilities, kind="stable")
        cumulative = np.cumsum(probabilities[order])
        keep = order[: int(np.searchsorted(cumulative, settings.top_p)) + 1]  # smallest set reaching top_p
        truncated = np.zeros_like(probabilities)
        truncated[keep] = probabilities[keep]
        probabilities = truncated / truncated.sum()
    return probabilities


def sample(
    logits: np.ndarray, settings: SamplingSettings, rng: np.random.Generator, allowed: np.ndarray | None = None
) -> int:
    probabilities = distribution(logits, settings, allowed)
    return int(rng.choice(len(probabilities), p=probabilities))
