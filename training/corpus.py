"""Build per-composer MIDI folders from the corpus that ships inside the music21 package.

Parsing scores is slow, so files already written are kept and skipped on the next run: the
folder is the cache.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from continuo.live.errors import ContinuoError
from continuo.live.files import written_together

DEFAULT_COMPOSERS = ("bach", "palestrina", "monteverdi", "beethoven", "mozart", "haydn")
# Roman-numeral analyses are harmony, not notes to learn from.
SKIPPED_SUFFIXES = {".rntxt": "harmonic analysis (.rntxt), not a score"}


@dataclass
class CorpusSummary:
    written: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def composer_sources(composer: str) -> list[Path]:
    from music21 import corpus

    return sorted(Path(p) for p in corpus.getComposer(composer))


def _output_name(source: Path, composer: str) -> str:
    """bach/bwv1.6.mxl -> bwv1.6; beethoven/opus18no1/movement1.mxl -> opus18no1_movement1."""
    parts = source.with_suffix("").parts
    tail = parts[parts.index(composer) + 1 :] if composer in parts else parts[-1:]
    return "_".join(tail)


def _without_repeats(score: Any) -> Any:
    """The score with repeat barlines and jumps removed, played through once.

    music21 expands repeats before writing MIDI and gives up on badly formed ones; the notes are
    still worth learning from, so those scores are written once through instead of skipped.
    """
    from music21 import bar, repeat, stream

    for measure in score.recurse().getElementsByClass(stream.Measure):
        if isinstance(measure.leftBarline, bar.Repeat):
            measure.leftBarline = None
        if isinstance(measure.rightBarline, bar.Repeat):
            measure.rightBarline = bar.Barline("regular")
    for mark in list(score.recurse().getElementsByClass(repeat.RepeatMark)):
        if mark.activeSite is not None:
            mark.activeSite.remove(mark)
    return score


def _write_midi(score: Any, target: Path) -> bool:
    """Write one score (whole or not at all); True if its repeats had to be dropped to do so."""
    from music21.repeat import ExpanderException

    with written_together(target) as (partial,):
        try:
            score.write("midi", fp=str(partial))
            return False
        except ExpanderException:
            _without_repeats(score).write("midi", fp=str(partial))
            return True


def _convert(job: tuple[str, str, str]) -> tuple[str, list[str], str | None, int]:
    """Parse one score (or a collection of scores) and write each as MIDI; runs in a worker."""
    source, stem, out_dir = job
    from music21 import converter, stream

    try:
        parsed = converter.parse(source)
        scores = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
        written, once_through = [], 0
        for index, score in enumerate(scores):
            name = stem if len(scores) == 1 else f"{stem}_{index + 1:03d}"
            target = Path(out_dir) / f"{name}.mid"
            once_through += _write_midi(score, target)
            written.append(str(target))
        return source, written, None, once_through
    except Exception as error:  # music21 raises many types on odd encodings; each is one skipped file
        return source, [], f"{type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}", 0


def build_corpus(composers: Sequence[str], out: Path, max_pieces: int | None = None, workers: int = 2) -> CorpusSummary:
    from tqdm import tqdm

    summary = CorpusSummary()
    jobs: list[tuple[str, str, str, str]] = []
    for composer in composers:
        sources = composer_sources(composer)
        if not sources:
            raise ContinuoError(f"composer {composer!r} has no pieces in the music21 corpus")
        target = out / composer
        target.mkdir(parents=True, exist_ok=True)
        usable = [source for source in sources if source.suffix.lower() not in SKIPPED_SUFFIXES]
        for suffix, reason in SKIPPED_SUFFIXES.items():
            count = sum(source.suffix.lower() == suffix for source in sources)
            if count:
                summary.skipped[composer] += count
                summary.reasons.append(f"{composer}: {count} × {reason}")
        stems: set[str] = set()
        encodings = 0
        for source in usable[:max_pieces]:
            stem = _output_name(source, composer)
            if stem in stems:  # the same work in a second format (.krn beside .mxl): near-duplicate music
                encodings += 1
                continue
            stems.add(stem)
            if (target / f"{stem}.mid").exists() or any(target.glob(f"{stem}_[0-9][0-9][0-9].mid")):
                summary.kept[composer] += 1
            else:
                jobs.append((composer, str(source), stem, str(target)))
        if encodings:
            summary.skipped[composer] += encodings
            summary.reasons.append(f"{composer}: {encodings} × another encoding of a work already taken")
    if jobs:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = pool.map(_convert, [job[1:] for job in jobs], chunksize=4)
            bar = tqdm(zip(jobs, results), total=len(jobs), unit="score", file=sys.stderr, disable=None)
            for (composer, *_), (source, written, error, once_through) in bar:
                bar.set_postfix_str(composer)
                if error:
                    summary.skipped[composer] += 1
                    summary.reasons.append(f"{composer}/{Path(source).name}: {error}")
                else:
                    summary.written[composer] += len(written)
                if once_through:
                    summary.notes.append(f"{composer}/{Path(source).name}: written once through (bad repeat marks)")
    return summary
