"""The seed spread of a training recipe, the quality bar on its mean, and a comparison with the same recipe
in an earlier model format: every figure read from `models/reports/NAME.seeds.json`, `NAME.json` and, for the
earlier format, `NAME.format1.seeds.json` / `NAME.format1.json` (that run's own reports, kept from history).

The duration is scored as the engine draws it: before the shift is known. A format-2 model draws the shift,
then the duration in that shift's row; its `duration` figures are scored in the row of the *true* shift,
which the engine never has (it draws a sampled one), so they are a diagnostic of how much the shift tells
the duration, and `duration_marginal` (the rows mixed by the model's own shift distribution) is the score.
A format-1 model draws the duration independently of the shift, so its `duration` is already that score.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from continuo.live.music.codec import FIELDS
from continuo.training.scoring import MEASURES, measure_text, percent

# The quality bar (Bach only), judged on the mean of three training seeds: (field, measure) ->
# (bound, at least?). The duration is judged by duration_score, before the shift is known.
QUALITY_BARS: dict[str, dict[tuple[str, str], tuple[float, bool]]] = {
    "bach": {
        ("pitch", "top1"): (0.60, True),
        ("pitch", "bits"): (1.9, False),
        ("pitch", "top5"): (0.92, True),
        ("duration", "top1"): (0.75, True),
        ("shift", "top1"): (0.94, True),
    }
}

# Prose under a bar, with no figure in it: what was tried and where it is described.
BAR_NOTES: dict[tuple[str, str, str], str] = {
    ("bach", "duration", "top1"): """\
What was tried against the duration bar within format 1 (three independent heads): other loss
weights, dropout and transposition, causal self-attention after the LSTMs, a longer context and a lower
learning rate; then diagnostic heads on the frozen format-1 trunk, which pointed at where the note itself
falls (its shift) as what the duration lacked, and so to format 2. These are described in
`training/recipes/ship_models.sh` and `training/recipes/duration_diagnostics.py`; their runs' figures are in
no committed report, so this card does not quote them.""",
}


def duration_score(heads: Mapping[str, Any]) -> Mapping[str, Any]:
    """The duration's figures before the shift is known (see the module's docstring)."""
    return heads.get("duration_marginal") or heads["duration"]


def event_bits(heads: Mapping[str, Any]) -> float:
    """The whole event's cost in bits: pitch, plus duration given what is drawn before it (format 2: the true
    shift; format 1 and the n-grams: nothing), plus shift. Each head's bits are a mean over the same targets,
    so the sum is the mean of each event's summed cost, which is the event's joint cost under the model."""
    return float(sum(heads[field]["bits"] for field in FIELDS))


def _score(heads: Mapping[str, Any], field: str, measure: str) -> float:
    return float((duration_score(heads) if field == "duration" else heads[field])[measure])


#: The whole event's cost, as a column beside the heads' (field, measure) columns.
WHOLE_EVENT = ("event", "bits")


def figure(heads: Mapping[str, Any], field: str, measure: str) -> str:
    """One figure of a predictor's scores as the card's tables write it: the duration before the shift is known,
    and field "event" for the whole event's bits (WHOLE_EVENT)."""
    value = event_bits(heads) if (field, measure) == WHOLE_EVENT else _score(heads, field, measure)
    return measure_text(value, measure)


Cell = Callable[[Mapping[str, Any]], str]


def _spread_columns(spread: Mapping[str, Any]) -> list[tuple[str, Cell]]:
    def column(field: str, measure: str) -> tuple[str, Cell]:
        title = f"{field} {MEASURES[measure]}" + (" (before the shift)" if field == "duration" else "")
        return title, lambda heads: figure(heads, field, measure)

    headline = [("pitch", "top1"), ("pitch", "bits"), ("pitch", "top5"), ("duration", "top1"), ("shift", "top1")]
    columns = [column(field, measure) for field, measure in headline]
    columns.append(("whole-event bits", lambda heads: figure(heads, *WHOLE_EVENT)))
    if "duration_marginal" in spread["mean"]:
        columns.append(("diagnostic: duration top-1 given the true shift", lambda h: percent(h["duration"]["top1"])))
    return columns


def bar_verdicts(spread: Mapping[str, Any]) -> list[tuple[str, str, float, float, bool, bool]]:
    """(field, measure, value on the mean, bound, at least?, met?) for each quality bar of this model."""
    found = []
    for (field, measure), (bound, at_least) in QUALITY_BARS.get(spread["name"], {}).items():
        value = _score(spread["mean"], field, measure)
        found.append((field, measure, value, bound, at_least, value >= bound if at_least else value <= bound))
    return found


def bar_line(spread: Mapping[str, Any]) -> str:
    """ "Quality bar on the mean: ..." or "" for a model without one."""
    verdicts = []
    for field, measure, value, bound, at_least, met in bar_verdicts(spread):
        name = f"{field} {MEASURES[measure]}" + (" before the shift" if field == "duration" else "")
        sign = "≥" if at_least else "≤"
        verdict = "met" if met else "MISSED"
        verdicts.append(f"{name} {measure_text(value, measure)} ({sign} {measure_text(bound, measure)}: {verdict})")
    return "; ".join(verdicts)


