"""Judging a soak run (benchmarks/soak.py): stuck notes per reader, lateness windows, RSS growth, recoveries;
the result JSON and its plot. BENCHMARKS.md's "Soak" section is rendered from the JSON (benchmarks/document.py).
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import datetime, timezone
from itertools import pairwise
from pathlib import Path
from typing import Any

import mido
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "soak.json"
PLOT = ROOT / "benchmarks" / "plots" / "soak.png"
RSS_GROWTH_MB = 5.0  # the bounds
LATE_DRIFT_MS = 0.2
LATENESS_MINUTES = 20  # a run this long has two ten-minute windows to compare
RECOVERY_SECONDS = 10.0
SETTLE_SECONDS = 60.0  # RSS growth is counted from the first minute on
Heard = list[tuple[float, mido.Message]]


def longest_seconds(bpm: float, slack: float = 0.1) -> float:
    """The codec's longest note at `bpm` plus `slack` for the port and the reader: longer is a stuck note."""
    from continuo.live.music.codec import DEFAULT_DURATIONS

    return max(DEFAULT_DURATIONS) * 60 / bpm + slack


def segment_summary(heard: Heard, since: float, cut_at: float | None, bpm: float) -> dict[str, Any]:
    """What one reader heard, from its connection at `since` until its listening ended at `cut_at` (a restart
    of its own or the JACK kill; None: the run's end). A note is stuck if nothing released it within the
    longest note the model can write; a note still sounding when the listener left, struck less than that
    before, was cut by the leaving, not stuck. At the run's end every note must be released, and CC123, CC120
    must come last."""
    from continuo.live.music.midi import PANIC_CONTROLS

    longest = longest_seconds(bpm)
    sounding: dict[tuple[int, int], float] = {}
    stuck: list[list[float]] = []  # [struck at, released at (inf: never), note]
    for t, m in heard:
        key = (getattr(m, "channel", -1), getattr(m, "note", -1))
        if m.type == "note_on" and m.velocity > 0:
            if key in sounding:  # struck again unreleased: its note-off was lost
                stuck.append([sounding[key], float("inf"), key[1]])
            sounding[key] = t
        elif m.type in ("note_on", "note_off") and key in sounding:
            if t - (on := sounding.pop(key)) > longest:
                stuck.append([on, t, key[1]])
        elif m.type == "control_change" and m.control in PANIC_CONTROLS:
            for other in [k for k in sounding if k[0] == m.channel]:
                if t - (on := sounding.pop(other)) > longest:
                    stuck.append([on, t, other[1]])
    cut = [on for on in sounding.values() if cut_at is not None and cut_at - on <= longest]
    stuck += [[on, float("inf"), key[1]] for key, on in sounding.items() if cut_at is None or cut_at - on > longest]
    ons = [t for t, m in heard if m.type == "note_on" and m.velocity > 0]
    summary = {
        "since_s": round(since, 2),
        "until_s": None if cut_at is None else round(cut_at, 2),
        "note_ons": len(ons),
        "first_note_on_s": round(ons[0], 2) if ons else None,
        "stuck": len(stuck),
        "stuck_examples": [
            [round(on, 2), str(off if off == float("inf") else round(off, 2)), n] for on, off, n in stuck[:5]
        ],
        "cut_by_leaving": len(cut),
    }
    if cut_at is None:
        tail = [m.control for _, m in heard[-2:] if m.type == "control_change"]
        summary |= {"balanced_at_end": not sounding, "panic_last": tail == [123, 120]}
    return summary


def health_entries(work: Path, started: float) -> list[dict[str, Any]]:
    """The engine's health lines, their monotonic "at" made seconds of the run."""
    entries = [json.loads(line) for line in (work / "log.jsonl").read_text().splitlines() if line.strip()]
    return [entry | {"t": round(entry["at"] - started, 1)} for entry in entries if entry.get("what") == "health"]


