"""Load a folder of MIDI files into encoded pieces, skipping bad files without stopping the run.

Identical pieces (same events, whatever the file bytes) are kept once: a duplicate that
landed on both sides of the split would leak test music into training.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from continuo.live.errors import ContinuoError
from continuo.live.music.codec import Codec
from continuo.live.music.midifile import MidiReadError, read_notes

MIDI_SUFFIXES = {".mid", ".midi"}
MIN_EVENTS = 2  # one event gives nothing to predict


@dataclass(frozen=True)
class Piece:
    """One piece of music as codec events, shape (n, 3): pitch, duration class, shift class."""

    name: str
    events: np.ndarray
    digest: str

    def __len__(self) -> int:
        return len(self.events)


@dataclass
class LoadReport:
    files: int = 0
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def describe(self, first: int = 5) -> str:
        lines = [f"{self.files} MIDI files, {len(self.skipped)} skipped, {self.duplicates} duplicates removed"]
        lines += [f"  skipped {name}: {reason}" for name, reason in self.skipped[:first]]
        if len(self.skipped) > first:
            lines.append(f"  ... and {len(self.skipped) - first} more skipped")
        return "\n".join(lines)


def events_digest(events: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(events, dtype=np.int16).tobytes()).hexdigest()


def find_midi_files(folder: Path) -> list[Path]:
    """Every .mid/.midi below the folder, any case, in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())


def encode_file(path: Path, codec: Codec) -> np.ndarray:
    notes = read_notes(path).notes
    return np.array(codec.encode(notes), dtype=np.int16).reshape(-1, 3)


def load_folder(
    folder: str | Path, codec: Codec, max_pieces: int | None = None, progress: bool = True
) -> tuple[list[Piece], LoadReport]:
    """Pieces from every readable file; raise ContinuoError only when none is usable."""
    from tqdm import tqdm

    root = Path(folder)
    if not root.is_dir():
        raise ContinuoError(f"data folder {root} does not exist or is not a folder")
    paths = find_midi_files(root)
    if max_pieces is not None:
        paths = paths[:max_pieces]
    report = LoadReport(files=len(paths))
    pieces: list[Piece] = []
    seen: set[str] = set()
    bar = tqdm(paths, unit="file", desc=f"reading {root.name}", file=sys.stderr, disable=None if progress else True)
    for path in bar:
        name = str(path.relative_to(root))
        try:
            events = encode_file(path, codec)
        except MidiReadError as error:
            report.skipped.append((name, str(error)))
            continue
        if len(events) < MIN_EVENTS:
            report.skipped.append((name, f"only {len(events)} note, nothing to learn"))
            continue
        digest = events_digest(events)
        if digest in seen:
            report.duplicates += 1
            continue
        seen.add(digest)
        pieces.append(Piece(name, events, digest))
    if not pieces:
        if not paths:
            raise ContinuoError(f"no .mid or .midi files in {root}")
        first = "; ".join(f"{n}: {r}" for n, r in report.skipped[:3])
        raise ContinuoError(f"no usable MIDI file in {root} ({len(paths)} files, all unreadable: {first})")
    return pieces, report
