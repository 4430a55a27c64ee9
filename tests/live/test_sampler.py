"""Sampling statistics: temperature sharpens or flattens, top-p cuts the tail, seeds reproduce."""

from __future__ import annotations

import numpy as np
import pytest

from continuo.live.engine.generator import Generator
from continuo.live.engine.sampler import SamplingSettings, distribution, sample
from continuo.live.music.codec import Event

LOGITS = np.log(np.array([0.5, 0.3, 0.15, 0.05]))


def frequencies(settings: SamplingSettings, draws: int = 20000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    counts = np.bincount([sample(LOGITS, settings, rng) for _ in range(draws)], minlength=4)
    return counts / draws


def test_temperature_one_samples_the_model_distribution() -> None:
    np.testing.assert_allclose(frequencies(SamplingSettings(1.0)), [0.5, 0.3, 0.15, 0.05], atol=0.015)


def test_low_temperature_sharpens_and_high_temperature_flattens() -> None:
    cold, hot = distribution(LOGITS, SamplingSettings(0.2)), distribution(LOGITS, SamplingSettings(5.0))
    assert cold[0] > 0.9 and hot.max() - hot.min() < 0.15
    assert frequencies(SamplingSettings(0.2))[0] > 0.9


def test_top_p_keeps_the_smallest_set_reaching_p() -> None:
    kept = distribution(LOGITS, SamplingSettings(1.0, top_p=0.75))
    np.testing.assert_allclose(kept, [0.5 / 0.8, 0.3 / 0.8, 0.0, 0.0])
    assert frequencies(SamplingSettings(1.0, top_p=0.75))[2:].sum() == 0.0


def test_mask_excludes_classes() -> None:
    allowed = np.array([False, True, True, False])
    np.testing.assert_allclose(distribution(LOGITS, SamplingSettings(), allowed), [0, 0.3 / 0.45, 0.15 / 0.45, 0])
    with pytest.raises(ValueError, match="excludes every class"):
        distribution(LOGITS, SamplingSettings(), np.zeros(4, dtype=bool))


@pytest.mark.parametrize(("temperature", "top_p"), [(0.0, None), (-1.0, None), (11.0, None), (1.0, 0.0), (1.0, 1.5)])
def test_settings_out_of_range_are_refused(temperature: float, top_p: float | None) -> None:
    with pytest.raises(ValueError):
        SamplingSettings(temperature, top_p)


class CountingModel:
    """Prefers the pitch one above the last event's; records the window lengths it saw."""

    def __init__(self) -> None:
        self.lengths: list[int] = []

    def logits(self, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self.lengths.append(events.shape[1])
        pitch = np.full((1, events.shape[1], 128), -5.0)
        pitch[0, -1, (events[0, -1, 0] + 1) % 128] = 5.0
        return pitch, np.zeros((1, events.shape[1], 16)), np.zeros((1, events.shape[1], 17))


def test_generator_grows_a_short_seed_to_the_window_and_reproduces_with_a_seed() -> None:
    model = CountingModel()
    generator = Generator(model, 4, [Event(60, 0, 0), Event(62, 0, 1)], SamplingSettings(0.1), seed=7)
    events = [generator.next_event() for _ in range(5)]
    assert model.lengths == [2, 3, 4, 4, 4]
    assert [e.pitch for e in events] == [63, 64, 65, 66, 67]
    again = Generator(CountingModel(), 4, [Event(60, 0, 0), Event(62, 0, 1)], SamplingSettings(0.1), seed=7)
    assert [again.next_event() for _ in range(5)] == events
    generator.push([Event(40, 1, 1)])
    assert generator.next_event().pitch == 41  # what a performer plays steers what comes next


class ShiftTiedDurations:
    """Format 2: every shift equally likely, and in the row of shift s, duration s % 16 is all but certain."""

    def logits(self, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        time = events.shape[1]
        durations = np.full((1, time, 17, 16), -20.0)
        durations[0, :, np.arange(17), np.arange(17) % 16] = 20.0
        return np.zeros((1, time, 128)), durations, np.zeros((1, time, 17))


def test_a_format_2_model_draws_the_duration_in_the_row_of_the_drawn_shift() -> None:
    generator = Generator(ShiftTiedDurations(), 30, [Event(60, 0, 0)], SamplingSettings(1.0), seed=3)
    events = [generator.next_event() for _ in range(300)]
    assert all(event.duration == event.shift % 16 for event in events)
    assert len({event.shift for event in events}) == 17  # the shift itself is drawn, not fixed
