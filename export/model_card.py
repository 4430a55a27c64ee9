"""Render `models/MODEL_CARD.md` from the shipped files' own metadata and their committed reports, so the card
cannot drift and holds no figure typed by hand.

`continuo models --card > models/MODEL_CARD.md` regenerates it; a test checks the committed card equals
what the shipped files and `models/reports/*.json` say. The summary and the per-report sections are in
card_summary, the seed spreads and quality bar in card_spread, the shared prose in card_text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from continuo.export.card_artifacts import Artifacts
from continuo.export.card_spread import duration_score, event_bits, render_format_comparison, render_seed_spread
from continuo.export.card_summary import count_test_pieces, render_near_copies, render_report, summary_table
from continuo.export.card_text import LICENCE, failure_modes, selection
from continuo.live.music.codec import FIELDS
from continuo.training.scoring import MEASURES, measure_text
from continuo.training.windows import DEFAULT_TRANSPOSE


def _cells(head: Mapping[str, Any]) -> str:
    """One head's measures, in the columns the header gives them."""
    return " | ".join(measure_text(head[measure], measure) for measure in MEASURES)


def metrics_rows(metrics: Mapping[str, Any]) -> list[str]:
    """The Markdown table rows for one model: predictor, then top-1 / top-5 / bits per head.

    The model's duration is scored before the shift is known, like the baselines' (which never see it); a
    format-2 model's duration in the row of the true shift follows as a row of its own, marked diagnostic."""
    model = dict(metrics["model"], duration=duration_score(metrics["model"]))
    predictors = [("model", model), ("unigram", metrics["unigram"]), ("5-gram", metrics["5gram"])]
    if "leak_check" in metrics:
        leak = metrics["leak_check"]
        label = "leak check: same model, random-window split"
        if "epochs" in leak:
            label += f", {leak['epochs']} epochs"
        predictors.append((label, dict(leak["model"], duration=duration_score(leak["model"]))))
    rows = [
        f"| {label} | " + " | ".join(_cells(heads[field]) for field in FIELDS) + " |" for label, heads in predictors
    ]
    if "duration_marginal" in metrics["model"]:
        blank = " |" * len(MEASURES)  # the pitch head's empty columns before the duration's, the shift's after
        rows.append(
            f"| diagnostic: model, duration given the true shift |{blank} {_cells(metrics['model']['duration'])} |"
            + blank
        )
    return rows


def _fine_tuning(training: Mapping[str, Any], composer: str) -> list[str]:
    base = training.get("init_from")
    if not base:
        return []
    chain = f"the `{base['name']}` run (`{base['run']}`)"
    if base["name"] == composer:  # the same corpus, trained again with other options from where it ended
        spent = f" ({base['train_seconds'] / 60:.1f} min)" if "train_seconds" in base else ""
        return [
            f"- Fine-tuned from {chain}, a run of this composer's corpus with other options (`train` checked by "
            "piece digest that neither it nor any run it started from trained or validated on this run's test "
            f"pieces), so the test split stays unseen. The training time above is the fine-tuning only; the base "
            f"run's{spent} comes first."
        ]
    corpora = "another composer's corpus, which holds"  # and `train` checked the pieces by digest
    if "itself_from" in base:
        chain += f", itself fine-tuned from the `{base['itself_from']['name']}` run (`{base['itself_from']['run']}`)"
        if base["itself_from"]["name"] != base["name"]:
            corpora = "other composers' corpora, which hold"
    return [
        f"- Fine-tuned from {chain}: trained first on {corpora} none of this model's pieces, so the test split "
        "stays unseen. The training time above is the fine-tuning only; the base run's is its own."
    ]


def _training_notes(training: Mapping[str, Any], metrics: Mapping[str, Any]) -> list[str]:
    notes = []
    if "train_seconds_from" in training:
        notes.append(
            f"- The fit's process stopped before its evaluation, which `{training['finished_by']}` did later without "
            f"retraining; the training time is measured from {training['train_seconds_from']}."
        )
    transpose = training.get("transpose", DEFAULT_TRANSPOSE)
    if transpose == 0:
        notes.append(
            "- Trained without transposition (`--transpose 0`): it keeps to the keys of its composer's pieces, "
            "which holds its generated music in key (report below), but it scores lower on its test split than "
            "with transposition, and may follow a performer in a key its pieces never use less well (not measured)."
        )
    elif transpose < DEFAULT_TRANSPOSE:
        notes.append(
            f"- Trained with transposition up to ±{transpose} semitones, not the default ±{DEFAULT_TRANSPOSE}: with "
            f"±{DEFAULT_TRANSPOSE} the model treats every key alike and its generated music drifts between keys; "
            f"with ±{transpose} it keeps near its composer's keys (report below). A performer far from those keys "
            "may be followed less well (not measured)."
        )
    if "leak_check" in metrics and "--no-leak-check" in training["command"].split():
        notes.append("- The leak check was trained afterwards, by `continuo evaluate --run RUN --leak-check`.")
    leak_epochs = metrics.get("leak_check", {}).get("epochs")
    if leak_epochs is not None and leak_epochs < training["best_epoch"]:
        notes.append(
            f"- The leak check trained {leak_epochs} epochs, fewer than the model's {training['best_epoch']}: it "
            "understates what a random-window split would claim."
        )
    return notes


