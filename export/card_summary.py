"""The model card's summary table of all models, and per model its musical report and near-copies section.

Every figure comes from a model file's metadata or from its files in `models/reports/` (card_artifacts).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from continuo.export.card_artifacts import Artifacts
from continuo.export.card_spread import WHOLE_EVENT, bar_line, figure
from continuo.training.report import CHECKED, COPY_BOUND, MUSIC_METRICS, TIMING_METRICS
from continuo.training.scoring import percent

NOT_MEASURED = "not measured"


def count_test_pieces(count: int) -> str:
    """ "1 test piece", "2 test pieces"."""
    return f"{count} test piece" + ("" if count == 1 else "s")


def _report_verdict(report: Mapping[str, Any] | None) -> str:
    if report is None:
        return NOT_MEASURED
    checks = report["checks"]
    out = [name.replace("_", " ") for name, ok in checks.items() if not ok]
    verdict = f"{len(checks) - len(out)} of {len(checks)} bounds met" + (f" ({', '.join(out)} out)" if out else "")
    seeds = report.get("seed_pieces")
    if seeds:
        test = sum(seed["split"] == "test" for seed in seeds)
        others = sorted({seed["split"] for seed in seeds} - {"test"})
        verdict += "; seeds: " + (_share_of_test(test, report["test_piece_count"]) if test else "no test piece")
        verdict += "".join(f", {part} pieces" for part in others)
    return verdict


def _share_of_test(test: int, count: int) -> str:
    """How many of the model's test pieces seeded its report, in words."""
    if test == count:
        return "its only test piece" if count == 1 else f"all its {count} test pieces"
    return f"{test} of its {count} test pieces"


def _leak_cell(metrics: Mapping[str, Any]) -> str:
    leak = metrics.get("leak_check")
    if leak is None:
        return "not run"
    epochs = f" ({leak['epochs']} epochs)" if "epochs" in leak else ""
    return percent(leak["model"]["pitch"]["top1"]) + epochs


def _near_copies_cell(near: Mapping[str, Any] | None) -> str:
    if near is None:
        return NOT_MEASURED
    if not near["near_copies"]:
        return f"no near-copy among its {count_test_pieces(near['test_pieces'])}"
    dropped = f"{len(near['near_copies'])} of {near['test_pieces']} pieces dropped"
    if near["test_without_near_copies"] is None:  # every test piece is a near-copy
        return f"no test piece left ({dropped})"
    return f"{percent(near['test_without_near_copies']['model']['pitch']['top1'])} ({dropped})"


