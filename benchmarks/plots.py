"""The PNGs BENCHMARKS.md links, drawn from the raw samples a result JSON holds (matplotlib: the `offline` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.document import PLOT_FILES, minutes_text, rss_checkpoints

CONTINUO, OTHER = "#1f6fb4", "#d9731a"
# PNG metadata without the matplotlib version or a date, so redrawing the same JSON gives the same bytes.
METADATA = {"Software": None}


def _figure() -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4.2), dpi=110)
    axes.grid(True, which="major", alpha=0.3)
    return figure, axes


def save(figure: Any, path: Path) -> Path:
    """Lay out, write (its folder made if needed) and close a figure; the same figure always gives the same bytes."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, metadata=METADATA)
    plt.close(figure)
    return path


def _finish_histogram(figure: Any, axes: Any, xlabel: str, ylabel: str, title: str, path: Path) -> Path:
    """Label a two-group histogram, put its legend above the bars and save it."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend(loc="upper center")
    return save(figure, path)


def _plain_log_axis(axes: Any, subs: tuple[float, ...] = (1.0,)) -> None:
    """A log x axis labelled 0.01, 0.1, 1, 10 ... (`subs` adds 2, 5 between) rather than powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator

    axes.set_xscale("log")
    axes.xaxis.set_major_locator(LogLocator(base=10, subs=subs))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axes.xaxis.set_minor_formatter(FuncFormatter(lambda value, _: ""))


def _log_bins(values: list[list[float]], floor: float) -> Any:
    import numpy as np

    top = max(max(group) for group in values)
    return np.logspace(np.log10(floor), np.log10(max(top, floor * 10) * 1.2), 60)


def onsets(results: dict[str, Any], path: Path) -> Path:
    """(a) |onset error| at the reading client, Continuo beside the naive loop, on a log axis."""
    import numpy as np

    e2e = results["end_to_end"]
    jack = results["machine"]["jack"]
    period = jack["period_frames"] / jack["sample_rate"] * 1000
    floor = 0.01  # the first note's error is 0 by definition (errors count from it): drawn in the lowest bin
    groups = [np.maximum(np.abs(e2e[side]["error_samples_ms"]), floor) for side in ("continuo", "naive_sleep_loop")]
    bins = _log_bins([list(group) for group in groups], floor)
    figure, axes = _figure()
    for group, colour, label in zip(groups, (CONTINUO, OTHER), ("Continuo", "naive time.sleep loop")):
        axes.hist(group, bins=bins, color=colour, alpha=0.75, label=f"{label} ({len(group)} notes)")
    top = axes.get_ylim()[1] * 1.3  # head room for the legend above the bars
    axes.set_ylim(0, top)
    axes.axvline(period, color="black", linestyle="--", linewidth=1)
    axes.text(period * 1.08, top * 0.6, f"one JACK period\n{period:.2f} ms", fontsize=9, va="top")
    _plain_log_axis(axes)
    title = f"Onset error, {e2e['seconds']:g} s at {e2e['bpm']:g} BPM on a JACK port"
    return _finish_histogram(
        figure, axes, "|arrival − intended time| at the reading client (ms, log scale)", "notes", title, path
    )


def inference(results: dict[str, Any], path: Path) -> Path:
    """(b) time of one generation step, ONNX beside Keras `model.predict`, as the share of steps per bin."""
    import numpy as np

    samples = results["inference"]["samples_ms"]
    groups = [np.asarray(samples["onnx_windowed"]), np.asarray(samples["keras_predict"])]
    bins = _log_bins([list(group) for group in groups], min(float(group.min()) for group in groups) / 1.2)
    figure, axes = _figure()
    labels = ("Continuo: ONNX (onnxruntime)", "the seed: Keras model.predict")
    for group, colour, label in zip(groups, (CONTINUO, OTHER), labels):
        weights = np.full(len(group), 100 / len(group))
        axes.hist(group, bins=bins, weights=weights, color=colour, alpha=0.75, label=f"{label}, {len(group)} steps")
        axes.axvline(float(np.median(group)), color=colour, linewidth=1.5)
    axes.set_ylim(0, axes.get_ylim()[1] * 1.3)
    _plain_log_axis(axes, (1.0, 2.0, 5.0))
    xlabel = "time of one step (ms, log scale); a vertical line marks each median"
    title = f"Inference per step, {results['inference']['window']}-event window"
    return _finish_histogram(figure, axes, xlabel, "% of steps", title, path)


def memory(results: dict[str, Any], path: Path) -> Path:
    """(c) RSS of both memory probes over their run, the table's checkpoints marked: from zero on the left
    (a megabyte is small beside the whole process), close up on the right (where growth would show)."""
    import matplotlib.pyplot as plt

    figure, (whole, close) = plt.subplots(1, 2, figsize=(10, 4.2), dpi=110)
    probes = (("memory", "no recording", CONTINUO), ("memory_recording_in_parts", "recording in parts", OTHER))
    values: list[float] = []
    for key, label, colour in probes:
        series = results[key]["rss_series"]
        minutes = [seconds / 60 for seconds in series["seconds"]]
        points = rss_checkpoints(results[key])
        (first, at_first), (last, at_last) = points[0], points[-1]
        growth = f"{at_last - at_first:+.1f} MB from {minutes_text(first)} to {minutes_text(last)}"
        for axes in (whole, close):
            axes.plot(minutes, series["rss_mb"], color=colour, linewidth=1.5, label=f"{label} ({growth})")
            axes.plot([at / 60 for at, _ in points], [mb for _, mb in points], "o", color=colour)
        values += series["rss_mb"]
    # The first readings come while the process is still loading; the close-up frames the rest.
    settled = sorted(values)[len(values) // 20 :]
    whole.set_ylim(0, max(values) * 1.15)
    close.set_ylim(min(settled) - 2, max(settled) + 2)
    for axes, title in ((whole, "from zero"), (close, "close up")):
        axes.grid(True, alpha=0.3)
        axes.set_xlabel("minutes since continuo play started")
        axes.set_title(f"RSS of continuo play, {title}")
    whole.set_ylabel("RSS (MB); dots: the table's checkpoints")
    whole.legend(loc="lower right", fontsize=8)
    return save(figure, path)


def draw_all(results: dict[str, Any], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        onsets(results, folder / PLOT_FILES["onsets"]),
        inference(results, folder / PLOT_FILES["inference"]),
        memory(results, folder / PLOT_FILES["memory"]),
    ]