def lateness(samples_ms: list[float], health: list[dict[str, Any]], ended: float, window: float) -> dict[str, Any]:
    """Split the timing report's note-on lateness (every note-on, in order) by time through the health lines'
    notes_sent: the note-ons before a health line at second t were sent before t. p99 per health interval,
    and the p99 of all note-ons of the first and of the last `window` seconds."""
    marks = [(0.0, 0)] + [(h["t"], h["notes_sent"]) for h in health] + [(ended, len(samples_ms))]
    series = []
    for (_, begin), (t, stop) in pairwise(marks):
        if stop > begin:
            series.append([t, round(float(np.percentile(samples_ms[begin:stop], 99)), 3), stop - begin])

    def index_at(second: float) -> int:  # note-ons sent by the health line nearest `second`
        return min(marks, key=lambda mark: abs(mark[0] - second))[1]

    first, last = samples_ms[: index_at(window)], samples_ms[index_at(ended - window) :]
    p99_first, p99_last = (round(float(np.percentile(part, 99)), 3) for part in (first, last))
    return {
        "series": series,
        "window_s": window,
        "first": {"notes": len(first), "p99_ms": p99_first},
        "last": {"notes": len(last), "p99_ms": p99_last},
        "all_p99_ms": round(float(np.percentile(samples_ms, 99)), 3),
    }


def recoveries(faults: list[dict[str, Any]], segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each fault with its recovery time (from the fault) and whether it recovered within the bound. Reader
    restart: the new reader hears note-ons within RECOVERY_SECONDS of the fault. Relay kill: the log says
    "input port back" and the port is listed within it. JACK kill: the output port is listed within it of the
    server's return, the new reader hears note-ons within it of its connection, and the input port is back."""
    judged = []
    for fault in faults:
        fault = dict(fault)
        if fault["kind"] == "relay":
            fault["recovered"] = fault["input_back"] and fault["recovery_s"] <= RECOVERY_SECONDS
        else:
            segment = segments[fault["segment"] - 1] if fault.get("segment") else {"first_note_on_s": None}
            first = segment["first_note_on_s"]
            fault["recovery_s"] = None if first is None else round(first - fault["at_s"], 2)
            if fault["kind"] == "reader":
                fault["recovered"] = first is not None and first - fault["at_s"] <= RECOVERY_SECONDS
            else:
                port_s = fault["port_back_after_server_s"]
                heard = first is not None and first - segment["since_s"] <= RECOVERY_SECONDS
                fault["recovered"] = heard and port_s is not None and port_s <= RECOVERY_SECONDS and fault["input_back"]
        judged.append(fault)
    return judged


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="minutes"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
    }