def summary_table(models: Mapping[str, Mapping[str, Any]], artifacts: Artifacts) -> str:
    """One row per model: what a reader compares first; the sections below hold the rest."""
    header = (
        "| model | composer | format | pieces (test) | pitch top-1 (5-gram) | duration top-1, before the shift "
        "| shift top-1 | whole-event bits (5-gram) | musical report | leak check: pitch top-1 on random windows "
        "| pitch top-1 without near-copies |"
    )
    rows = [header, "|" + "---|" * 11]
    for name in sorted(models):
        metadata = models[name]
        metrics = metadata["metrics"]
        model, ngram = metrics["model"], metrics["5gram"]
        pieces = metadata["corpus"]["pieces"]
        cells = [
            name,
            metadata["composer"],
            str(metadata.get("continuo_format", 1)),
            f"{sum(pieces.values())} ({pieces['test']})",
            f"{figure(model, 'pitch', 'top1')} ({figure(ngram, 'pitch', 'top1')})",
            figure(model, "duration", "top1"),
            figure(model, "shift", "top1"),
            f"{figure(model, *WHOLE_EVENT)} ({figure(ngram, *WHOLE_EVENT)})",
            _report_verdict(artifacts.reports.get(name)),
            _leak_cell(metrics),
            _near_copies_cell(artifacts.near_copies.get(name)),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    notes = [
        "",
        "Each model's own test split by piece (its shipped file; the 5-gram is fitted on its training split). The "
        "duration is scored before the shift is known, as the engine draws it. The whole event's bits add pitch, "
        "duration and shift, each given what is drawn before it. The leak check is the same model trained on a "
        "random-window split instead, to show how much a split that shares pieces would flatter it. Near-copies "
        "are test pieces that share much of a training piece (each section defines it).",
    ]
    for name in sorted(models):
        spread = artifacts.spreads.get(name)
        if spread is not None and bar_line(spread):
            notes += [
                "",
                f"**{name}**, quality bar on the mean of its {len(spread['runs'])} training seeds "
                f"(`models/reports/{name}.seeds.json`): {bar_line(spread)}.",
            ]
    return "\n".join(["## Summary", "", *rows, *notes, ""])


def _seed_lines(report: Mapping[str, Any]) -> list[str]:
    """Which pieces seeded the streams and whether they are test pieces, from the report itself."""
    seeds = report.get("seed_pieces")
    if seeds:
        named = ", ".join(f"`{s['file']}` ({s['split']} piece, {s['streams']} streams)" for s in seeds)
        test = sum(s["split"] == "test" for s in seeds)
        verb = "is a test piece" if test == 1 else "are test pieces"
        caveat = (
            f"{test} of these {len(seeds)} {verb} of this model ({_share_of_test(test, report['test_piece_count'])}), "
            "so the test pieces compared with below include the ones whose openings started the generation."
            if test
            else "None of them is a test piece of this model."
        )
        return [f"Seeds: each stream starts from the opening of one piece: {named}. {caveat}", ""]
    used = Counter(entry.partition(": ")[2] for entry in str(report["seed"]).split("; "))
    named = ", ".join(
        f"`{name.partition(' (')[0]}` ({name.partition(' (')[2].removesuffix(')') or 'a file'}, {count} streams)"
        for name, count in used.items()
    )
    return [
        f"Seeds: {named}. Which split these pieces belong to is not recorded in this report; the seed banks are "
        "cut from a run's test pieces (`continuo export --seeds`).",
        "",
    ]


def render_report(report: Mapping[str, Any]) -> str:
    """`continuo report --json` for this model, as a table (models/reports/NAME.json)."""
    names = [*MUSIC_METRICS, *TIMING_METRICS]
    checks = report["checks"]
    verdict = ", ".join(
        f"{name.replace('_', ' ')} {'within bound' if ok else 'OUT of bound'}" for name, ok in checks.items()
    )
    streams, first = report.get("streams", 1), report.get("first_seed", 0)
    nucleus = f" --top-p {report['top_p']:g}" if report.get("top_p") is not None else ""
    compared = count_test_pieces(report["test_piece_count"])
    own_rate = "" if report.get("test_copy_rate") is None else f"{report['test_copy_rate']:.1%}"
    tolerances = sorted(set(CHECKED.values()))
    checked = " and ".join(name.replace("_", " ") for name in CHECKED)
    lines = [
        f"Generated music (`continuo report --model {report['model']} --events {report['events']} --streams {streams} "
        f"--temperature {report['temperature']:g}{nucleus} --seed {first}`, MusPy metrics; each generated stream "
        f"(seeds {first} to {first + streams - 1}) cut into stretches of {report['segment_events']} events (the median "
        f"test piece's length, at most the whole stream), against the {compared}):",
        "",
        *_seed_lines(report),
        "| statistic | generated | test pieces |",
        "|---|---|---|",
        *(f"| {n.replace('_', ' ')} | {report['generated'][n]:.3f} | {report['test_pieces'][n]:.3f} |" for n in names),
        f"| copy rate ({report['copy_run']}-note pitch runs found in the training split) | "
        f"{report['copy_rate']:.1%} | {own_rate} |",
        "",
        f"Bounds ({checked} within {'/'.join(f'{t:.0%}' for t in tolerances)} of the test pieces, copy rate at most "
        f"{COPY_BOUND:.0%}): {verdict}.",
        "",
    ]
    return "\n".join(lines)


def _near_row(label: str, scope: str, heads: Mapping[str, Any]) -> str:
    columns = [("pitch", "top1"), ("pitch", "bits"), ("duration", "top1"), ("shift", "top1"), WHOLE_EVENT]
    return f"| {label} | {scope} | " + " | ".join(figure(heads, *column) for column in columns) + " |"


def render_near_copies(name: str, near: Mapping[str, Any] | None) -> str:
    """`models/reports/NAME.near_copies.json`, or "not measured" when the file does not exist."""
    if near is None:
        return (
            f"Near-copies of training pieces in the test split: {NOT_MEASURED} "
            f"(no `models/reports/{name}.near_copies.json`).\n"
        )
    copies = near["near_copies"]
    total = near["test_pieces"]
    found = (
        f"{len(copies)} of the {total} test pieces are near-copies."
        if copies
        else f"No near-copy among the {count_test_pieces(total)}, so the test figures above stand as they are."
    )
    lines = [
        f"Near-copies of training pieces in the test split (`{near['command']}`): {near['definition']['text']} {found}",
        "",
    ]
    if not copies:
        return "\n".join(lines)
    lines += [
        "| test piece | training piece | shared |",
        "|---|---|---|",
        *(f"| {c['test_piece']} | {c['training_piece']} | {percent(c['shared_fraction'])} |" for c in copies),
        "",
    ]
    all_metrics, without = near["test_all"], near["test_without_near_copies"]
    lines += [
        "| predictor | test pieces | pitch top-1 | pitch bits | duration top-1, before the shift | shift top-1 "
        "| whole-event bits |",
        "|---|---|---|---|---|---|---|",
    ]
    for predictor in ("model", "5gram"):
        if without is None:
            lines.append(_near_row(predictor.replace("5gram", "5-gram"), f"all {total}", all_metrics[predictor]))
        elif predictor in all_metrics and predictor in without:
            label = predictor.replace("5gram", "5-gram")
            lines.append(_near_row(label, f"all {total}", all_metrics[predictor]))
            lines.append(_near_row(label, f"without the {len(copies)} near-copies", without[predictor]))
    return "\n".join([*lines, ""])
