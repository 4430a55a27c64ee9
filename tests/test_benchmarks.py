"""The benchmark suite's --quick mode runs end to end, so its code never rots (its figures are not quoted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import scheduler_accuracy
from continuo.live.scheduler import SCHEDULER_PRIORITY
from tests.live.jack import require_jack

pytestmark = [pytest.mark.slow, pytest.mark.jack]
ROOT = Path(__file__).resolve().parents[1]


def test_quick_suite_runs_and_writes_every_section() -> None:
    require_jack()
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    saved = Path(result.stdout.strip().splitlines()[-1].rsplit(" ", 1)[-1])
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
    priorities = {f"fifo_{SCHEDULER_PRIORITY}", f"fifo_{scheduler_accuracy.PRIORITY_BEFORE}"}
    assert set(by_priority) == priorities and all(stats["n"] == 40 for stats in by_priority.values())
