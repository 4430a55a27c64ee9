"""BENCHMARKS.md is exactly what the committed result JSON gives, so no figure in it can drift or be typed.

Fast: no benchmark runs; the document is rendered from benchmarks/results/ and compared byte for byte.
"""

from __future__ import annotations

import copy
import difflib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from benchmarks import report
from benchmarks.document import GROWTH_TOLERANCE_MB, ONNX_P99_GOAL_MS, PLOT_FILES, SPEEDUP_GOAL, rows

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _newest() -> dict[str, Any]:
    return report.load(report.newest_full_run())


def test_document_is_what_the_newest_full_run_gives() -> None:
    newest = report.newest_full_run()
    expected = report.render_files(newest, report.DOCUMENT, report.PLOTS, draw=False)
    found = report.DOCUMENT.read_text()
    if found != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), found.splitlines(), "from the JSON", "BENCHMARKS.md", n=0, lineterm=""
        )
        pytest.fail(
            f"BENCHMARKS.md is not what {newest.name} gives (run `python -m benchmarks.report`):\n"
            + "\n".join(list(diff)[:12])
        )


def test_every_plot_exists_and_is_linked() -> None:
    text = report.DOCUMENT.read_text()
    for name in PLOT_FILES.values():
        assert f"](plots/{name})" in text, f"BENCHMARKS.md does not link plots/{name}"
        assert (report.PLOTS / name).read_bytes()[:8] == PNG_SIGNATURE, f"benchmarks/plots/{name} is not a PNG"


def _verdict(results: dict[str, Any], what: str) -> str:
    return next(row[4] for row in rows(results) if row[0].startswith(what))


def test_goal_verdicts_follow_the_figures() -> None:
    results = _newest()
    changed = copy.deepcopy(results)
    changed["inference"]["onnx_windowed"]["p99_ms"] = ONNX_P99_GOAL_MS * 0.9
    changed["inference"]["keras_predict"]["median_ms"] = changed["inference"]["onnx_windowed"]["median_ms"] * (
        SPEEDUP_GOAL + 1
    )
    assert _verdict(changed, "the ONNX step's tail").startswith("yes")
    assert _verdict(changed, "per-step inference").startswith("yes")
    changed["inference"]["onnx_windowed"]["p99_ms"] = ONNX_P99_GOAL_MS * 1.1
    changed["inference"]["keras_predict"]["median_ms"] = changed["inference"]["onnx_windowed"]["median_ms"] * (
        SPEEDUP_GOAL - 1
    )
    assert _verdict(changed, "the ONNX step's tail").startswith("**no**")
    assert _verdict(changed, "per-step inference").startswith("**no**")
    last = max((k for k in changed["memory"] if k.startswith("rss_mb_at_")), key=lambda k: float(k[10:-1]))
    first = min((k for k in changed["memory"] if k.startswith("rss_mb_at_")), key=lambda k: float(k[10:-1]))
    changed["memory"][last] = changed["memory"][first] + GROWTH_TOLERANCE_MB + 0.5
    assert _verdict(changed, "memory of `continuo play`").startswith("**no**")


def test_an_edited_figure_in_the_json_changes_the_document(tmp_path: Path) -> None:
    """The comparison above is only worth something if a changed figure shows: edit one, render again."""
    newest = report.newest_full_run()
    copied = tmp_path / newest.name
    shutil.copy(newest, copied)
    results = json.loads(newest.read_text())
    results["end_to_end"]["continuo"]["abs_error_ms"]["p99"] += 0.5
    copied.write_text(report.dumps(results))
    edited = report.render_files(copied, report.DOCUMENT, report.PLOTS, draw=False)
    assert edited != report.render_files(newest, report.DOCUMENT, report.PLOTS, draw=False)


def test_the_newest_full_run_is_chosen_by_its_name(tmp_path: Path) -> None:
    for name in ("2026-11-26.json", "2026-11-30T2359.json", "2026-12-01T0215.json", "2026-12-01T0300-quick.json"):
        (tmp_path / name).write_text("{}")
    assert report.newest_full_run(tmp_path).name == "2026-12-01T0215.json"
    with pytest.raises(SystemExit):
        report.newest_full_run(tmp_path / "nothing")


def test_a_result_without_raw_samples_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "2026-11-26.json"
    old.write_text(json.dumps({"inference": {"onnx_windowed": {}}}))
    with pytest.raises(SystemExit) as stopped:
        report.load(old)
    assert stopped.value.code == 2 and "no raw samples" in capsys.readouterr().err
