"""The model card is made from the shipped files' metadata and committed reports, and the committed card matches."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from continuo.export.card_artifacts import Artifacts
from continuo.export.card_spread import render_format_comparison, render_seed_spread
from continuo.export.card_summary import render_near_copies, summary_table
from continuo.export.model_card import render_card
from tests.export.card_fixtures import REPORTS, fake_metadata, format_2, head, model_row, spread_of


def test_card_rows_carry_the_metadata_figures() -> None:
    card = render_card({"bach": (fake_metadata(), 3_900_000)})
    row = model_row(card)
    assert row == "| model | 61.2% | 93.1% | 1.78 | 75.0% | 99.0% | 0.90 | 94.0% | 100.0% | 0.20 |"
    assert "train 326 pieces" in card and "leak check" in card and "non-commercial" in card


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
    metadata["training"]["transpose"] = 3
    assert "Trained with transposition up to ±3 semitones, not the default ±6" in render_card(
        {"palestrina": (metadata, 3_900_000)}
    )


def test_the_seed_spread_checks_the_quality_bar_on_the_mean() -> None:
    one = {"pitch": head(0.62, 0.93, 1.80), "duration": head(0.76, 0.99, 0.9), "shift": head(0.95, 1.0, 0.2)}
    two = {"pitch": head(0.60, 0.90, 2.00), "duration": head(0.74, 0.99, 0.9), "shift": head(0.95, 1.0, 0.2)}
    text = render_seed_spread(spread_of("bach", [(0, one, 10), (1, two, 10)]))
    assert "| seed 1 | 60.0% | 2.00 | 90.0% | 74.0% | 95.0% | 3.10 |" in text
    assert "| **mean** | 61.0% | 1.90 | 91.5% | 75.0% | 95.0% | 3.00 |" in text
    assert "pitch top-1 61.0% (≥ 60.0%: met)" in text and "pitch top-5 91.5% (≥ 92.0%: MISSED)" in text
    assert "pitch bits 1.90 (≤ 1.90: met)" in text and "duration top-1 before the shift 75.0% (≥ 75.0%: met)" in text


def test_a_format_2_duration_bar_is_judged_before_the_shift_is_known() -> None:
    """Given the true shift the duration clears the bar, before the shift it does not: the bar is MISSED."""
    model = format_2(fake_metadata(), before=0.741)["metrics"]["model"]
    text = render_seed_spread(spread_of("bach", [(0, model, 10)]))
    assert "| run | pitch top-1 | pitch bits | pitch top-5 | duration top-1 (before the shift) | shift top-1 " in text
    assert "| diagnostic: duration top-1 given the true shift |" in text
    assert "| **mean** | 61.2% | 1.78 | 93.1% | 74.1% | 94.0% | 2.88 | 75.0% |" in text
    assert "duration top-1 before the shift 74.1% (≥ 75.0%: MISSED)" in text
    assert "Scored in the row of the true shift it is 75.0%, which would clear the bar" in text
    assert "met, given the true shift" not in text
    card = render_card(
        {"bach": (format_2(fake_metadata()), 1)}, Artifacts(spreads={"bach": spread_of("bach", [(0, model, 10)])})
    )
    summary = card[: card.index("## bach")]
    assert "| bach | bach | 2 | 407 (40) | 61.2% (41.0%) | 74.1% | 94.0% | 2.88 (6.00) |" in summary
    assert "duration top-1 before the shift 74.1% (≥ 75.0%: MISSED)" in summary
    assert "| diagnostic: model, duration given the true shift | | | | 75.0% | 99.0% | 0.90 | | | |" in card


def test_only_bach_carries_the_quality_bar() -> None:
    scores = fake_metadata()["metrics"]["model"]
    spread = spread_of("mozart", [(0, scores, 10)])
    assert "Quality bar" not in render_seed_spread(spread)
    assert "Quality bar" in render_seed_spread(spread | {"name": "bach"})


def test_the_format_comparison_is_computed_from_both_runs_reports() -> None:
    new = [format_2(fake_metadata(), before=b)["metrics"]["model"] for b in (0.70, 0.72, 0.74)]
    old = [copy.deepcopy(fake_metadata()["metrics"]["model"]) for _ in range(3)]
    for seed, heads in enumerate(old):
        heads["duration"] = head(0.69 + seed / 100, 0.99, 0.9 + seed / 10)  # bits 2.88, 2.98, 3.08 in all
    spread = spread_of("bach", [(s, m, 10) for s, m in enumerate(new)], "continuo train --duration-given-shift")
    earlier = spread_of("bach", [(s, m, 10 + (s == 2)) for s, m in enumerate(old)])
    earlier["source"] = {"commit": "abcdef0123", "path": "models/reports/bach.seeds.json"}
    report = {"generated": {"mean_duration_beats": 0.9}, "test_pieces": {"mean_duration_beats": 1.0}, "events": 5}
    older = {"generated": {"mean_duration_beats": 0.8}, "events": 5}
    text = render_format_comparison(spread, earlier, report, older)
    assert "| seed 0 | 69.0% | 70.0% | 2.88 | 2.88 |" in text
    assert "| seed 2 | 71.0% | 74.0% | 3.08 | 2.88 |" in text
    assert "| **mean** | 70.0% | 72.0% | 2.98 | 2.88 |" in text
    assert "costs 2.88 bits on the mean against format 1's 2.98, lower on 2 of the 3 test splits" in text
    assert "kept from git history: abcdef0:models/reports/bach.seeds.json" in text
    assert "the test splits differ between the two runs" in text  # seed 2 has one more test event
    assert "0.900 beats in format 2 and 0.800 in format 1, against 1.000" in text
    assert "made with the same options and seeds" in text
    assert "made with different options" in render_format_comparison(spread, earlier, report, older | {"events": 6})
    earlier["runs"][2]["events"] = 10
    assert "each seed's test split is the same in both" in render_format_comparison(spread, earlier, None, None)


def near_copies_fixture(without: dict[str, Any] | None) -> dict[str, Any]:
    metrics = {"pieces": 5, "events": 500, "model": fake_metadata()["metrics"]["model"],
               "5gram": format_2(fake_metadata())["metrics"]["5gram"]}  # fmt: skip
    return {
        "definition": {"run_length": 8, "threshold": 0.5, "transposition_invariant": False,
                       "text": "Shares at least half of its 8-note runs."},
        "test_pieces": 5,
        "near_copies": [{"test_piece": "a.mid", "training_piece": "b.mid", "shared_fraction": 0.83}],
        "test_all": metrics,
        "test_without_near_copies": without,
        "command": "continuo evaluate --near-copies",
    }  # fmt: skip


def test_near_copies_are_rendered_from_their_report_or_said_to_be_unmeasured() -> None:
    lower = dict(fake_metadata()["metrics"]["model"], pitch=head(0.55, 0.9, 2.0))
    without = {"pieces": 4, "events": 400, "model": lower, "5gram": format_2(fake_metadata())["metrics"]["5gram"]}
    text = render_near_copies("bach", near_copies_fixture(without))
    assert "Shares at least half of its 8-note runs. 1 of the 5 test pieces are near-copies." in text
    assert "| a.mid | b.mid | 83.0% |" in text
    assert "| model | all 5 | 61.2% | 1.78 | 75.0% | 94.0% | 2.88 |" in text
    assert "| model | without the 1 near-copies | 55.0% | 2.00 | 75.0% | 94.0% | 3.10 |" in text
    assert "| 5-gram | without the 1 near-copies | 41.0% | 3.50 | 57.0% | 75.0% | 6.00 |" in text
    assert "not measured (no `models/reports/bach.near_copies.json`)" in render_near_copies("bach", None)
    assert "without the" not in render_near_copies("bach", near_copies_fixture(None))
    none = render_near_copies("bach", near_copies_fixture(without) | {"near_copies": []})
    assert "No near-copy among the 5 test pieces, so the test figures above stand as they are." in none
    assert "| model |" not in none
    near = {"bach": near_copies_fixture(without)}
    models = {"bach": fake_metadata(), "haydn": fake_metadata()}
    table = summary_table(models, Artifacts(near_copies=near))
    assert re.search(r"^\| bach \|.*\| 55\.0% \(1 of 5 pieces dropped\) \|$", table, re.MULTILINE)
    assert re.search(r"^\| haydn \|.*\| not measured \|$", table, re.MULTILINE)


def test_the_summary_has_one_row_per_model_with_its_figures() -> None:
    other = fake_metadata()
    other["composer"] = "haydn"
    other["metrics"]["model"] = dict(other["metrics"]["model"], pitch=head(0.2, 0.5, 4.0))
    del other["metrics"]["leak_check"]
    seeds = [{"file": "x.mid", "bank": "haydn", "streams": 20, "split": "test"}]
    checks = {"pitch_class_entropy": True, "scale_consistency": False, "copy_rate": True}
    report = {"checks": checks, "test_piece_count": 1, "seed_pieces": seeds}
    table = summary_table({"haydn": other, "bach": fake_metadata()}, Artifacts(reports={"haydn": report}))
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| model")]
    assert [row.split(" | ")[0] for row in rows] == ["| bach", "| haydn"]
    assert rows[1] == (
        "| haydn | haydn | 1 | 407 (40) | 20.0% (61.2%) | 75.0% | 94.0% | 5.10 (2.88) | 2 of 3 bounds met "
        "(scale consistency out); seeds: its only test piece | not run | not measured |"
    )
    assert "| 3 of 3" not in rows[0] and "| not measured | 61.2% | not measured |" in rows[0]


def test_the_musical_report_names_its_seeds_and_whether_they_are_test_pieces() -> None:
    report = json.loads((REPORTS / "bach.json").read_text())
    card = render_card({"bach": (fake_metadata(), 1)}, Artifacts(reports={"bach": report}))
    for seed in report["seed_pieces"]:
        assert f"`{seed['file']}` ({seed['split']} piece, {seed['streams']} streams)" in card
    report["seed_pieces"][0]["split"] = "val"
    card = render_card({"bach": (fake_metadata(), 1)}, Artifacts(reports={"bach": report}))
    count = len(report["seed_pieces"])
    assert f"{count - 1} of these {count} are test pieces of this model ({count - 1} of its 41 test pieces)" in card
    assert f"seeds: {count - 1} of its 41 test pieces, val pieces |" in card
    del report["seed_pieces"]
    card = render_card({"bach": (fake_metadata(), 1)}, Artifacts(reports={"bach": report}))
    assert "Which split these pieces belong to is not recorded in this report" in card


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
    metadata["metrics"]["leak_check"] = {"model": metadata["metrics"]["model"], "epochs": 40}
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


def test_a_format_2_model_says_how_its_duration_is_scored() -> None:
    metadata = fake_metadata()
    assert "Format 1: pitch, duration and shift are drawn independently." in render_card({"bach": (metadata, 1)})
    card = render_card({"bach": (format_2(metadata), 1)})
    row = model_row(card)
    assert row == "| model | 61.2% | 93.1% | 1.78 | 74.1% | 99.0% | 1.05 | 94.0% | 100.0% | 0.20 |"
    assert "The whole event (all three fields) costs 2.88 bits against the 5-gram's 6.00" in card
    assert "which the engine never has" in card
