"""The spread across training seeds: every run kept, the mean per head, one model only."""

from __future__ import annotations

import pytest

from continuo.live.errors import ContinuoError
from continuo.training.evaluate import seed_spread, spread_lines


def scored(name: str, seed: int, pitch_top1: float) -> dict[str, object]:
    head = {"top1": pitch_top1, "top5": 0.9, "bits": 2.0, "targets": 10}
    other = {"top1": 0.5, "top5": 0.9, "bits": 1.0, "targets": 10}
    return {"name": name, "seed": seed, "command": f"continuo train --seed {seed}", "pieces": 4, "events": 40,
            "model": {"pitch": head, "duration": other, "shift": other}, "5gram": {}, "unigram": {},
            "recipe": {"init_from": "runs/palestrina"}}  # fmt: skip


def test_the_mean_is_over_every_seed_and_each_run_is_kept() -> None:
    spread = seed_spread([scored("bach", 0, 0.60), scored("bach", 1, 0.64), scored("bach", 2, 0.59)])
    assert [run["seed"] for run in spread["runs"]] == [0, 1, 2]
    assert spread["mean"]["pitch"]["top1"] == pytest.approx(0.61)
    assert "unigram" not in spread["runs"][0]
    assert spread_lines(spread)[-1].startswith("mean") and "61.0%" in spread_lines(spread)[-1]


def test_runs_of_different_models_are_refused() -> None:
    with pytest.raises(ContinuoError, match="runs of one model, got bach, mozart"):
        seed_spread([scored("bach", 0, 0.6), scored("mozart", 1, 0.3)])


def test_a_repeated_seed_or_another_recipe_is_refused() -> None:
    with pytest.raises(ContinuoError, match="different seeds, got seeds \\[0, 0\\]"):
        seed_spread([scored("bach", 0, 0.6), scored("bach", 0, 0.6)])
    other = scored("bach", 1, 0.6) | {"recipe": {"init_from": None}}
    with pytest.raises(ContinuoError, match="differ in options or base run"):
        seed_spread([scored("bach", 0, 0.6), other])


def test_a_format_2_spread_gives_the_duration_score_before_the_shift_is_known() -> None:
    runs = [scored("bach", seed, 0.6) for seed in (0, 1)]
    for run, top1 in zip(runs, (0.72, 0.74)):
        run["model"]["duration_marginal"] = {"top1": top1, "top5": 0.99, "bits": 1.1, "targets": 10}  # type: ignore[index]
    lines = spread_lines(seed_spread(runs))
    assert lines[-2].startswith("mean")
    assert "given the true shift (a diagnostic" in lines[-1]
    assert lines[-1].endswith("before the shift is known: top-1 73.0%, top-5 99.0%, 1.10 bits")
