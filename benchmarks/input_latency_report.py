"""BENCHMARKS.md's input section and its plot, from results/input-latency.json (benchmarks/input_latency.py).

Nothing here holds a measured number: every figure is read from the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

READERS = ("queued", "callback")
PHASES = {"quiet": "with no neighbour of ours", "busy": "beside the busy neighbour"}


def draw(result: dict[str, Any], path: Path) -> None:
    """Left: the share of the messages sent that were in hand by each latency after their send (both readers, both
    phases). Right: the share not yet in hand, on a log scale, where the tail shows. Log x on both."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from benchmarks.plots import save

    figure, (share_axes, tail_axes) = plt.subplots(1, 2, figsize=(10, 4.2), sharex=True)
    for name, style in (("quiet", "-"), ("busy", "--")):
        for reader, colour in zip(READERS, ("tab:blue", "tab:orange")):
            samples = np.sort(result["phases"][name]["readers"][reader]["in_hand_minus_send_samples_ms"])
            share = np.arange(1, len(samples) + 1) / result["phases"][name]["sent"]
            x, label = np.maximum(samples, 1e-3), f"{reader}, {PHASES.get(name, name)}"
            share_axes.step(x, share, style, color=colour, where="post", label=label)
            waiting = (result["phases"][name]["sent"] - np.arange(len(samples))) / result["phases"][name]["sent"]
            tail_axes.step(x, waiting, style, color=colour, where="pre")  # up to each sample: not yet in hand
    share_axes.set_xscale("log")
    tail_axes.set_yscale("log")
    share_axes.set_ylabel("share of the messages sent, in hand")
    tail_axes.set_ylabel("share not yet in hand (log)")
    for axes in (share_axes, tail_axes):
        axes.set_xlabel("in hand minus send (ms, log scale)")
        axes.grid(alpha=0.3, which="both")
    share_axes.legend(fontsize=8, loc="lower right")
    figure.suptitle(f"{result['messages']:,} messages at ~{result['rate_per_s']:g}/s into two JACK readers at once")
    figure.set_dpi(100)
    save(figure, path)


QUANTILES = ("min", "p50", "p90", "p99", "max")
MEASURES = {
    "in_hand_minus_send_ms": "in hand − send: when Python code can act (what a performer feels)",
    "stamp_minus_send_ms": "arrival stamp − send (JACK delivers in its next cycle)",
    "in_hand_minus_stamp_ms": "in hand − stamp (what polling adds)",
    "stamp_minus_callback_stamp_ms": "queued stamp − the callback's stamp of the same message",
}


def _cell(found: dict[str, Any] | None) -> str:
    return "—" if found is None else " / ".join(f"{found[key]:.3f}" for key in QUANTILES)


def headline(result: dict[str, Any]) -> Iterator[str]:
    """Per phase: how much later the queued reader had messages in hand than the callback reader, and what each heard.
    (The difference of the two readers' percentiles, not a percentile of differences.)"""
    for name, found in result["phases"].items():
        queued, callback = (found["readers"][reader] for reader in READERS)
        later = {q: queued["in_hand_minus_send_ms"][q] - callback["in_hand_minus_send_ms"][q] for q in ("p50", "p99")}
        yield (
            f"{PHASES.get(name, name)}, median {later['p50']:+.3f} ms and p99 {later['p99']:+.3f} ms against the "
            f"callback, {queued['heard']:,} of {found['sent']:,} messages heard (the callback {callback['heard']:,})"
        )