def render_seed_spread(spread: Mapping[str, Any]) -> str:
    """`continuo evaluate --run A --run B --run C --json` (models/reports/NAME.seeds.json) and the quality bar."""
    columns = _spread_columns(spread)
    rows = [(f"seed {run['seed']}", run["model"]) for run in spread["runs"]] + [("**mean**", spread["mean"])]
    commands = sorted({run["command"] for run in spread["runs"]})
    lines = [
        f"Spread across {len(spread['runs'])} training seeds (each seed also draws its own split by piece, so each "
        f"row is a different test split; the shipped file is seed {spread['runs'][0]['seed']}): "
        + "; ".join(f"`{c}`" for c in commands),
        "",
        "| run | " + " | ".join(title for title, _ in columns) + " |",
        "|---|" + "---|" * len(columns),
        *(f"| {label} | " + " | ".join(cell(heads) for _, cell in columns) + " |" for label, heads in rows),
        "",
    ]
    line = bar_line(spread)
    if line:
        lines += [f"Quality bar on the mean: {line}.", ""]
    diagnostic = spread["mean"].get("duration_marginal") and spread["mean"]["duration"]
    for field, measure, _, bound, at_least, _ in bar_verdicts(spread):
        if field == "duration" and diagnostic:
            given = diagnostic[measure]
            clears = "would clear" if (given >= bound if at_least else given <= bound) else "would not clear"
            lines += [
                f"The duration is scored before the shift is known, as the engine draws it. Scored in the row of "
                f"the true shift it is {measure_text(given, measure)}, which {clears} the bar, but the engine "
                "draws a sampled shift, not the true one: that figure is a diagnostic of how much the shift tells "
                "the duration, not the model's duration score.",
                "",
            ]
        if (spread["name"], field, measure) in BAR_NOTES:
            lines += [BAR_NOTES[(spread["name"], field, measure)], ""]
    return "\n".join(lines)


def _recipe(command: str) -> list[str]:
    """A training command without what differs by design between the runs compared: the run folder and the
    format-2 flag."""
    words = command.split()
    kept = [w for w in words if w != "--duration-given-shift"]
    return [w for i, w in enumerate(kept) if w != "--out" and (i == 0 or kept[i - 1] != "--out")]


def render_format_comparison(
    spread: Mapping[str, Any],
    earlier: Mapping[str, Any],
    report: Mapping[str, Any] | None,
    earlier_report: Mapping[str, Any] | None,
) -> str:
    """The shipped recipe's seeds beside the same seeds in format 1, from both runs' committed reports."""
    name = spread["name"]
    by_seed = {run["seed"]: run for run in earlier["runs"]}
    pairs = [(run, by_seed[run["seed"]]) for run in spread["runs"] if run["seed"] in by_seed]
    same_recipe = all(_recipe(new["command"]) == _recipe(old["command"]) for new, old in pairs)
    same_split = all(new["events"] == old["events"] and new["pieces"] == old["pieces"] for new, old in pairs)
    rows = [
        f"| seed {new['seed']} | {percent(duration_score(old['model'])['top1'])} | "
        f"{percent(duration_score(new['model'])['top1'])} | {event_bits(old['model']):.2f} | "
        f"{event_bits(new['model']):.2f} |"
        for new, old in pairs
    ]
    mean, old_mean = spread["mean"], earlier["mean"]
    rows.append(
        f"| **mean** | {percent(duration_score(old_mean)['top1'])} | {percent(duration_score(mean)['top1'])} | "
        f"{event_bits(old_mean):.2f} | {event_bits(mean):.2f} |"
    )
    lower = sum(event_bits(new["model"]) < event_bits(old["model"]) for new, old in pairs)
    origins = [
        f"{entry['commit'][:7]}:{entry['path']}"
        for entry in (earlier.get("source"), (earlier_report or {}).get("source"))
        if entry and "commit" in entry
    ]
    origin = f" (kept from git history: {', '.join(origins)})" if origins else ""
    lines = [
        f"Format 2 beside format 1: the same training seeds in format 1, whose own reports are "
        f"`models/reports/{name}.format1.seeds.json` and `{name}.format1.json`{origin}. "
        + (
            "The training commands are the same apart from `--duration-given-shift` and `--out`"
            if same_recipe
            else "The training commands differ in more than `--duration-given-shift` and `--out`"
        )
        + (
            "; each seed's test split is the same in both (same pieces and events)."
            if same_split
            else "; the test splits differ between the two runs (pieces or events differ)."
        ),
        "",
        "| run | format 1 duration top-1 | format 2 duration top-1 (before the shift) | format 1 whole-event bits "
        "| format 2 whole-event bits |",
        "|---|---|---|---|---|",
        *rows,
        "",
        f"Before the shift is known, format 2's duration scores {percent(duration_score(mean)['top1'])} on the "
        f"mean against format 1's {percent(duration_score(old_mean)['top1'])}. The whole event (pitch, duration "
        f"and shift together) costs {event_bits(mean):.2f} bits on the mean against format 1's "
        f"{event_bits(old_mean):.2f}, lower on {lower} of the {len(pairs)} test splits"
        + (
            ": the whole event is the comparison that shows what format 2 gains."
            if event_bits(mean) < event_bits(old_mean) and lower == len(pairs)
            else ": format 2 does not cost fewer bits on every split."
        ),
    ]
    if report and earlier_report:
        options = ("events", "streams", "temperature", "top_p", "first_seed")
        alike = all(report.get(key) == earlier_report.get(key) for key in options)
        lines.append(
            f"The generated music's mean note length is {report['generated']['mean_duration_beats']:.3f} beats in "
            f"format 2 and {earlier_report['generated']['mean_duration_beats']:.3f} in format 1, against "
            f"{report['test_pieces']['mean_duration_beats']:.3f} in the test pieces (the two musical reports, "
            + ("made with the same options and seeds)." if alike else "made with different options).")
        )
    return "\n".join([*lines, ""])
