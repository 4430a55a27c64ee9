"""The words of BENCHMARKS.md: every figure read from a result JSON, every verdict computed from figures.

Nothing here holds a measured number. The goals are the only numbers typed in this module, and whether
each is met is judged from the run's figures, so a missed goal reads as missed.
"""

from __future__ import annotations

from typing import Any

from benchmarks.methods import notes

SPEEDUP_GOAL = 50  # the ONNX step at least this many times faster than Keras `predict`, median against median
ONNX_P99_GOAL_MS = 1.0
DRIFT_TOLERANCE_MS = 0.1  # the last tenth's mean send lateness may exceed the first tenth's by this much
GROWTH_TOLERANCE_MB = 1.0  # RSS may grow this much from the first memory checkpoint to the last
SUITE_GOAL_MINUTES = 15
PLOT_FILES = {"onsets": "onset-error.png", "inference": "inference-time.png", "memory": "memory-rss.png"}


def _n(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def _verdict(ok: bool, detail: str) -> str:
    return f"yes: {detail}" if ok else f"**no**: {detail}"


def _stats(found: dict[str, Any], digits: int = 3) -> str:
    return ", ".join(f"{k} {found[f'{k}_ms']:.{digits}f}" for k in ("median", "p99", "max")) + " ms"


def _onsets(found: dict[str, Any], digits: int) -> str:
    error, drift = found["abs_error_ms"], found["drift_ms"]
    return (
        f"p50 {error['p50']:.{digits}f} ms, p99 {error['p99']:.{digits}f} ms, "
        f"last note {drift['last_note']:+.{digits}f} ms"
    )


def rss_checkpoints(found: dict[str, Any]) -> list[tuple[float, float]]:
    """(seconds, MB) at each checkpoint of a memory probe, in time order."""
    points = [(float(k[len("rss_mb_at_") : -1]), v) for k, v in found.items() if k.startswith("rss_mb_at_")]
    return sorted(points)


def minutes_text(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def _rss(found: dict[str, Any]) -> tuple[str, str]:
    points = rss_checkpoints(found)
    growth = points[-1][1] - points[0][1]
    text = ", ".join(f"{mb:.1f} MB after {minutes_text(at)}" for at, mb in points)
    ok = growth <= GROWTH_TOLERANCE_MB
    return text, _verdict(ok, f"{growth:+.1f} MB")


def _drift(found: dict[str, Any]) -> tuple[str, bool, float]:
    late = found["send_lateness_over_run"]
    rise = late["last_tenth_mean_ms"] - late["first_tenth_mean_ms"]
    text = (
        f"first tenth {late['first_tenth_mean_ms']:.3f} ms, last tenth {late['last_tenth_mean_ms']:.3f} ms, "
        f"p99 {late['p99_ms']:.3f} ms"
    )
    return text, rise <= DRIFT_TOLERANCE_MS, rise


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(what, Continuo, the other side, goal, met?) for the table."""
    inf, sch, cold = results["inference"], results["scheduler_accuracy"], results["cold_start"]
    e2e, memory, parts = results["end_to_end"], results["memory"], results["memory_recording_in_parts"]
    train, gen, takes = results["training_throughput"], results["offline_generation"], results["long_takes"]
    onnx, keras = inf["onnx_windowed"], inf["keras_predict"]
    # Ratios from the figures the table shows, not the ones stored beside them, so the two cannot disagree.
    speedup = keras["median_ms"] / onnx["median_ms"]
    slower_import = cold["import_tensorflow_s"] / cold["import_live_s"]
    fifo = sorted(sch["with_busy_neighbour_by_priority"].items(), key=lambda item: int(item[0].split("_")[1]))
    (own_name, own), (above_name, above) = fifo[0], fifo[-1]
    cost = own["p99_ms"] - above["p99_ms"]
    drift_text, drift_ok, rise = _drift(memory)
    parts_drift_text, parts_drift_ok, parts_rise = _drift(parts)
    rss_text, rss_met = _rss(memory)
    parts_rss_text, parts_rss_met = _rss(parts)
    engine, hour, wake = takes["engine"], takes["hour_of_take"], takes["wake_lateness"]
    writing = wake["while_a_part_is_written"]
    many, one = train["continuo_many_to_many"], train["seed_one_target"]
    more_targets = many["targets_per_s"] / one["targets_per_s"]
    minutes = results["suite_seconds"] / 60
    shipped = results["training_wall_minutes_per_shipped_model"]
    return [
        (f"per-step inference, {inf['window']}-event window (1)",
         f"ONNX: median {onnx['median_ms']:.3f} ms, p99 {onnx['p99_ms']:.3f} ms",
         f"Keras `model.predict`: median {keras['median_ms']:.2f} ms, p99 {keras['p99_ms']:.2f} ms",
         f"ONNX ≥ {SPEEDUP_GOAL}× faster than Keras (medians)",
         _verdict(speedup >= SPEEDUP_GOAL, f"{speedup:.0f}×")),
        ("the ONNX step's tail (1)", f"p99 {onnx['p99_ms']:.3f} ms, max {onnx['max_ms']:.3f} ms, {_n(onnx['n'])} steps",
         "", f"ONNX p99 ≤ {ONNX_P99_GOAL_MS:g} ms",
         _verdict(onnx["p99_ms"] <= ONNX_P99_GOAL_MS, f"{onnx['p99_ms']:.2f} ms")),
        (f"scheduler send error, {sch['bpm']:g} BPM sixteenths, {_n(sch['events_each'])} note-ons (2)",
         f"alone: {_stats(sch['alone'])}", f"beside a busy neighbour: {_stats(sch['with_busy_neighbour'])}", "", ""),
        (f"the same beside the neighbour by real-time priority, {_n(sch['priority_events_each'])} note-ons each (2)",
         f"SCHED_FIFO {own_name.split('_')[1]} (the scheduler's): {_stats(own)}",
         f"SCHED_FIFO {above_name.split('_')[1]} (above JACK's threads): {_stats(above)}",
         "the scheduler's priority costs nothing at p99",
         _verdict(cost <= 0, f"p99 {cost:+.3f} ms")),
        (f"drift over a {minutes_text(rss_checkpoints(memory)[-1][0])} play, "
         f"{_n(memory['send_lateness_over_run']['notes'])} note-ons (2)", f"send lateness {drift_text}",
         f"recording in parts: {parts_drift_text}", f"no drift: last tenth ≤ first tenth + {DRIFT_TOLERANCE_MS:g} ms",
         f"{_verdict(drift_ok, f'{rise:+.3f} ms')}; in parts {_verdict(parts_drift_ok, f'{parts_rise:+.3f} ms')}"),
        (f"onset error at a reading client, {e2e['seconds']:g} s at {e2e['bpm']:g} BPM, "
         f"{_n(e2e['continuo']['notes'])} notes (3)", _onsets(e2e["continuo"], 2),
         f"naive `time.sleep(shift)` loop: {_onsets(e2e['naive_sleep_loop'], 0)}", "", ""),
        ("cold start (4)", f"import of the live side {cold['import_live_s']:.2f} s; process start to first note "
         f"{cold['process_start_to_first_note_s']:.2f} s",
         f"`import tensorflow` {cold['import_tensorflow_s']:.2f} s ({slower_import:.1f}×)", "", ""),
        ("memory of `continuo play` on a JACK port (5)", f"RSS {rss_text}", "",
         f"no growth: ≤ {GROWTH_TOLERANCE_MB:g} MB", rss_met),
        (f"the same, recording in parts ({parts['parts_written']} written) (5)", f"RSS {parts_rss_text}", "",
         f"no growth in parts: ≤ {GROWTH_TOLERANCE_MB:g} MB", parts_rss_met),
        (f"training throughput, {many['steps']} steps of the same batches (6)",
         f"many-to-many: {_n(many['targets_per_s'])} targets/s",
         f"one target per window (seed): {_n(one['targets_per_s'])} targets/s ({more_targets:.1f}×)", "", ""),
        ("wall time to train each shipped model (6)",
         ", ".join(f"{name} {value:g} min" for name, value in sorted(shipped.items(), key=lambda item: -item[1])),
         "", "", ""),
        (f"offline generation, {_n(gen['events'])} events (7)", f"{_n(gen['events_per_s'])} events/s", "", "", ""),
        ("a full garbage collection, the engine loaded (8)",
         f"after `gc.freeze()`: {engine['after_freeze']['first_ms']:.3f} ms",
         f"without: {engine['full_collection']['first_ms']:.2f} ms", "", ""),
        (f"one hour of take held, {_n(takes['messages_in_an_hour'])} messages (8)",
         f"as bytes: {hour['as_bytes']['bytes_per_message']:.0f} B a message, full collection "
         f"{hour['as_bytes']['full_collection']['first_ms']:.3f} ms",
         f"as `mido.Message` objects: {hour['as_mido_objects']['bytes_per_message']:.0f} B, "
         f"{hour['as_mido_objects']['full_collection']['first_ms']:.2f} ms", "", ""),
        (f"{takes['waker_period_ms']:g} ms waker lateness while a part is written "
         f"({takes['part_write_seconds']:.2f} s) (8)",
         f"max {writing['max_ms']:.2f} ms, p99 {writing['p99_ms']:.2f} ms",
         f"no part being written: max {wake['idle']['max_ms']:.3f} ms", "", ""),
        ("the whole suite", f"{minutes:.1f} min", "", f"the suite ≤ {SUITE_GOAL_MINUTES} min",
         _verdict(minutes <= SUITE_GOAL_MINUTES, f"{minutes:.1f} min")),
    ]  # fmt: skip


def _table(results: dict[str, Any]) -> list[str]:
    lines = ["| what | Continuo | the other side | goal | met? |", "|---|---|---|---|---|"]
    return lines + ["| " + " | ".join(cell or "—" for cell in row) + " |" for row in rows(results)]


def _machine(results: dict[str, Any]) -> list[str]:
    machine, jack = results["machine"], results["machine"]["jack"]
    start, end = results["load_average_at_start"], results["load_average_at_end"]
    load = results["memory"]["rss_series"]["load_1min"]
    period = jack["period_frames"] / jack["sample_rate"] * 1000
    return [
        f"- {machine['cpus']} cores, {machine['memory_gib']:.0f} GiB, Python {machine['python']}, "
        f"`{machine['system']}`, no sound card.",
        f"- JACK {jack['version']} on the {jack['driver']} driver, {_n(jack['sample_rate'])} Hz, "
        f"{jack['period_frames']}-frame periods: events reach a port on a {period:.2f} ms grid.",
        f"- Load average (1, 5, 15 min): {', '.join(f'{v:.2f}' for v in start)} when the suite started, "
        f"{', '.join(f'{v:.2f}' for v in end)} when it ended; the 1-minute figure ranged {min(load):.2f} to "
        f"{max(load):.2f} during the memory probe. The suite's own processes count in it (its two memory probes "
        "play beside every other benchmark); what else ran is not recorded.",
        f"- Started {results['started'][:16].replace('T', ' ')} UTC, took {results['suite_seconds'] / 60:.1f} min.",
    ]


def _earlier(runs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """A few headline figures of every committed full run: how much they move between runs and machines."""

    def cell(found: dict[str, Any], *keys: str, digits: int = 2) -> str:
        for key in keys:
            if not isinstance(found, dict) or key not in found:
                return "—"
            found = found[key]
        return f"{found:.{digits}f}" if isinstance(found, float | int) else "—"

    lines = [
        "| run | ONNX p99 ms | Keras ÷ ONNX | scheduler p99 alone ms | onset p99 at the port ms | "
        "naive loop, last note ms | suite min | load at end (1 min) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, found in runs:
        load = found.get("load_average_at_end") or ["—"]
        lines.append(
            f"| {name} | {cell(found, 'inference', 'onnx_windowed', 'p99_ms')} | "
            f"{cell(found, 'inference', 'ratio_median', digits=0)} | "
            f"{cell(found, 'scheduler_accuracy', 'alone', 'p99_ms', digits=3)} | "
            f"{cell(found, 'end_to_end', 'continuo', 'abs_error_ms', 'p99')} | "
            f"{cell(found, 'end_to_end', 'naive_sleep_loop', 'drift_ms', 'last_note', digits=0)} | "
            f"{found['suite_seconds'] / 60:.1f} | {load[0] if isinstance(load[0], str) else f'{load[0]:.2f}'} |"
        )
    return lines


def _plots(results: dict[str, Any], link: str) -> list[str]:
    e2e, inf = results["end_to_end"], results["inference"]
    return [
        f"![Onset error at the reading client]({link}/{PLOT_FILES['onsets']})",
        "",
        f"How far from its intended time each note reached a reading client ({_n(e2e['continuo']['notes'])} notes "
        f"from Continuo, {_n(e2e['naive_sleep_loop']['notes'])} from the naive loop; log scale).",
        "",
        f"![Inference time per step]({link}/{PLOT_FILES['inference']})",
        "",
        f"Time of one generation step, ONNX ({_n(inf['onnx_windowed']['n'])} steps) beside Keras `model.predict` "
        f"({_n(inf['keras_predict']['n'])} steps); log scale.",
        "",
        f"![Memory over the run]({link}/{PLOT_FILES['memory']})",
        "",
        "RSS of the two `continuo play` processes of the memory probe (one recording in parts), read as they "
        "played: from zero on the left, close up on the right.",
    ]


def _in_short(results: dict[str, Any]) -> str:
    e2e, inf = results["end_to_end"], results["inference"]
    missed = [row[3] for row in rows(results) if "**no**" in row[4]]
    goals = f"Goals missed in this run: {'; '.join(missed)}." if missed else "Every goal below was met in this run."
    return (
        f"In short: Continuo's notes reached a reading client within {e2e['continuo']['abs_error_ms']['p99']:.2f} ms "
        f"of their time (p99) over {e2e['seconds']:g} s, where a naive sleep loop was "
        f"{e2e['naive_sleep_loop']['drift_ms']['last_note']:.0f} ms late by its last note; one model step took "
        f"{inf['onnx_windowed']['median_ms']:.2f} ms (median) against {inf['keras_predict']['median_ms']:.0f} ms "
        f"with Keras `model.predict`. {goals}"
    )


def render(
    results: dict[str, Any],
    source: str,
    plots_link: str,
    earlier: list[tuple[str, dict[str, Any]]],
    soak: dict[str, Any] | None = None,
    input_latency: dict[str, Any] | None = None,
    pipewire_timing: dict[str, Any] | None = None,
) -> str:
    """The document; `soak` (results/soak.json, a standalone run of benchmarks/soak.py) adds its section,
    `input_latency` (results/input-latency.json, from benchmarks/input_latency.py) its own, and
    `pipewire_timing` (results/pipewire-timing.json, from benchmarks/pipewire_timing.py) its own."""
    from benchmarks import input_latency_report
    from benchmarks.pipewire_timing import section as pipewire_section
    from benchmarks.soak_report import section

    standalone = [*section(soak, plots_link), ""] if soak is not None else []
    if input_latency is not None:
        standalone += [*input_latency_report.section(input_latency, plots_link), ""]
    if pipewire_timing is not None:
        standalone += [*pipewire_section(pipewire_timing, plots_link), ""]
    quick = ["", "**A `--quick` run: small samples, not figures to quote.**"] if results.get("quick") else []
    lines = [
        "# Continuo benchmarks",
        "",
        f"Generated by `python -m benchmarks.report` from `results/{source}`; do not edit by hand (a test "
        "compares this file with what the JSON gives). Every comparison was measured side by side in that one run; the "
        "training wall times are read from the shipped models' metadata.",
        *quick,
        "",
        _in_short(results),
        "",
        *_table(results),
        "",
        "## Pictures",
        "",
        *_plots(results, plots_link),
        "",
        "## Machine and load",
        "",
        *_machine(results),
        "",
        *standalone,
        "## Committed runs",
        "",
        "Headline figures of every full run in `benchmarks/results/`, oldest first: they move between runs and "
        "machines.",
        "",
        *_earlier([*((f"`{name}`", found) for name, found in earlier), (f"`{source}` (this one)", results)]),
        "",
        "## Running it",
        "",
        "```bash",
        ".venv/bin/python -m benchmarks            # the full suite; writes results/<start>.json, this file, the plots",
        ".venv/bin/python -m benchmarks --quick    # small samples; CI runs it (tests/test_benchmarks.py)",
        ".venv/bin/python -m benchmarks.report     # this file and the plots again from the newest full run",
        "```",
        "",
        "## What each figure means",
        "",
        *notes(results),
    ]
    return "\n".join(lines) + "\n"
