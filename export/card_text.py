"""The model card's sections shared by all models: how the options were chosen, the licence, the failure modes.

The few numbers in them are read from the code that defines them (the codec's largest classes, the window,
the copy run, the transposition the design asks for) or from the models' metadata, never typed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from continuo.live.music.codec import Codec
from continuo.training.report import COPY_RUN
from continuo.training.windows import DEFAULT_TRANSPOSE

LICENCE = """\
## Licence of the training data

Every model is trained on the corpus that ships inside the music21 package (`continuo corpus`). The
compositions are in the public domain; the encodings are not all under one licence: music21 distributes its
corpus for research and education, and some encodings (for example parts of the Humdrum/KernScores and
Palestrina collections) carry non-commercial terms. Treat the models as trained on non-commercial data:
check the music21 corpus licence before any commercial use of a model or of music it generates.
"""


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def selection(models: Mapping[str, Mapping[str, Any]]) -> str:
    """How the shipped options were chosen; the validation split sizes are read from each model's metadata."""
    smallest = min(models.items(), key=lambda item: item[1]["corpus"]["pieces"]["val"], default=None)
    smallest_note = (
        ""
        if smallest is None
        else f" ({smallest[0]}'s validation split is {_count(smallest[1]['corpus']['pieces']['val'], 'piece')})"
    )
    return f"""\
## How the shipped options were chosen

The base run (Palestrina from scratch, ±{DEFAULT_TRANSPOSE} transposition) was trained once. The other choices were
made among a few variants looking at **test-split** figures: Bach fine-tuned from Palestrina rather than trained
from scratch (test pitch top-1), and the transposition range, base run and dropout of the other models (their
musical report, which compares generated music with the test pieces). So those figures are not untouched
held-out ones. Where it was checked (palestrina, beethoven, haydn), the validation pieces rank the variants the
same way{smallest_note}; the
training recipe (`training/recipes/ship_models.sh`) lists the variants tried.
"""


def _key_wandering(reports: Mapping[str, Mapping[str, Any]]) -> str:
    """Which models' generated music is less in key than their test pieces, from their musical reports."""
    lower = [
        n
        for n, r in sorted(reports.items())
        if r["generated"]["scale_consistency"] < r["test_pieces"]["scale_consistency"]
    ]
    higher = sorted(set(reports) - set(lower))
    if not reports:
        return "Not measured: no musical report ships."
    return (
        f"Measured over stretches as long as a test piece, the generated music's scale consistency is below its test "
        f"pieces' for {', '.join(lower) or 'no model'}" + (f", not for {', '.join(higher)}" if higher else "") + ": "
        "below means it wanders between keys more than the composer does."
    )


def failure_modes(models: Mapping[str, Mapping[str, Any]], reports: Mapping[str, Mapping[str, Any]]) -> str:
    codec = Codec()
    windows = sorted({int(metadata["window"]) for metadata in models.values()})
    window = " or ".join(str(w) for w in windows) or "?"
    return f"""\
## Known failure modes (all models)

- Timing is a class table, not performance time: no rubato, no swing, durations clamp at {max(codec.durations):g} beats
  and a shift of more than {max(codec.shifts):g} beats (a long rest) becomes {max(codec.shifts):g}.
- The pitch is drawn independently of the timing given the context, and a format-1 model (each model's
  section names its format) draws the duration independently of the shift too. In either format a chord's
  rhythm can come apart (a note of a chord lasting much longer than the others): a format-2 duration knows
  whether its note joins the chord before it, but not where the next note will fall.
- The window is {window} events: form beyond a few bars (returns, cadence plans, key areas) is not modelled.
  {_key_wandering(reports)}
- Small corpora (a handful of pieces): a model's test figures rest on very few pieces there; see the piece
  counts in the summary before trusting them.
- The copy rate counts {COPY_RUN}-note pitch runs, which in chordal music are often two shared chords: read it
  beside the same rate for the composer's own unseen test pieces (second column), not as plagiarism alone.
- The musical reports start each stream from the opening of a piece in the composer's seed bank, cut from
  test pieces: the generated music is compared with test pieces that include the ones that seeded it (each
  report names its seeds and the split they belong to).
- Velocity is not modelled: the engine plays the velocity it is given.
"""