def section(result: dict[str, Any], link: str) -> list[str]:
    """BENCHMARKS.md's input section: every figure from results/input-latency.json."""
    run, jack, phases = result["machine"], result["jack"], result["phases"].items()
    lines = [
        "## Input: what reading without a callback costs",
        "",
        f"Generated from `results/input-latency.json`, written by `python -m benchmarks.input_latency` "
        f"({run['date'][:16].replace('T', ' ')} UTC, {run['cores']} cores, {run['cpu']}). A sender process played "
        f"{result['messages']:,} note-ons and note-offs (about {result['rate_per_s']:g} a second at irregular "
        f"gaps, {result['seconds']:g} s, seed {result['seed']}) into two reading processes at once on a private "
        f"JACK server ({jack['period_frames']}-frame periods at {jack['sample_rate']:,} Hz: "
        f"{jack['period_frames'] / jack['sample_rate'] * 1000:.2f} ms): the **queued** reader, as the engine's "
        f"input relay reads (RtMidi's own queue emptied every {result['poll_ms']:g} ms by a Python thread, each "
        "message stamped from RtMidi's gaps within the poll's bounds), and the **callback** reader, the old way "
        "(a Python callback in JACK's process thread, stamping and holding the message at once). First with no "
        f"neighbour of ours (what else ran shows in the load), then beside {result['neighbour_processes']} "
        "processes spinning on the cores. Times on CLOCK_MONOTONIC, each message matched to its send by its bytes.",
        "",
        "What reading without a callback added to the time a message is in Python's hands: "
        + "; ".join(headline(result))
        + ".",
        "",
        "| phase | sent | heard: queued | heard: callback | cycles jackd logged late while the stream played "
        "| load (1 min), start → end | CPU stolen by the host |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, found in result["phases"].items():
        heard = " | ".join(f"{found['readers'][reader]['heard']:,}" for reader in READERS)
        late = ", ".join(f"{client}: {n}" for client, n in found["late_clients"].items()) or "none"
        load = " → ".join(f"{value:.2f}" for value in found["load_1min"])
        lines.append(f"| {name} | {found['sent']:,} | {heard} | {late} | {load} | {found['steal_s']:.2f} s |")
    lines += ["", f"| ms ({' / '.join(QUANTILES)}) | phase | queued | callback |", "|---|---|---|---|"]
    for measure, text in MEASURES.items():
        for name, found in result["phases"].items():
            queued, callback = (found["readers"][reader].get(measure) for reader in READERS)
            lines.append(f"| {text} | {name} | {_cell(queued)} | {_cell(callback)} |")
    fixes = [
        f"{PHASES.get(name, name)} {fixed['corrected']:,} of {fixed['messages']:,} (largest "
        f"{fixed['largest_correction_ms']:.3f} ms)"
        for name, fixed in ((name, found["readers"]["queued"]["chain_corrections"]) for name, found in phases)
    ]
    lines += [
        "",
        "Arrival stamps that the polls' bounds moved off the time RtMidi's chained gaps gave (where the chain was "
        f"off by more than a poll could allow): {'; '.join(fixes)}. The first message a reader hears has no gap "
        "before it and is stamped when its poll found it.",
    ]
    return [
        *lines,
        "",
        f"![Input latency, queued and callback readers]({link}/input-latency.png)",
        "",
        "Left, the share of the messages sent that each reader's Python code had in hand by a given time after the "
        "send (a line that ends below 1 lost messages); right, the share still waiting, where the tail shows. "
        f"{_polls(result)} The callback reader's stamp is the moment its callback ran, so the last rows compare the "
        "queued reader's stamps with the time JACK's cycle handed over the message. A client whose cycle jackd logs "
        "late (not finished in time) can miss that cycle's events however it reads: reading without a callback "
        "removes the losses caused by Python holding up JACK's thread, not those of a machine that does not run "
        "JACK's real-time threads in time (a virtual machine's host can stall them).",
    ]


def _polls(result: dict[str, Any]) -> str:
    """Whether a poll ever waited for the CPU, and at which priority the polling thread ran."""
    worst = max(found["readers"]["queued"]["in_hand_minus_stamp_ms"]["max"] for found in result["phases"].values())
    granted = all(
        found["readers"]["queued"]["chain_corrections"].get("realtime_poll") for found in result["phases"].values()
    )
    priority = (
        "at its real-time priority (SCHED_FIFO, below JACK's threads)"
        if granted
        else "at normal priority (the system refused a real-time one), level with the neighbour"
    )
    waited = "Some polls waited" if worst > 2 * result["poll_ms"] else "No poll waited"
    return f"{waited} for the CPU: the polling thread ran {priority}; in hand − stamp stayed within {worst:.3f} ms."
