"""The loop guard: a loop is found by its definition, a real model forced into one is drawn out within
the bound, and music that does not loop is left exactly as it was."""

from __future__ import annotations

import numpy as np
import pytest

from continuo.live.engine.generator import Generator
from continuo.live.engine.loop_guard import LOOP_EVENTS, MAX_PERIOD, RECOVERY_EVENTS, LoopGuard, loop_period
from continuo.live.engine.sampler import SamplingSettings
from continuo.live.model.model_file import load_model
from continuo.live.model.seeds import seed_from_bank
from continuo.live.music.codec import Event

A, B, C = Event(60, 3, 3), Event(64, 3, 3), Event(67, 5, 0)


def longest_periodic_stretch(events: list[Event], max_period: int = MAX_PERIOD) -> int:
    """The most events in a row that repeat with some period up to `max_period`."""
    longest = 0
    for period in range(1, max_period + 1):
        run = 0
        for i in range(period, len(events)):
            run = run + 1 if events[i] == events[i - period] else 0
            longest = max(longest, run + period if run else 0)
    return longest


def test_a_loop_is_a_repetition_with_a_short_period() -> None:
    assert loop_period([A] * LOOP_EVENTS) == 1
    assert loop_period([A, B, C] * 11) == 3
    assert loop_period([A, B] * 15 + [A, C]) is None
    nine = [Event(60 + i, 3, 3) for i in range(MAX_PERIOD + 1)]
    assert loop_period(nine * 4) is None  # a period of 9 is a phrase, not a loop


def stream(model_name: str, temperature: float, guard: LoopGuard | None, events: int = 400) -> list[Event]:
    model = load_model(model_name)
    _, seed = seed_from_bank(model_name, model.info.codec, model.info.window, np.random.default_rng(0))
    window, pitch_range = model.info.window, model.info.pitch_range
    generator = Generator(model, window, seed, SamplingSettings(temperature), 0, pitch_range, guard)
    return [generator.next_event() for _ in range(events)]


@pytest.mark.parametrize("model_name", ["mozart", "monteverdi", "haydn", "palestrina"])
def test_a_model_forced_into_a_loop_is_drawn_out_within_the_bound(model_name: str) -> None:
    """At temperature 0.05 these models lock onto a figure within a few dozen events (the control run);
    guarded, no repetition lasts much past the detection window (a loop is found after LOOP_EVENTS)."""
    unguarded = longest_periodic_stretch(stream(model_name, 0.05, None))
    seen: list[tuple[int, int]] = []
    guard = LoopGuard(lambda period, count: seen.append((period, count)))
    guarded = longest_periodic_stretch(stream(model_name, 0.05, guard))
    print(f"{model_name}: longest repetition {unguarded} unguarded, {guarded} guarded, {guard.recoveries} recoveries")
    assert unguarded > 2 * (LOOP_EVENTS + RECOVERY_EVENTS), "the control run does not loop: the test proves nothing"
    assert guarded <= LOOP_EVENTS + MAX_PERIOD
    assert guard.recoveries >= 1 and [count for _, count in seen] == list(range(1, guard.recoveries + 1))


def test_music_that_does_not_loop_is_left_as_it_was() -> None:
    guard = LoopGuard()
    assert stream("bach", 1.0, guard) == stream("bach", 1.0, None)
    assert guard.recoveries == 0
