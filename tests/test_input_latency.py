"""The input-latency benchmark's pieces that need no JACK server: the stream, the matching of what each reader
heard to what was sent, and BENCHMARKS.md's section rendered from a small synthetic result.

The benchmark itself (benchmarks/input_latency.py) starts a JACK server and runs for about a minute; it is run
by hand under the machine's CPU lock, and its committed JSON is what BENCHMARKS.md shows
(tests/test_benchmarks_document.py compares the two).
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

from benchmarks.document import render
from benchmarks.input_latency import measure, performance
from benchmarks.input_latency_report import draw, section

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_stream_is_seeded_fast_irregular_and_every_message_is_told_apart_by_its_bytes() -> None:
    score = performance(2000, rate=100.0, seed=7)
    assert score == performance(2000, rate=100.0, seed=7) and score != performance(2000, rate=100.0, seed=8)
    assert len(score) == 2000 and len({tuple(data) for _, data in score}) == 2000
    assert [at for at, _ in score] == sorted(at for at, _ in score)
    assert 80 < len(score) / score[-1][0] < 120  # about 100 messages a second
    gaps = [later - earlier for (earlier, _), (later, _) in pairwise(score)]
    assert min(gaps) < 0.001 and max(gaps) > 0.03  # near-chords and pauses, not a metronome
    assert sum(data[0] == 0x90 for _, data in score) == sum(data[0] == 0x80 for _, data in score) == 1000


def test_each_message_is_matched_to_its_send_and_a_lost_one_counts_as_not_heard() -> None:
    score = [(0.0, [0x90, 60, 90]), (0.01, [0x80, 60, 90]), (0.02, [0x90, 62, 80])]
    sent = [10.0, 10.01, 10.02]
    queued = [(10.001, [0x90, 60, 90], 10.0015), (10.011, [0x80, 60, 90], 10.012), (10.021, [0x90, 62, 80], 10.0215)]
    callback = [(10.0012, [0x90, 60, 90], 10.0012), (10.0212, [0x90, 62, 80], 10.0212), (10.03, [0xB0, 1, 2], 10.03)]
    found = measure(score, sent, {"queued": queued, "callback": callback})
    q, c = found["readers"]["queued"], found["readers"]["callback"]
    assert found["sent"] == 3 and (q["heard"], c["heard"], q["unknown"], c["unknown"]) == (3, 2, 0, 1)
    assert q["stamp_minus_send_ms"]["max"] == 1.0 and q["in_hand_minus_send_ms"]["max"] == 2.0
    assert q["in_hand_minus_stamp_ms"]["p50"] == 0.5 and "in_hand_minus_stamp_ms" not in c
    assert q["stamp_minus_callback_stamp_ms"]["min"] == -0.2  # only the two messages both heard
    assert c["in_hand_minus_send_samples_ms"] == [1.2, 1.2]


def synthetic() -> dict[str, Any]:
    def reader(heard: int, in_hand: float) -> dict[str, Any]:
        stats = {"min": 0.1, "p50": in_hand, "p90": in_hand + 0.25, "p99": in_hand + 0.5, "max": in_hand + 2.0}
        return {
            "heard": heard, "unknown": 0, "stamp_minus_send_ms": stats, "in_hand_minus_send_ms": stats,
            "in_hand_minus_stamp_ms": stats, "in_hand_minus_send_samples_ms": [in_hand, in_hand + 0.5],
            "stamp_minus_callback_stamp_ms": stats,
        }  # fmt: skip

    def phase(callback_heard: int, late: dict[str, int]) -> dict[str, Any]:
        queued = reader(2, 1.375) | {
            "chain_corrections": {"messages": 2, "corrected": 1, "largest_correction_ms": 0.5, "realtime_poll": True}
        }
        return {"sent": 2, "readers": {"queued": queued, "callback": reader(callback_heard, 0.875)},
                "late_clients": late, "load_1min": [0.5, 1.75], "steal_s": 0.25}  # fmt: skip

    return {
        "messages": 2, "rate_per_s": 100.0, "seed": 7, "seconds": 0.5, "poll_ms": 1.0,
        "jack": {"sample_rate": 48000, "period_frames": 64}, "neighbour_processes": 2,
        "phases": {"quiet": phase(2, {}), "busy": phase(1, {"busy-callback": 3})},
        "machine": {"date": "2026-12-06T04:00+00:00", "cores": 2, "cpu": "a CPU"},
    }  # fmt: skip


def test_the_section_shows_every_figure_from_the_result(tmp_path: Path) -> None:
    text = "\n".join(section(synthetic(), "plots"))
    assert text.startswith("## Input: what reading without a callback costs")
    assert "median +0.500 ms and p99 +0.500 ms against the callback" in text  # 1.375 - 0.875, the p99s likewise
    assert "| quiet | 2 | 2 | 2 | none | 0.50 → 1.75 | 0.25 s |" in text
    assert "| busy | 2 | 2 | 1 | busy-callback: 3 |" in text
    assert "0.100 / 1.375 / 1.625 / 1.875 / 3.375" in text and "1.33 ms" in text and "every 1 ms" in text
    assert "beside the busy neighbour 1 of 2 (largest 0.500 ms)" in text
    assert "](plots/input-latency.png)" in text and "Some polls waited for the CPU" in text  # 3.375 ms > 2 polls
    calm = synthetic()
    for found in calm["phases"].values():
        found["readers"]["queued"]["in_hand_minus_stamp_ms"]["max"] = 1.25
    calm_text = "\n".join(section(calm, "plots"))
    assert "No poll waited for the CPU: the polling thread ran at its real-time priority" in calm_text
    assert "in hand − stamp stayed within 1.250 ms." in calm_text
    calm["phases"]["busy"]["readers"]["queued"]["chain_corrections"]["realtime_poll"] = False
    assert "at normal priority (the system refused a real-time one)" in "\n".join(section(calm, "plots"))
    draw(synthetic(), tmp_path / "input-latency.png")
    assert (tmp_path / "input-latency.png").read_bytes()[:8] == PNG_SIGNATURE


def test_the_section_is_in_the_document_only_when_there_is_a_result() -> None:
    from benchmarks import report

    results = report.load(report.newest_full_run())
    without = render(results, "run.json", "plots", [])
    with_it = render(results, "run.json", "plots", [], None, synthetic())
    assert "## Input:" not in without and "## Input: what reading without a callback costs" in with_it
    assert with_it.index("## Input:") < with_it.index("## Committed runs")
