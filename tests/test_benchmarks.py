"""The benchmark suite's --quick mode runs end to end, so its code never rots (its figures are not quoted):
every section, the raw samples the plots need, and the rendering of a document and its plots."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import scheduler_accuracy
from benchmarks.document import PLOT_FILES
from continuo.live.priority import SCHEDULER_PRIORITY
from tests.live.jack import require_jack

pytestmark = [pytest.mark.slow, pytest.mark.jack]
ROOT = Path(__file__).resolve().parents[1]


def _printed(stdout: str, prefix: str) -> Path:
    return Path(next(line for line in stdout.splitlines() if line.startswith(prefix)).split(" ", 1)[1])


def test_quick_suite_runs_and_writes_every_section() -> None:
    require_jack()
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    saved = _printed(result.stdout, "saved ")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{4}-quick\.json", saved.name), saved.name
    report = json.loads(saved.read_text())
    sections = {"scheduler_accuracy", "inference", "cold_start", "training_throughput", "offline_generation"}
    assert sections | {"end_to_end", "memory", "memory_recording_in_parts", "long_takes"} <= set(report)
    assert report["memory_recording_in_parts"]["parts_written"] >= 2
    hour = report["long_takes"]["hour_of_take"]
    assert hour["as_bytes"]["bytes_per_message"] < hour["as_mido_objects"]["bytes_per_message"]
    assert report["quick"] is True
    assert report["inference"]["onnx_windowed"]["median_ms"] < report["inference"]["keras_predict"]["median_ms"]
    assert report["end_to_end"]["continuo"]["notes"] > 5
    by_priority = report["scheduler_accuracy"]["with_busy_neighbour_by_priority"]
    priorities = {f"fifo_{SCHEDULER_PRIORITY}", f"fifo_{scheduler_accuracy.ABOVE_JACK_PRIORITY}"}
    assert set(by_priority) == priorities and all(stats["n"] == 40 for stats in by_priority.values())

    # The raw samples behind the plots: one per step, note and reading, as many as the summaries count.
    inference = report["inference"]
    for side in ("keras_predict", "onnx_windowed"):
        assert len(inference["samples_ms"][side]) == inference[side]["n"]
    for side in ("continuo", "naive_sleep_loop"):
        assert len(report["end_to_end"][side]["error_samples_ms"]) == report["end_to_end"][side]["notes"]
    for probe in ("memory", "memory_recording_in_parts"):
        series = report[probe]["rss_series"]
        assert len(series["seconds"]) == len(series["rss_mb"]) >= 10 and min(series["rss_mb"]) > 0
    machine = report["machine"]
    assert machine["jack"]["version"] != "unknown" and machine["cpus"] >= 1
    assert len(report["load_average_at_start"]) == len(report["load_average_at_end"]) == 3

    # A quick run renders its document and plots into a temporary folder, never over BENCHMARKS.md.
    document = _printed(result.stdout, "rendered ")
    assert document.parent != ROOT / "benchmarks"
    text = document.read_text()
    assert "A `--quick` run" in text and f"results/{saved.name}" in text
    for name in PLOT_FILES.values():
        plot = document.parent / "plots" / name
        assert f"](plots/{name})" in text and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
