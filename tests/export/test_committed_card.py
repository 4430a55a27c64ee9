"""The committed card is what the committed reports and shipped files give, and nothing in it is typed by hand."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest

from continuo.export.card_artifacts import shipped_artifacts
from continuo.live.model.model_file import ContinuoModel, shipped_models
from tests.export.card_fixtures import CARD, CARD_CODE, REPORTS, shipped_card


def test_committed_card_matches_the_shipped_models_and_reports() -> None:
    card = CARD.read_text()
    assert card == shipped_card(shipped_artifacts()), "regenerate: continuo models --card > models/MODEL_CARD.md"
    for name in shipped_models():
        assert re.search(rf"^## {re.escape(name)}$", card, re.MULTILINE)


def test_a_figure_changed_in_a_committed_report_changes_the_card(tmp_path: Path) -> None:
    """The card is read from the JSON files, so no figure can be the same constant on both sides of the test."""
    shutil.copytree(REPORTS, tmp_path, dirs_exist_ok=True)
    earlier = json.loads((tmp_path / "bach.format1.seeds.json").read_text())
    earlier["runs"][0]["model"]["duration"]["top1"] = 0.5
    (tmp_path / "bach.format1.seeds.json").write_text(json.dumps(earlier))
    changed = shipped_card(shipped_artifacts(tmp_path))
    assert changed != CARD.read_text()
    assert "| seed 0 | 50.0% |" in changed
    near = json.loads((tmp_path / "bach.near_copies.json").read_text())
    near["test_without_near_copies"]["model"]["pitch"]["top1"] = 0.25
    (tmp_path / "bach.near_copies.json").write_text(json.dumps(near))
    dropped = f"{len(near['near_copies'])} of {near['test_pieces']} pieces dropped"
    assert f"| 25.0% ({dropped}) |" in shipped_card(shipped_artifacts(tmp_path))


def test_the_card_code_types_no_measured_figure() -> None:
    """No string in the card's code holds a percentage or a figure with decimals: they come from the data."""
    figure = re.compile(r"\d+\.\d+|(?<![.\d])\d+(\.\d+)?%")  # not a format spec such as ".1%"
    for path in CARD_CODE:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not figure.search(node.value), f"{path.name}: figure typed into {node.value[:80]!r}"


def test_every_shipped_seed_spread_holds_the_shipped_model_as_one_of_its_runs() -> None:
    shipped = {name: ContinuoModel(path).info.metadata for name, path in shipped_models().items()}
    for name, spread in shipped_artifacts().spreads.items():
        assert name in shipped, f"models/reports/{name}.seeds.json has no shipped model"
        first = spread["runs"][0]
        assert first["seed"] == shipped[name]["split_seed"]
        for field, score in shipped[name]["metrics"]["model"].items():
            assert first["model"][field]["top1"] == pytest.approx(score["top1"], abs=1e-6)
            assert first["model"][field]["bits"] == pytest.approx(score["bits"], abs=1e-6)
