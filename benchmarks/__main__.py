"""The benchmark suite: `python -m benchmarks [--quick]`.

Prints the figures, writes benchmarks/results/<start>.json (named by the minute the run started, e.g.
2026-12-01T0215.json) and renders BENCHMARKS.md and its plots from it (benchmarks/report.py). With
--quick, which CI runs so the code never rots, the file ends in -quick.json and the document and plots
go to a temporary folder: its small samples are not figures to quote. Every comparison is measured side
by side in one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.document import rows

RESULTS = Path(__file__).parent / "results"
FULL = {"scheduler_events": 3000, "priority_events": 1000, "inference_repeats": 2000, "cold_repeats": 5,
        "train_steps": 40, "generate_events": 5000, "end_to_end_s": 60.0, "memory_s": (60.0, 600.0),
        "part_minutes": 1.0, "take_messages": 72_000}  # fmt: skip
QUICK = {"scheduler_events": 200, "priority_events": 40, "inference_repeats": 200, "cold_repeats": 1,
         "train_steps": 4, "generate_events": 300, "end_to_end_s": 8.0, "memory_s": (5.0, 10.0), "part_minutes": 0.02,
         "take_messages": 5_000}  # fmt: skip


def _shipped_training_minutes() -> dict[str, float]:
    from continuo.live.model.model_file import ContinuoModel, shipped_models

    return {
        name: round(ContinuoModel(path).info.metadata["training"]["train_seconds"] / 60, 1)
        for name, path in sorted(shipped_models().items())
    }


def run_suite(sizes: dict[str, Any]) -> dict[str, Any]:
    from benchmarks import (
        cold_start,
        end_to_end,
        generation,
        inference,
        long_takes,
        memory,
        scheduler_accuracy,
        training_throughput,
    )

    results: dict[str, Any] = {}
    memory_result: dict[str, Any] = {}
    recording_result: dict[str, Any] = {}
    # The memory probes only sleep between readings of a playing engine: they run beside the rest.
    probes = [
        threading.Thread(target=lambda: memory_result.update(memory.run(sizes["memory_s"]))),
        threading.Thread(target=lambda: recording_result.update(memory.run(sizes["memory_s"], sizes["part_minutes"]))),
    ]
    for probe in probes:
        probe.start()
    steps = [
        ("scheduler_accuracy", lambda: scheduler_accuracy.run(sizes["scheduler_events"], sizes["priority_events"])),
        ("inference", lambda: inference.run(sizes["inference_repeats"])),
        ("cold_start", lambda: cold_start.run(sizes["cold_repeats"])),
        ("training_throughput", lambda: training_throughput.run(sizes["train_steps"])),
        ("offline_generation", lambda: generation.run(sizes["generate_events"])),
        ("end_to_end", lambda: end_to_end.run(sizes["end_to_end_s"])),
        ("long_takes", lambda: long_takes.run(sizes["take_messages"])),
    ]
    for name, step in steps:
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        results[name] = step()
        results[name]["benchmark_seconds"] = round(time.perf_counter() - started, 1)
    for probe in probes:
        probe.join()
    results["memory"] = memory_result
    results["memory_recording_in_parts"] = recording_result
    results["training_wall_minutes_per_shipped_model"] = _shipped_training_minutes()
    return results


def machine_facts() -> dict[str, Any]:
    import subprocess

    from continuo.live.midi_io.jack_server import PERIOD, SAMPLE_RATE

    version = subprocess.run(["jackd", "--version"], capture_output=True, text=True, timeout=10).stdout.split()
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    memory_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kb / 2**20, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
        # jackd prints "jackdmp version 1.9.21 tmpdir ...": the word after "version".
        "jack": {"version": version[version.index("version") + 1] if "version" in version else "unknown",
                 "driver": "dummy", "sample_rate": SAMPLE_RATE, "period_frames": PERIOD},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description="Continuo's benchmark suite")
    parser.add_argument("--quick", action="store_true", help="small samples, about 2 minutes (CI)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    results: dict[str, Any] = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load_average_at_start": os.getloadavg(),
        "machine": machine_facts(),
    }
    started = time.perf_counter()
    results |= run_suite(sizes)
    results["suite_seconds"] = round(time.perf_counter() - started, 1)
    results["quick"] = args.quick
    results["sizes"] = sizes
    results["load_average_at_end"] = os.getloadavg()
    results["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"{report.stamp(results['started'])}{'-quick' if args.quick else ''}.json"
    target.write_text(report.dumps(results))
    # A full run renders BENCHMARKS.md and its plots; a quick one renders into a temporary folder, so the
    # rendering and plotting code runs in CI without its small samples reaching the document.
    folder = Path(tempfile.mkdtemp(prefix="continuo-bench-")) if args.quick else None
    document = folder / "BENCHMARKS.md" if folder else report.DOCUMENT
    plots = folder / "plots" if folder else report.PLOTS
    document.write_text(report.render_files(target, document, plots))
    for what, continuo, other, goal, met in rows(results):
        print(f"{what}: {continuo}" + (f" | {other}" if other else "") + (f" | {goal}: {met}" if goal else ""))
    print(f"suite took {results['suite_seconds']:.0f} s")
    print(f"rendered {document}")
    print(f"saved {target}")


if __name__ == "__main__":
    main()
