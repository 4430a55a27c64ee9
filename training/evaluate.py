"""`continuo evaluate`: score a model on its test split, beside baselines fitted on its training split.

A run folder (`--run`, Keras) or an exported file (`--model X.onnx --data DIR`) is scored the same
way; for a file, the split is rebuilt from the piece digests stored in its metadata.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from continuo.live.errors import ContinuoError
from continuo.live.music.codec import FIELDS, PITCH_CLASSES, Codec
from continuo.training.loader import load_folder
from continuo.training.runfolder import RunFolder
from continuo.training.scoring import (
    MEASURES,
    HeadScore,
    LogitsFunction,
    fit_ngrams,
    measure_text,
    percent,
    score_model,
    score_ngrams,
)
from continuo.training.split import Split

NGRAM_ORDER = 5
#: The baselines are fitted on the model's training pieces found again in the data folder; with more than
#: this fraction missing they would no longer be the baselines the model was reported beside.
MAX_MISSING_TRAIN = 0.1


def evaluate_split(logits: LogitsFunction, split: Split, codec: Codec, window: int) -> dict[str, Any]:
    vocabularies = {"pitch": PITCH_CLASSES, "duration": codec.n_durations, "shift": codec.n_shifts}
    scores: dict[str, dict[str, HeadScore]] = {
        "model": score_model(logits, split.test, window),
        "unigram": score_ngrams(fit_ngrams(split.train, 1, vocabularies), split.test),
        f"{NGRAM_ORDER}gram": score_ngrams(fit_ngrams(split.train, NGRAM_ORDER, vocabularies), split.test),
    }
    return {
        "split": "test",
        "pieces": len(split.test),
        "events": int(sum(len(p) for p in split.test)),
        **{name: {field: s.as_dict() for field, s in heads.items()} for name, heads in scores.items()},
    }


def evaluate_run(path: Path) -> dict[str, Any]:
    """Fresh scores from the saved model and pieces; the leak check is read from training's record."""
    from continuo.training.model import ModelConfig, keras_logits

    run = RunFolder(path)
    info = run.read_json("run.json")
    split = run.read_split()
    model = run.load_model()
    metrics = evaluate_split(keras_logits(model), split, Codec.from_json(info["codec"]), int(info["config"]["window"]))
    stored = run.read_json("metrics.json") if (path / "metrics.json").exists() else {}
    if "leak_check" in stored:
        metrics["leak_check"] = stored["leak_check"]
        metrics["leak_check_source"] = f"copied from {path / 'metrics.json'}, not re-measured by this command"
    metrics["name"] = info["name"]
    metrics["seed"] = info["seed"]
    metrics["command"] = info["command"]
    metrics["recipe"] = {key: info.get(key) for key in ("transpose", "init_from", "epochs_requested")} | {
        "config": ModelConfig(**info["config"]).as_dict()  # a field added later reads back as its default
    }
    return metrics


