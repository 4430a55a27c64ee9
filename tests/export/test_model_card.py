"""The model card is made from the shipped files' metadata, and the committed card matches them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from continuo.export.model_card import render_card, render_seed_spread, shipped_reports
from continuo.live.model_file import ContinuoModel, shipped_models

CARD = Path(__file__).resolve().parents[2] / "models" / "MODEL_CARD.md"


def head(top1: float, top5: float, bits: float) -> dict[str, float]:
    return {"top1": top1, "top5": top5, "bits": bits, "targets": 100}


def fake_metadata() -> dict[str, object]:
    scores = {"pitch": head(0.612, 0.931, 1.78), "duration": head(0.75, 0.99, 0.9), "shift": head(0.94, 1.0, 0.2)}
    return {
        "composer": "bach",
        "corpus": {"files": 410, "skipped": 0, "duplicates_removed": 3,
                   "pieces": {"train": 326, "val": 41, "test": 40}, "events": {"train": 1, "val": 2, "test": 3}},
        "split_seed": 0,
        "training": {"epochs_run": 50, "best_epoch": 42, "train_seconds": 600.0, "command": "continuo train"},
        "pitch_range": [36, 88],
        "parity": {"max_abs_logit_difference": 2e-6},
        "metrics": {"pieces": 40, "events": 3, "model": scores, "unigram": scores, "5gram": scores,
                    "leak_check": {"model": scores}},
    }  # fmt: skip


def test_card_rows_carry_the_metadata_figures() -> None:
    card = render_card({"bach": (fake_metadata(), 3_900_000)})
    row = next(line for line in card.splitlines() if line.startswith("| model |"))
    assert row == "| model | 61.2% | 93.1% | 1.78 | 75.0% | 99.0% | 0.90 | 94.0% | 100.0% | 0.20 |"
    assert "train 326 pieces" in card and "leak check" in card and "non-commercial" in card


def test_committed_card_matches_the_shipped_models() -> None:
    shipped = {
        name: (ContinuoModel(path).info.metadata, path.stat().st_size) for name, path in shipped_models().items()
    }
    assert CARD.read_text() == render_card(shipped, shipped_reports(), shipped_reports(".seeds.json")), (
        "regenerate: continuo models --card > models/MODEL_CARD.md"
    )
    for name in shipped:
        assert re.search(rf"^## {re.escape(name)}$", CARD.read_text(), re.MULTILINE)


def test_a_fine_tuned_model_names_the_run_it_started_from() -> None:
    metadata = fake_metadata()
    metadata["training"] = dict(metadata["training"], init_from={"run": "runs/palestrina", "name": "palestrina"})
    card = render_card({"haydn": (metadata, 3_900_000)})
    assert "Fine-tuned from the `palestrina` run (`runs/palestrina`)" in card
    assert "Fine-tuned" not in render_card({"bach": (fake_metadata(), 3_900_000)})


def test_a_model_fine_tuned_from_its_own_corpus_says_so_and_gives_the_base_time() -> None:
    metadata = fake_metadata()
    base = {"run": "runs/palestrina", "name": "palestrina", "train_seconds": 5964.0}
    metadata["training"] = dict(metadata["training"], init_from=base)
    metadata["composer"] = "palestrina"
    card = render_card({"palestrina": (metadata, 3_900_000)})
    assert "a run of this composer's corpus with other options" in card
    assert "the base run's (99.4 min) comes first" in card
    assert "another composer's corpus" not in card
    assert "±3 semitones" not in card
    metadata["training"]["transpose"] = 3  # type: ignore[index]
    assert "Trained with transposition up to ±3 semitones, not the design's ±6" in render_card(
        {"palestrina": (metadata, 3_900_000)}
    )


def test_the_seed_spread_checks_the_quality_bar_on_the_mean() -> None:
    one = {"pitch": head(0.62, 0.93, 1.80), "duration": head(0.76, 0.99, 0.9), "shift": head(0.95, 1.0, 0.2)}
    two = {"pitch": head(0.60, 0.90, 2.00), "duration": head(0.74, 0.99, 0.9), "shift": head(0.95, 1.0, 0.2)}
    spread = {
        "name": "bach",
        "runs": [{"seed": 0, "command": "continuo train --seed 0", "model": one},
                 {"seed": 1, "command": "continuo train --seed 1", "model": two}],
        "mean": {f: {m: (one[f][m] + two[f][m]) / 2 for m in ("top1", "top5", "bits")} for f in one},
    }  # fmt: skip
    text = render_seed_spread(spread)
    assert "| seed 1 | 60.0% | 2.00 | 90.0% | 74.0% | 95.0% |" in text
    assert "| **mean** | 61.0% | 1.90 | 91.5% | 75.0% | 95.0% |" in text
    assert "pitch top1 61.0% (≥ 60.0%: met)" in text and "pitch top5 91.5% (≥ 92.0%: MISSED)" in text
    assert "pitch bits 1.90 (≤ 1.90: met)" in text and "duration top1 75.0% (≥ 75.0%: met)" in text


def test_every_shipped_seed_spread_holds_the_shipped_model_as_one_of_its_runs() -> None:
    shipped = {name: ContinuoModel(path).info.metadata for name, path in shipped_models().items()}
    for name, spread in shipped_reports(".seeds.json").items():
        assert name in shipped, f"models/reports/{name}.seeds.json has no shipped model"
        first = spread["runs"][0]
        assert first["seed"] == shipped[name]["split_seed"]
        for field, score in shipped[name]["metrics"]["model"].items():
            assert first["model"][field]["top1"] == pytest.approx(score["top1"], abs=1e-6)
            assert first["model"][field]["bits"] == pytest.approx(score["bits"], abs=1e-6)


def test_the_card_says_how_a_run_was_finished_chained_and_leak_checked() -> None:
    metadata = fake_metadata()
    metadata["training"] = dict(
        metadata["training"],
        command="continuo train --no-leak-check",
        train_seconds_from="manifest.json to model.keras file times",
        finished_by="continuo train --finish",
        transpose=0,
        init_from={"run": "runs/bach", "name": "bach", "itself_from": {"run": "runs/palestrina", "name": "palestrina"}},
    )
    metadata["metrics"]["leak_check"] = {"model": metadata["metrics"]["model"], "epochs": 40}  # type: ignore[index]
    metadata["composer"] = "mozart"
    card = render_card({"mozart": (metadata, 3_900_000)})
    assert "Fine-tuned from the `bach` run (`runs/bach`), itself fine-tuned from the `palestrina` run" in card
    assert "trained first on other composers' corpora" in card
    same = dict(metadata["training"], init_from={"run": "runs/palestrina-t3", "name": "palestrina",
                "itself_from": {"run": "runs/palestrina", "name": "palestrina"}})  # fmt: skip
    assert "trained first on another composer's corpus" in render_card({"mozart": (dict(metadata, training=same), 1)})
    assert "which `continuo train --finish` did later without retraining" in card
    assert "The leak check trained 40 epochs, fewer than the model's 42" in card
    assert "The leak check was trained afterwards" in card
    assert "| leak check: same model, random-window split, 40 epochs |" in card
    assert "Trained without transposition" in card
    assert "Trained without transposition" not in render_card({"bach": (fake_metadata(), 3_900_000)})


def test_only_bach_carries_the_quality_bar() -> None:
    scores = fake_metadata()["metrics"]["model"]  # type: ignore[index]
    spread = {"name": "mozart", "runs": [{"seed": 0, "command": "c", "model": scores}], "mean": scores}
    assert "Quality bar" not in render_seed_spread(spread)
    assert "Quality bar" in render_seed_spread(spread | {"name": "bach"})


def test_a_format_2_model_says_how_its_duration_is_scored_and_what_it_scores_before_the_shift() -> None:
    metadata = fake_metadata()
    assert "Format 1: pitch, duration and shift are drawn independently." in render_card({"bach": (metadata, 1)})
    metadata["continuo_format"] = 2
    model = dict(metadata["metrics"]["model"], duration_marginal=head(0.741, 0.99, 1.05))  # type: ignore[call-overload]
    ngram = {"pitch": head(0.41, 0.75, 3.5), "duration": head(0.57, 0.99, 1.5), "shift": head(0.75, 1.0, 1.0)}
    metadata["metrics"] = dict(metadata["metrics"], model=model, **{"5gram": ngram})  # type: ignore[call-overload]
    card = render_card({"bach": (metadata, 1)})
    assert (
        "(summed over the model's own shift distribution) the duration scores top-1 74.1%, top-5 99.0%, 1.05 bits"
        in card
    )
    assert "The whole event (all three fields) costs 2.88 bits against the 5-gram's 6.00" in card
    spread = {
        "name": "bach",
        "runs": [{"seed": 0, "command": "continuo train", "model": model}],
        "mean": model,
    }
    text = render_seed_spread(spread)
    assert (
        "| run | pitch top-1 | pitch bits | pitch top-5 | duration top-1 | shift top-1 | duration top-1 before" in text
    )
    assert "| **mean** | 61.2% | 1.78 | 93.1% | 75.0% | 94.0% | 74.1% |" in text
    assert (
        "duration top1 75.0% (≥ 75.0%: met, given the true shift as the engine draws it; "
        "before the shift is known 74.1%)" in text
    )
