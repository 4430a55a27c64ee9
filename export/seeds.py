"""Seed phrases for the live engine, cut from a run's *test* pieces (music the model never trained on)."""

from __future__ import annotations

from pathlib import Path

from continuo.live.music.codec import Codec, Event
from continuo.live.music.midifile import notes_to_midifile
from continuo.training.loader import Piece
from continuo.training.runfolder import RunFolder

SEED_EVENTS = 32  # a little more than the 30-event window, so any model's window starts full


def seed_pieces(run: RunFolder, count: int) -> list[Piece]:
    """The first `count` test pieces long enough to give a seed phrase, in the manifest's order."""
    return [piece for piece in run.read_split().test if len(piece) >= SEED_EVENTS][:count]


def seed_file_name(piece: Piece) -> str:
    return f"{Path(piece.name).stem}.mid"


def write_seed_bank(run_path: Path, out: Path, count: int = 5) -> list[Path]:
    """The opening SEED_EVENTS events of up to `count` test pieces, one MIDI file each."""
    run = RunFolder(run_path)
    codec = Codec.from_json(run.read_json("run.json")["codec"])
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for piece in seed_pieces(run, count):
        events = [Event(*map(int, row)) for row in piece.events[:SEED_EVENTS]]
        target = out / seed_file_name(piece)
        notes_to_midifile(codec.decode(events)).save(target)
        written.append(target)
    return written