def seed_spread(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The same recipe trained with several seeds (each its own split): every run's test scores and the mean,
    because one seed's figures can be a lucky draw."""
    names = {run["name"] for run in runs}
    if len(names) != 1:
        raise ContinuoError(f"a seed spread compares runs of one model, got {', '.join(sorted(names))}")
    seeds = [run["seed"] for run in runs]
    if len(set(seeds)) != len(seeds):
        raise ContinuoError(f"a seed spread needs runs of different seeds, got seeds {seeds}")
    if any(run.get("recipe") != runs[0].get("recipe") for run in runs):
        raise ContinuoError("a seed spread compares one recipe: these runs differ in options or base run")
    heads = [*FIELDS] + (["duration_marginal"] if all("duration_marginal" in run["model"] for run in runs) else [])
    mean = {
        head: {measure: sum(run["model"][head][measure] for run in runs) / len(runs) for measure in MEASURES}
        for head in heads
    }
    keep = ("seed", "command", "pieces", "events", "model", "5gram")
    return {"name": names.pop(), "runs": [{key: run[key] for key in keep} for run in runs], "mean": mean}


def spread_lines(spread: dict[str, Any]) -> list[str]:
    title = f"{spread['name']}: {len(spread['runs'])} training seeds, each scored on its own test split"
    rows = [(f"seed {run['seed']}", run["model"]) for run in spread["runs"]] + [("mean", spread["mean"])]
    return _table(title, rows) + _duration_note(spread["mean"])


def _duration_note(heads: dict[str, Any]) -> list[str]:
    """Format 2 scores the duration in the row of the true shift, which the engine never has (it draws a shift):
    that is a diagnostic; the duration's score is the one before the shift is known."""
    before = heads.get("duration_marginal")
    if not before:
        return []
    return [
        "format 2: the duration columns above are scored given the true shift (a diagnostic: the engine draws a "
        f"sampled shift); the duration's score, before the shift is known: top-1 {percent(before['top1'])}, "
        f"top-5 {percent(before['top5'])}, {before['bits']:.2f} bits"
    ]


def _table(title: str, rows: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """A fixed-width table: the title, then one row per label, top-1 / top-5 / bits for each head."""
    widths = dict(zip(MEASURES, (12, 8, 7)))  # a head's three columns span its 27-character heading
    header = f"{'':<24}" + "".join(f"{field + ' ' + '/'.join(MEASURES):>27}" for field in FIELDS)
    lines = [title, header]
    for label, heads in rows:
        cells = "".join(f"{measure_text(heads[f][m], m):>{widths[m]}}" for f in FIELDS for m in MEASURES)
        lines.append(f"{label:<24}{cells}")
    return lines


def evaluate_model_file(model_path: str, data: Path) -> dict[str, Any]:
    """Score an exported model on the test pieces named in its metadata, found again in `data`."""
    from continuo.live.model.model_file import load_model

    model = load_model(model_path)
    info = model.info
    split, fitted_on = recorded_split(model, data)
    metrics = evaluate_split(model.logits, split, info.codec, info.window)
    metrics["baselines_fitted_on"] = fitted_on
    if "leak_check" in info.metadata.get("metrics", {}):
        metrics["leak_check"] = info.metadata["metrics"]["leak_check"]
        metrics["leak_check_source"] = f"copied from the metadata of {model.path} (its run's metrics), not re-measured"
    metrics["name"] = info.name
    return metrics


def evaluate_near_copies(model_path: str, data: Path, command: str) -> dict[str, Any]:
    """The test scores with and without the test pieces that are near-copies of training pieces."""
    from continuo.live.model.model_file import load_model
    from continuo.training.near_copies import definition, find_near_copies, without

    model = load_model(model_path)
    info = model.info
    split, _ = recorded_split(model, data)
    copies = find_near_copies(split.train, split.test)
    kept = Split(split.train, split.val, without(split.test, copies))

    def scores(part: Split) -> dict[str, Any] | None:
        return evaluate_split(model.logits, part, info.codec, info.window) if part.test else None

    return {
        "definition": definition(),
        "test_pieces": len(split.test),
        "near_copies": [copy.as_dict() for copy in copies],
        "test_all": scores(split),
        "test_without_near_copies": scores(kept),
        "command": command,
    }


def near_copies_lines(report: dict[str, Any]) -> list[str]:
    copies = report["near_copies"]
    lines = [report["definition"]["text"], f"{len(copies)} of {report['test_pieces']} test pieces are near-copies"]
    lines += [
        f"  {c['test_piece']}: {c['shared_fraction']:.0%} shared; most with {c['training_piece']}" for c in copies
    ]
    for key, title in (("test_all", "all test pieces"), ("test_without_near_copies", "without the near-copies")):
        part = report[key]
        if part is None:
            lines.append(f"{title}: no test piece left to score")
            continue
        rows = [(name, part[name]) for name in ("model", f"{NGRAM_ORDER}gram")]
        lines += _table(f"{title}: {part['pieces']} pieces, {part['events']} events", rows)
    return lines


def rebuild_split(model: Any, data: Path) -> Split:
    """The model's train/val/test pieces, found again in `data` by the digests its metadata records."""
    return recorded_split(model, data)[0]


def recorded_split(model: Any, data: Path) -> tuple[Split, dict[str, Any]]:
    """The split (see rebuild_split) and which training pieces the baselines can be fitted on.

    Every test piece must be found. Training pieces may be missing from a corpus rebuilt by another music21
    version; a few are named on stderr (by digest: the metadata records no file names), more than
    MAX_MISSING_TRAIN of them, or all, refuse."""
    info = model.info
    digests = info.metadata.get("split_digests")
    if not digests:
        raise ContinuoError(f"model file {model.path} records no split digests, so its test split cannot be rebuilt")
    if not Path(data).is_dir():
        raise ContinuoError(f"data folder {data} does not exist (make it with: continuo corpus --out data)")
    pieces, _ = load_folder(data, info.codec)
    by_digest = {piece.digest: piece for piece in pieces}
    parts = {name: [by_digest[d] for d in digests[name] if d in by_digest] for name in ("train", "val", "test")}
    missing = len(digests["test"]) - len(parts["test"])
    if missing:
        raise ContinuoError(
            f"{data} lacks {missing} of the model's {len(digests['test'])} test pieces: "
            "is it the corpus the model was trained on?"
        )
    recorded = len(digests["train"])
    lacking = [d for d in digests["train"] if d not in by_digest]
    if lacking and (not parts["train"] or len(lacking) > MAX_MISSING_TRAIN * recorded):
        raise ContinuoError(
            f"{data} lacks {len(lacking)} of the model's {recorded} training pieces (more than "
            f"{MAX_MISSING_TRAIN:.0%}): baselines fitted on the rest would not be the model's; is it the right corpus?"
        )
    if lacking:
        print(
            f"warning: {data} lacks {len(lacking)} of the model's {recorded} training pieces (digests "
            f"{', '.join(d[:12] for d in lacking)}); the baselines are fitted on the other {len(parts['train'])}",
            file=sys.stderr,
        )
    fitted_on = {"train_pieces": len(parts["train"]), "train_pieces_recorded": recorded, "missing_digests": lacking}
    return Split(parts["train"], parts["val"], parts["test"]), fitted_on


def summary_lines(metrics: dict[str, Any]) -> list[str]:
    """One row per predictor: the model, the baselines, the leak check."""
    rows = [(name, metrics[name]) for name in ("model", "unigram", f"{NGRAM_ORDER}gram") if name in metrics]
    if "leak_check" in metrics:
        rows.append(("leak check (random win)", metrics["leak_check"]["model"]))
    lines = _table(f"test split: {metrics['pieces']} pieces, {metrics['events']} events", rows)
    if "leak_check_source" in metrics:
        lines.append(f"leak check: {metrics['leak_check_source']}")
    fitted = metrics.get("baselines_fitted_on")
    if fitted:
        missing = len(fitted["missing_digests"])
        lines.append(
            f"baselines fitted on {fitted['train_pieces']} of the model's {fitted['train_pieces_recorded']} "
            f"training pieces" + (f" ({missing} not found in the data)" if missing else "")
        )
    lines += _duration_note(metrics["model"])
    return lines


def print_report(metrics: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(metrics))
    else:
        print("\n".join(summary_lines(metrics)))
