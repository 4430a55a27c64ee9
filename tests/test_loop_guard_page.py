"""docs/loop-guard.md is what benchmarks/results/loop-guard.json renders, and the JSON holds every model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.loop_guard import PAGE, RESULTS, render
from continuo.live.model.model_file import shipped_models


def test_the_page_is_rendered_from_the_committed_results() -> None:
    result = subprocess.run([sys.executable, "-m", "benchmarks.loop_guard", "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_results_cover_every_shipped_model_and_a_changed_figure_changes_the_page(tmp_path: Path) -> None:
    results = json.loads(RESULTS.read_text())
    assert sorted(results["recoveries"]) == sorted(shipped_models())
    name = next(iter(results["recoveries"]))
    results["recoveries"][name]["1"][0] += 1
    assert render(results) != PAGE.read_text()