def _format_notes(metadata: Mapping[str, Any]) -> list[str]:
    metrics = metadata["metrics"]
    version = metadata.get("continuo_format", 1)
    whole = (
        f"The whole event (all three fields) costs {event_bits(metrics['model']):.2f} bits against the 5-gram's "
        f"{event_bits(metrics['5gram']):.2f}."
    )
    if version != 2:
        return [f"- Format {version}: pitch, duration and shift are drawn independently. {whole}"]
    return [
        "- Format 2: the engine draws the shift, then the duration from the row of logits for that shift, so a "
        "note's length is chosen knowing where the note itself falls (in the same chord as the note before it "
        "or later, on or off the beat), though not where the next note will fall; the pitch is drawn "
        "independently of both. The engine draws a sampled shift, so the duration is scored as it is drawn "
        "before the shift is known (the rows mixed by the model's own shift distribution): the model row below. "
        "The diagnostic row scores it in the row of the true shift, which the engine never has: it shows how "
        f"much the shift tells the duration, and is not the duration score. {whole} With the duration given the "
        "true shift, this sum is the model's cost of the whole event."
    ]


def render_model(name: str, metadata: Mapping[str, Any], size_bytes: int) -> str:
    corpus = metadata["corpus"]
    training = metadata["training"]
    metrics = metadata["metrics"]
    pieces, events = corpus["pieces"], corpus["events"]
    header = "| predictor | " + " | ".join(f"{f} {label}" for f in FIELDS for label in MEASURES.values()) + " |"
    lines = [
        f"## {name}",
        "",
        f"- Composer: {metadata['composer']}; file `models/{name}.onnx`, {size_bytes / 1e6:.1f} MB, float32 weights.",
        f"- Corpus: {corpus['files']} files read, {corpus['skipped']} skipped, "
        f"{corpus['duplicates_removed']} duplicates removed.",
        f"- Split by piece (seed {metadata['split_seed']}): train {pieces['train']} pieces / {events['train']} events, "
        f"validation {pieces['val']} / {events['val']}, test {pieces['test']} / {events['test']}.",
        f"- Training: {training['epochs_run']} epochs (best {training['best_epoch']}), "
        f"{training['train_seconds'] / 60:.1f} min on this 2-core CPU; `{training['command']}`.",
        *_fine_tuning(training, metadata["composer"]),
        *_training_notes(training, metrics),
        f"- Pitch range seen in training: {metadata['pitch_range'][0]}-{metadata['pitch_range'][1]}; "
        f"Keras-vs-ONNX max |Δlogit| {metadata['parity']['max_abs_logit_difference']:.1e}.",
        *_format_notes(metadata),
        "",
        f"Test split, {count_test_pieces(metrics['pieces'])}, {metrics['events']} events:",
        "",
        header,
        "|" + "---|" * (1 + len(MEASURES) * len(FIELDS)),
        *metrics_rows(metrics),
        "",
    ]
    return "\n".join(lines)


def render_card(models: Mapping[str, tuple[Mapping[str, Any], int]], artifacts: Artifacts | None = None) -> str:
    """The whole card: the summary of all models, one section per model (metadata, file size, seed spread,
    earlier format, musical report, near-copies), then how the options were chosen, licence, failure modes."""
    found = artifacts or Artifacts()
    metadata = {name: entry[0] for name, entry in models.items()}
    parts = [
        "# Continuo model card",
        "",
        "Generated by `continuo models --card` from each shipped file's metadata and the committed reports in "
        "`models/reports/`; do not edit by hand.",
        "Every figure is on the model's own **test split by piece**, beside baselines fitted on its training split.",
        "",
    ]
    if not models:
        parts += ["No models ship with this build yet.", ""]
    else:
        parts.append(summary_table(metadata, found))
    for name in sorted(models):
        info, size = models[name]
        parts.append(render_model(name, info, size))
        if name in found.spreads:
            parts.append(render_seed_spread(found.spreads[name]))
            if name in found.format1_spreads:
                parts.append(
                    render_format_comparison(
                        found.spreads[name],
                        found.format1_spreads[name],
                        found.reports.get(name),
                        found.format1_reports.get(name),
                    )
                )
        if name in found.reports:
            parts.append(render_report(found.reports[name]))
        parts.append(render_near_copies(name, found.near_copies.get(name)))
    parts += [selection(metadata), LICENCE, failure_modes(metadata, found.reports)]
    return "\n".join(parts)
