"""The benchmark suite: `python -m benchmarks [--quick]`.

Prints a table and writes benchmarks/results/<date>.json (<date>-quick.json with --quick, which CI
runs so the code never rots; its small samples are not figures to quote). Every comparison is
measured side by side in one run; BENCHMARKS.md says what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
FULL = {"scheduler_events": 3000, "priority_events": 1000, "inference_repeats": 2000, "cold_repeats": 5,
        "train_steps": 40, "generate_events": 5000, "end_to_end_s": 60.0, "memory_s": (60.0, 600.0),
        "part_minutes": 1.0, "take_messages": 72_000}  # fmt: skip
QUICK = {"scheduler_events": 200, "priority_events": 40, "inference_repeats": 200, "cold_repeats": 1,
         "train_steps": 4, "generate_events": 300, "end_to_end_s": 8.0, "memory_s": (5.0, 10.0), "part_minutes": 0.02,
         "take_messages": 5_000}  # fmt: skip


def _shipped_training_minutes() -> dict[str, float]:
    from continuo.live.model_file import ContinuoModel, shipped_models

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


def _ms(stats: dict[str, float], digits: int = 3) -> str:
    return (
        f"median {stats['median_ms']:.{digits}f} ms, p99 {stats['p99_ms']:.{digits}f}, max {stats['max_ms']:.{digits}f}"
    )


def _onsets(stats: dict[str, Any]) -> str:
    error, drift = stats["abs_error_ms"], stats["drift_ms"]
    return f"p50 {error['p50']:.2f} ms, p99 {error['p99']:.2f} ms, last note {drift['last_note']:+.2f} ms"


def _rss(found: dict[str, Any]) -> str:
    rss = {k.removeprefix("rss_mb_at_"): v for k, v in found.items() if k.startswith("rss_mb_at_")}
    return ", ".join(f"{k}: {v} MB" for k, v in rss.items())


def table(results: dict[str, Any]) -> list[str]:
    inf, sch, cold = results["inference"], results["scheduler_accuracy"], results["cold_start"]
    train, e2e, gen = results["training_throughput"], results["end_to_end"], results["offline_generation"]
    long_run = results["memory"]["send_lateness_over_run"]
    takes = results["long_takes"]
    engine, hour, wake = takes["engine"], takes["hour_of_take"], takes["wake_lateness"]
    one, many = train["seed_one_target"]["targets_per_s"], train["continuo_many_to_many"]["targets_per_s"]
    rows = [
        ("per-step inference, Keras predict (seed)", _ms(inf["keras_predict"], 2)),
        ("per-step inference, ONNX windowed", _ms(inf["onnx_windowed"])),
        ("  ratio of medians", f"{inf['ratio_median']:.0f}x"),
        ("scheduler send error, alone", _ms(sch["alone"])),
        ("scheduler send error, busy neighbour", _ms(sch["with_busy_neighbour"])),
        *(
            (f"  at SCHED_FIFO {name.removeprefix('fifo_')}", _ms(stats))
            for name, stats in sch["with_busy_neighbour_by_priority"].items()
        ),
        ("port onset error, continuo", _onsets(e2e["continuo"])),
        ("port onset error, naive sleep loop", _onsets(e2e["naive_sleep_loop"])),
        ("import live vs tensorflow", f"{cold['import_live_s']:.2f} s vs {cold['import_tensorflow_s']:.2f} s"),
        ("process start to first note", f"{cold['process_start_to_first_note_s']:.2f} s"),
        ("memory of continuo play (JACK port)", _rss(results["memory"])),
        ("  recording in parts", _rss(results["memory_recording_in_parts"])),
        (
            "  send lateness, first vs last tenth",
            f"{long_run['first_tenth_mean_ms']:.3f} vs {long_run['last_tenth_mean_ms']:.3f} ms, "
            f"p99 {long_run['p99_ms']:.3f} ms over {long_run['notes']} notes",
        ),
        ("training targets/s, one target vs many-to-many", f"{one:.0f} vs {many:.0f} ({train['targets_ratio']:.1f}x)"),
        ("offline generation", f"{gen['events_per_s']:.0f} events/s"),
        (
            "full GC, engine loaded vs after gc.freeze",
            f"{engine['full_collection']['first_ms']:.2f} vs {engine['after_freeze']['first_ms']:.3f} ms",
        ),
        (
            f"hour of take ({takes['messages_in_an_hour']} msgs), objects vs bytes",
            f"{hour['as_mido_objects']['bytes_per_message']:.0f} vs {hour['as_bytes']['bytes_per_message']:.0f} B/msg, "
            f"full GC {hour['as_mido_objects']['full_collection']['first_ms']:.2f} vs "
            f"{hour['as_bytes']['full_collection']['first_ms']:.3f} ms",
        ),
        (
            "5 ms waker lateness, idle vs part written",
            f"max {wake['idle']['max_ms']:.2f} vs {wake['while_a_part_is_written']['max_ms']:.2f} ms "
            f"(write {takes['part_write_seconds']:.2f} s)",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    return [f"{name:<{width}}  {value}" for name, value in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description="Continuo's benchmark suite")
    parser.add_argument("--quick", action="store_true", help="small samples, about 2 minutes (CI)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    results = run_suite(sizes)
    results["suite_seconds"] = round(time.perf_counter() - started, 1)
    results["quick"] = args.quick
    results["sizes"] = sizes
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()}
    results["load_average_at_end"] = os.getloadavg()
    results["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"{results['date'][:10]}{'-quick' if args.quick else ''}.json"
    target.write_text(json.dumps(results, indent=2) + "\n")
    print("\n".join(table(results)))
    print(f"suite took {results['suite_seconds']:.0f} s; saved {target}")


if __name__ == "__main__":
    main()