def judge(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The issue's criteria, each with its measured value, its bound and whether it holds, from the figures.

    A stuck note is the engine's only where its witness was never late (jackd logged none of its cycles as
    unfinished): in a cycle the witness missed, JACK may have dropped the note-off on the way to it. Late-send
    drift compares two ten-minute windows, so only a run of LATENESS_MINUTES or more is judged on it (the hour's
    benchmark); shorter runs judge invariants only."""
    growth, faults, end = result["rss_growth_mb"], result["faults"], result["segments"][-1]
    judged = [segment for segment in result["segments"] if not segment.get("witness_late", 0)]
    stuck = sum(segment["stuck"] for segment in judged)
    unjudged = len(result["segments"]) - len(judged)
    recovered = sum(fault["recovered"] for fault in faults)
    clean = result["exit_code"] == 0 and end["balanced_at_end"] and end["panic_last"]
    end_text = f"exit {result['exit_code']}, balanced {end['balanced_at_end']}, CC123/CC120 last {end['panic_last']}"
    criteria = {
        "rss_growth_mb": {"value": growth, "bound": f"< {RSS_GROWTH_MB:g}", "passed": growth < RSS_GROWTH_MB},
        "stuck_notes": {
            "value": stuck,
            "bound": "0",
            "passed": stuck == 0 and unjudged < len(result["segments"]),  # no reader judged: nothing shown
            "readers_not_judged": unjudged,  # their witness was late: what they heard cannot convict the engine
        },
    }
    if result["minutes"] >= LATENESS_MINUTES:
        late = result["lateness"]
        drift = round(abs(late["last"]["p99_ms"] - late["first"]["p99_ms"]), 3)
        criteria["late_p99_drift_ms"] = {
            "value": drift,
            "bound": f"<= {LATE_DRIFT_MS:g}",
            "passed": drift <= LATE_DRIFT_MS,
        }
    return criteria | {
        "faults_recovered": {"value": f"{recovered}/{len(faults)}", "bound": "all", "passed": recovered == len(faults)},
        "clean_end": {"value": end_text, "bound": "exit 0, balanced, CC123/CC120 last", "passed": clean},
    }


def finish(raw: dict[str, Any], work: Path, started: float, out: Path, plot: Path) -> dict[str, Any]:
    """Judge a run, write its JSON to `out` and its plot to `plot`; the result."""
    health = health_entries(work, started)
    samples = json.loads((work / "timing.json").read_text())["samples_ms"]
    settled = [mb for t, mb in raw["rss"] if t >= SETTLE_SECONDS]
    result = raw | {
        "faults": recoveries(raw["faults"], raw["segments"]),
        "lateness": lateness(samples, health, raw["ended_s"], 600.0 if raw["minutes"] >= LATENESS_MINUTES else 60.0),
        "rss_growth_mb": round(max(settled) - settled[0], 2),
        "rss_at_settle_mb": settled[0],
        "growth_definition": f"max VmRSS sampled at or after {SETTLE_SECONDS:g} s minus the first such sample",
        "cut_by_leaving": sum(segment["cut_by_leaving"] for segment in raw["segments"]),
        "health": [{k: h.get(k) for k in ("t", "rss_mb", "late_p99_ms", "notes_sent", "reconnects")} for h in health],
        "machine": machine(),
    }
    result["criteria"] = judge(result)
    from benchmarks.report import dumps

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(dumps(result))
    draw(result, plot)
    return result


def draw(result: dict[str, Any], path: Path) -> None:
    """Two panels over minutes: VmRSS (MB), and late-send p99 per health interval (ms); faults marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from benchmarks.plots import save

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
    top.plot([t / 60 for t, _ in result["rss"]], [mb for _, mb in result["rss"]], label="VmRSS from /proc (10 s)")
    health = [h for h in result["health"] if h["rss_mb"] is not None]
    top.plot([h["t"] / 60 for h in health], [h["rss_mb"] for h in health], ".", ms=3, label="health line rss_mb")
    top.set_ylabel("RSS (MB)")
    series = result["lateness"]["series"]
    bottom.plot([t / 60 for t, _, _ in series], [p99 for _, p99, _ in series], label="p99 per health interval")
    bottom.set_ylabel("late send p99 (ms)")
    bottom.set_xlabel("minutes")
    colours = {"reader": "tab:green", "relay": "tab:orange", "jack": "tab:red"}
    for fault in result["faults"]:
        for axes in (top, bottom):
            axes.axvline(fault["at_s"] / 60, color=colours[fault["kind"]], lw=0.8, ls="--")
    for kind, colour in colours.items():
        top.plot([], [], color=colour, ls="--", lw=0.8, label=f"{kind} fault")
    top.legend(fontsize=7, loc="lower right", ncol=2)
    bottom.legend(fontsize=7, loc="upper right")
    top.set_title(f"continuo play soak: {result['minutes']:g} min at {result['bpm']:g} BPM on JACK, faults injected")
    figure.set_dpi(100)
    save(figure, path)


KINDS = {"reader": "reader restart", "relay": "input relay SIGKILL", "jack": "JACK server kill + restart"}
CRITERIA = {
    "rss_growth_mb": "RSS growth after the first minute (MB)",
    "stuck_notes": "stuck notes at the readers",
    "late_p99_drift_ms": "late-send p99, last window against the first (absolute difference, ms)",
    "faults_recovered": "faults recovered",
    "clean_end": "the end (Ctrl-C)",
}


