"""`continuo report`: is the generated music like the composer's? Statistics side by side.

The musical metrics are MusPy's (pitch-class entropy, scale consistency, pitch range, polyphony),
computed the same way on both sides: the generated events and each test piece, all decoded by the
one codec, so quantisation cannot favour either. The copy rate is ours: the fraction of the
generated 8-note pitch runs found verbatim in the training split (a model that memorises scores
high there), printed beside the same fraction for the composer's unseen test pieces, because in dense
chordal music many 8-note runs are shared idiom (two cadence chords), not copying.

Each stream starts from a seed phrase, by default from the model's composer's seed bank, which
`continuo export --seeds` cuts from the opening of test pieces: the generated music is then compared
with test pieces that include the ones it was seeded with. The report records, per seed file, which part
of the split its piece belongs to, so the card can say so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from continuo.live.errors import ContinuoError
from continuo.live.music.codec import Codec, Event
from continuo.training.loader import Piece
from continuo.training.near_copies import RUN_LENGTH, pitch_runs, shared_fraction

RESOLUTION = 24  # MusPy time steps per beat: every class value is a whole number of them
COPY_RUN = RUN_LENGTH  # the copy rate counts the same pitch runs as the near-copy test
MUSIC_METRICS = ("pitch_class_entropy", "scale_consistency", "pitch_range", "polyphony")
TIMING_METRICS = ("mean_shift_beats", "mean_duration_beats")
CHECKED = {"pitch_class_entropy": 0.10, "scale_consistency": 0.10}  # relative tolerance of the acceptance
COPY_BOUND = 0.05  # the acceptance's highest copy rate


def _music(events: np.ndarray | Sequence[Sequence[int]], codec: Codec) -> Any:
    import muspy

    notes = codec.decode([Event(*map(int, e)) for e in events])
    track = muspy.Track(
        notes=[
            muspy.Note(round(n.onset * RESOLUTION), n.pitch, max(1, round(n.duration * RESOLUTION)), 64) for n in notes
        ]
    )
    return muspy.Music(resolution=RESOLUTION, tracks=[track])


def statistics(events: np.ndarray | Sequence[Sequence[int]], codec: Codec) -> dict[str, float]:
    try:
        import muspy
    except ImportError:
        raise ContinuoError("continuo report needs MusPy: pip install 'continuo[offline]'") from None
    music = _music(events, codec)
    found = {name: float(getattr(muspy, name)(music)) for name in MUSIC_METRICS}
    array = np.asarray(events)
    found["mean_shift_beats"] = float(np.mean([codec.shifts[s] for s in array[1:, 2]])) if len(array) > 1 else 0.0
    found["mean_duration_beats"] = float(np.mean([codec.durations[d] for d in array[:, 1]]))
    return found


def known_runs(pieces: Sequence[np.ndarray], length: int = COPY_RUN) -> set[tuple[int, ...]]:
    """Every `length`-note pitch run of the pieces: built once, checked against each generated stream."""
    return {run for events in pieces for run in pitch_runs(events, length, invariant=False)}


def copy_rate(generated: np.ndarray, known: set[tuple[int, ...]], length: int = COPY_RUN) -> float:
    """Fraction of the generated `length`-note pitch runs found among `known` (the training pieces' runs)."""
    return pieces_copy_rate([generated], known, length)


def pieces_copy_rate(pieces: Sequence[np.ndarray], known: set[tuple[int, ...]], length: int = COPY_RUN) -> float:
    """The same measure on the composer's own unseen pieces (runs within each piece, pooled): how much of it
    is idiom any music in those keys shares, not copying. Context only: the acceptance bound (COPY_BOUND) applies
    to the generated music's rate."""
    return shared_fraction([run for events in pieces for run in pitch_runs(events, length, invariant=False)], known)


@dataclass(frozen=True)
class Report:
    model: str
    seed: str
    temperature: float
    events: int
    segment_events: int
    generated: dict[str, float]
    test_pieces: dict[str, float]
    test_piece_count: int
    copy_rate: float
    top_p: float | None = None
    streams: int = 1
    first_seed: int | None = 0
    test_copy_rate: float | None = None  # None for a report file that does not record it
    # Each seed file that started a stream: its name, the bank it came from, how many streams it started, and
    # which part of this model's split the piece it was cut from belongs to ("train", "val", "test", or
    # "none" when no piece of the model's corpus has its name). None for a report file that does not record it.
    seed_pieces: list[dict[str, Any]] | None = None

    def checks(self) -> dict[str, bool]:
        """The acceptance: entropy and scale consistency within CHECKED's tolerances, copy rate at most COPY_BOUND."""
        passed = {
            name: abs(self.generated[name] - self.test_pieces[name]) <= tolerance * abs(self.test_pieces[name])
            for name, tolerance in CHECKED.items()
        }
        passed["copy_rate"] = self.copy_rate <= COPY_BOUND
        return passed

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "seed": self.seed, "temperature": self.temperature, "top_p": self.top_p,
            "events": self.events, "streams": self.streams,
            "first_seed": self.first_seed,
            "segment_events": self.segment_events, "generated": self.generated, "test_pieces": self.test_pieces,
            "test_piece_count": self.test_piece_count, "copy_rate": self.copy_rate, "copy_run": COPY_RUN,
            "test_copy_rate": self.test_copy_rate, "seed_pieces": self.seed_pieces,
            "checks": self.checks(),
        }  # fmt: skip

    def lines(self) -> list[str]:
        nucleus = "" if self.top_p is None else f", top-p {self.top_p:g}"
        rows = [
            f"{self.model}: {self.streams} x {self.events} events at temperature {self.temperature:g}{nucleus}, "
            f"seeds {self.seed}"
        ]
        rows.append(
            f"statistics: mean over {self.streams * (self.events // self.segment_events)} generated stretches of "
            f"{self.segment_events} events (the median test piece's length, at most the whole stream) vs the "
            f"{self.test_piece_count} test pieces"
        )
        rows.append(f"{'':24}{'generated':>12}{'test pieces':>14}")
        for name in (*MUSIC_METRICS, *TIMING_METRICS):
            rows.append(f"{name:24}{self.generated[name]:12.3f}{self.test_pieces[name]:14.3f}")
        own = "" if self.test_copy_rate is None else f"{self.test_copy_rate:14.1%}"
        rows.append(f"{'copy rate (8-note runs)':24}{self.copy_rate:12.1%}{own}")
        if self.seed_pieces:
            rows.append(
                "seeded from: "
                + ", ".join(f"{s['file']} ({s['split']} piece, {s['streams']} streams)" for s in self.seed_pieces)
            )
        verdict = ", ".join(f"{k} {'ok' if v else 'MISSES'}" for k, v in self.checks().items())
        rows.append(f"checks: {verdict}")
        return rows


