"""BENCHMARKS.md's PipeWire section: every figure from the result, the goal's verdict from the figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.pipewire_timing import draw, section

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def setup(p99: float) -> dict[str, Any]:
    error = {"p1": 0.5, "p50": 1.0, "p90": 1.5, "p99": p99, "max": p99 + 0.25}
    return {"notes": 3, "heard": 3, "paired": 3, "error_ms": error, "samples_ms": [0.5, 1.0, p99], "witness": {}}


def result() -> dict[str, Any]:
    return {
        "bpm": 150.0, "seed": 3, "seconds": 20.0, "p99_goal_ms": 2.0,
        "setups": {
            "jack": setup(1.5), "pipewire, its own quantum": setup(20.75), "pipewire, Continuo's quantum": setup(2.0),
        },
        "machine": {"date": "2026-12-06T05:00+00:00", "cores": 2, "cpu": "a CPU"},
    }  # fmt: skip


def test_the_section_shows_each_setups_figures_and_the_goal_verdict(tmp_path: Path) -> None:
    text = "\n".join(section(result(), "plots"))
    assert "| jack | 3 | 3 | 0.50 | 1.00 | 1.50 | 1.50 | 1.75 | yes |" in text
    assert "| pipewire, its own quantum | 3 | 3 | 0.50 | 1.00 | 1.50 | 20.75 | 21.00 | **no**: 20.75 ms |" in text
    assert "| pipewire, Continuo's quantum | 3 | 3 | 0.50 | 1.00 | 1.50 | 2.00 | 2.25 | yes |" in text  # at the goal
    assert "](plots/pipewire-timing.png)" in text and "150 BPM, seed 3, 20 s" in text
    draw(result(), tmp_path / "pipewire-timing.png")
    assert (tmp_path / "pipewire-timing.png").read_bytes()[:8] == PNG_SIGNATURE