def section(result: dict[str, Any], link: str) -> list[str]:
    """BENCHMARKS.md's "Soak" section: every figure from the result, every verdict from `judge`."""
    late, kinds = result["lateness"], [fault["kind"] for fault in result["faults"]]
    window = minutes_text(late["window_s"])
    figures = {
        "rss_growth_mb": f"{result['rss_growth_mb']:+.2f} (from {result['rss_at_settle_mb']:.1f} MB at 1 min)",
        "stuck_notes": stuck_figure(result),
        "late_p99_drift_ms": f"first {window}: {late['first']['p99_ms']:.3f} ms ({late['first']['notes']:,} note-ons), "
        f"last {window}: {late['last']['p99_ms']:.3f} ms ({late['last']['notes']:,})",
    }
    lines = [
        "## Soak: a long `continuo play` through its MIDI system's faults",
        "",
        f"Generated from `results/soak.json`, written by `python -m benchmarks.soak --minutes {result['minutes']:g}` "
        f"({result['machine']['date'][:16].replace('T', ' ')} UTC, {result['machine']['cores']} cores, "
        f"{result['machine']['cpu']}). `continuo play` at {result['bpm']:g} BPM on a private JACK server (dummy "
        "driver), a reading process on `Continuo:Continuo` stamping arrivals, and on a schedule: "
        + ", ".join(f"{kinds.count(kind)} × {name}" for kind, name in KINDS.items())
        + ". Stuck: released later than the longest note the model writes, or never.",
        "",
        "| criterion | measured | bound | met? |",
        "|---|---|---|---|",
    ]
    for name, criterion in judge(result).items():
        shown = figures.get(name, str(criterion["value"]))
        verdict = "yes" if criterion["passed"] else "**no**"
        detail = "" if name == "clean_end" else f": {criterion['value']}"
        lines.append(f"| {CRITERIA[name]} | {shown} | {criterion['bound']} | {verdict}{detail} |")
    lines += ["", "| at | fault | recovered after | recovered? |", "|---|---|---|---|"]
    for fault in result["faults"]:
        after = "—" if fault.get("recovery_s") is None else f"{fault['recovery_s']:.1f} s"
        verdict = "yes" if fault["recovered"] else "**no**"
        lines.append(f"| {fault['at_s'] / 60:.1f} min | {KINDS[fault['kind']]} | {after} | {verdict} |")
    return [
        *lines,
        "",
        f"![RSS and late sends over the soak]({link}/soak.png)",
        "",
        "VmRSS read from /proc every 10 s (line) and the engine's own health lines (dots); late-send p99 per "
        "health interval from the engine's timing report; dashed lines: the faults. Recovered: a new reader hears "
        f"note-ons within {RECOVERY_SECONDS:g} s (reader restart), the input port is back within it (relay), the "
        "output port is back within it of the server and a new reader hears notes within it of connecting (JACK).",
    ]


def stuck_figure(result: dict[str, Any]) -> str:
    """Stuck notes counted against the engine, and what could not be judged: readers whose own cycles jackd
    logged late (in such a cycle JACK may have dropped a note-off on its way to the reader)."""
    segments = result["segments"]
    if any("witness_late" not in segment for segment in segments):  # a run from before the witness was watched
        return (
            f"{sum(s['stuck'] for s in segments)} in {sum(s['note_ons'] for s in segments):,} note-ons heard by "
            f"{len(segments)} readers; their own late cycles were not recorded"
        )
    judged = [segment for segment in segments if not segment["witness_late"]]
    unjudged = [segment for segment in segments if segment["witness_late"]]
    return (
        f"{sum(s['stuck'] for s in judged)} in {sum(s['note_ons'] for s in judged):,} note-ons heard by the "
        f"{len(judged)} of {len(segments)} readers never logged late ({result['cut_by_leaving']} cut by a listener "
        f"leaving, not counted); not judged: {len(unjudged)} readers logged late "
        f"{sum(s['witness_late'] for s in unjudged):,} times, which heard {sum(s['stuck'] for s in unjudged)} "
        f"stuck in {sum(s['note_ons'] for s in unjudged):,} note-ons"
    )


def minutes_text(seconds: float) -> str:
    return f"{seconds / 60:g} min"