def mean_statistics(pieces: Sequence[Piece], codec: Codec) -> dict[str, float]:
    """Each test piece's statistics, averaged with each piece weighted by its number of events."""
    weights = np.array([len(p) for p in pieces], dtype=np.float64)
    per_piece = [statistics(p.events, codec) for p in pieces]
    return {name: float(np.average([s[name] for s in per_piece], weights=weights)) for name in per_piece[0]}


def seed_pieces(seed_names: Sequence[str], parts: Mapping[str, Sequence[Piece]]) -> list[dict[str, Any]]:
    """Where each stream's seed came from, in order of first use. The generator names a bank seed
    "FILE (COMPOSER seed bank)"; a bank file is named after the piece it was cut from (export/seeds.py), so
    the stem finds that piece in the model's split (`parts`: train, val, test), or "none" when it is not there."""
    where = {Path(piece.name).stem: part for part, pieces in parts.items() for piece in pieces}
    counts = Counter(seed_names)
    found = []
    for name in dict.fromkeys(seed_names):
        file, _, bank = name.partition(" (")
        found.append(
            {
                "file": Path(file).name,
                "bank": bank.removesuffix(" seed bank)") or None,
                "streams": counts[name],
                "split": where.get(Path(file).stem, "none"),
            }
        )
    return found


def make_report(
    model_name: str,
    data: Path,
    events: int,
    seed_composer: str | None,
    temperature: float,
    seed: int | None,
    top_p: float | None = None,
    streams: int = 1,
) -> Report:
    """Generate `streams` streams (seeds seed, seed+1, ...) and compare their stretches with the test pieces.

    One stream's key wanderings vary a lot from seed to seed; several streams give a steadier figure."""
    from continuo.live.model.model_file import load_model
    from continuo.live.offline.generate import GenerateRequest, generate
    from continuo.training.evaluate import rebuild_split

    model = load_model(model_name)
    split = rebuild_split(model, data)
    if not split.test:
        raise ContinuoError(f"model {model.info.name} has no test pieces to compare with")
    codec = model.info.codec
    # Like with like: each generated stream is cut into stretches as long as a typical test piece (a
    # key's statistics over 2000 events of wandering music would not compare with one chorale's).
    length = max(COPY_RUN, min(events, int(np.median([len(p) for p in split.test]))))
    seeds = [None] * streams if seed is None else [seed + i for i in range(streams)]
    stretches: list[np.ndarray] = []
    copied: list[float] = []
    seed_names: list[str] = []
    used: list[str] = []
    known = known_runs([p.events for p in split.train])
    for stream_seed in seeds:
        request = GenerateRequest(
            model=model_name,
            seed_composer=seed_composer,
            events=events,
            temperature=temperature,
            seed=stream_seed,
            top_p=top_p,
        )
        result = generate(request)
        generated = np.array([tuple(e) for e in result.events], dtype=np.int64)
        stretches += [generated[i : i + length] for i in range(0, len(generated) - length + 1, length)] or [generated]
        copied.append(copy_rate(generated, known))
        seed_names.append(f"{stream_seed}: {result.seed_name}")
        used.append(result.seed_name)
    return Report(
        model=model.info.name,
        seed="; ".join(seed_names),
        temperature=temperature,
        events=events,
        segment_events=length,
        generated=mean_statistics([Piece("generated", s, "") for s in stretches], codec),
        test_pieces=mean_statistics(split.test, codec),
        test_piece_count=len(split.test),
        copy_rate=float(np.mean(copied)),
        test_copy_rate=pieces_copy_rate([p.events for p in split.test], known),
        top_p=top_p,
        streams=streams,
        first_seed=seed,
        seed_pieces=seed_pieces(used, split.parts()),
    )
