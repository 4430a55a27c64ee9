"""BENCHMARKS.md and its plots from a result JSON, so the document cannot drift from the data.

    python -m benchmarks.report                 # the newest full run in benchmarks/results/
    python -m benchmarks.report RESULT.json     # a named run
    python -m benchmarks.report --check         # exit 1 if BENCHMARKS.md differs from what the JSON gives

Full runs are named by the minute they started (results/2026-12-01T0215.json), so names sort by time and
a second run never overwrites the first; --quick runs end in -quick.json and are never rendered by default.
The words are in benchmarks/document.py, the pictures in benchmarks/plots.py.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
RESULTS = HERE / "results"
DOCUMENT = HERE / "BENCHMARKS.md"
PLOTS = HERE / "plots"
FULL_RUN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{4}\.json$")
DATED = re.compile(r"^\d{4}-\d{2}-\d{2}")


def stamp(iso_date: str) -> str:
    """2026-12-01T02:15:07+00:00 -> 2026-12-01T0215: the result file's name."""
    return iso_date[:16].replace(":", "")


def dumps(results: dict[str, Any]) -> str:
    """Indented JSON with every list of numbers on one line: thousands of samples stay readable and small."""
    compact: list[str] = []

    def fold(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: fold(item) for key, item in value.items()}
        if isinstance(value, list | tuple) and all(isinstance(item, int | float) for item in value):
            compact.append(json.dumps(list(value), separators=(", ", ": ")))
            return f"@@{len(compact) - 1}@@"
        if isinstance(value, list | tuple):
            return [fold(item) for item in value]
        return value

    text = json.dumps(fold(results), indent=2)
    return re.sub(r'"@@(\d+)@@"', lambda match: compact[int(match.group(1))], text) + "\n"


def newest_full_run(folder: Path = RESULTS) -> Path:
    runs = sorted(path for path in folder.glob("*.json") if FULL_RUN.match(path.name))
    if not runs:
        raise SystemExit(f"{folder}: no full-run result (YYYY-MM-DDTHHMM.json); run `python -m benchmarks`")
    return runs[-1]


def earlier_runs(current: Path) -> list[tuple[str, dict[str, Any]]]:
    """Every other committed full run beside `current` (older names included), oldest first."""
    found = []
    for path in current.parent.glob("*.json"):
        # A suite's runs are named by their date; other results (live-timing-..., loop-guard) are not runs.
        if path.name == current.name or path.name.endswith("-quick.json") or not DATED.match(path.name):
            continue
        results = json.loads(path.read_text())
        if not results.get("quick"):
            found.append((path.name, results))
    return sorted(found, key=lambda item: str(item[1].get("date", "")))


def load(path: Path) -> dict[str, Any]:
    try:
        results: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        print(f"{path}: not a readable result JSON ({error})", file=sys.stderr)
        raise SystemExit(2) from error
    if "samples_ms" not in results.get("inference", {}):
        print(f"{path}: has no raw samples (a run from before the suite saved them); run the suite", file=sys.stderr)
        raise SystemExit(2)
    return results


def render_files(result: Path, out: Path, plots: Path, draw: bool = True) -> str:
    """The document for `result`, linking the plots in `plots` relative to `out`; draws them unless told not to."""
    from benchmarks.document import PLOT_FILES, render

    results = load(result)
    link = Path(os.path.relpath(plots.resolve(), out.resolve().parent)).as_posix()
    # The committed standalone runs (benchmarks/soak.py, input_latency.py, pipewire_timing.py), beside any suite run.
    names = ("soak.json", "input-latency.json", "pipewire-timing.json")
    standalone = [json.loads((RESULTS / name).read_text()) if (RESULTS / name).exists() else None for name in names]
    text = render(results, result.name, link, earlier_runs(result), *standalone)
    if draw:
        from benchmarks.plots import draw_all

        drawn = draw_all(results, plots)
        assert sorted(path.name for path in drawn) == sorted(PLOT_FILES.values()), drawn
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Render BENCHMARKS.md and its plots from a result JSON")
    parser.add_argument("result", nargs="?", type=Path, help="a result JSON (default: the newest full run)")
    parser.add_argument("--out", type=Path, default=DOCUMENT, help="the Markdown file to write")
    parser.add_argument("--plots", type=Path, default=PLOTS, help="the folder for the PNGs")
    parser.add_argument("--check", action="store_true", help="only compare with --out; exit 1 if it differs")
    args = parser.parse_args(argv)
    result = args.result or newest_full_run()
    if args.check:
        text = render_files(result, args.out, args.plots, draw=False)
        if not args.out.exists() or args.out.read_text() != text:
            print(f"{args.out} differs from what {result} gives; run `python -m benchmarks.report`", file=sys.stderr)
            raise SystemExit(1)
        return
    text = render_files(result, args.out, args.plots)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out} and the plots in {args.plots} from {result}")


if __name__ == "__main__":
    main()
