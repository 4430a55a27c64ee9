"""Seed phrases: the first window of the generator, from a composer's bank or from any MIDI file.

Banks ship with the models (`models/seeds/<composer>/*.mid`, cut from test pieces), so any model
can be seeded by any composer. A file longer than the window gives its last window of events.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from continuo.live.errors import ContinuoError
from continuo.live.music.codec import Codec, Event
from continuo.live.music.midifile import MidiReadError, read_notes


def seed_composers() -> dict[str, list[Path]]:
    """Seed files per composer in the shipped banks."""
    root = resources.files("continuo.models") / "seeds"
    banks: dict[str, list[Path]] = {}
    if not root.is_dir():
        return banks
    for folder in root.iterdir():
        files = sorted(Path(str(f)) for f in folder.iterdir() if f.name.lower().endswith(".mid"))
        if files:
            banks[folder.name] = files
    return banks


def events_from_file(path: Path, codec: Codec, window: int) -> list[Event]:
    try:
        reading = read_notes(path)
    except MidiReadError as error:
        raise ContinuoError(f"seed file {path}: {error}") from None
    notes = [note for note in reading.notes if 0 <= note.pitch < 128]
    return codec.encode(notes)[-window:]


def seed_from_bank(composer: str, codec: Codec, window: int, rng: np.random.Generator) -> tuple[Path, list[Event]]:
    banks = seed_composers()
    if composer not in banks:
        known = ", ".join(sorted(banks)) or "none shipped"
        raise ContinuoError(f"no seed bank for composer {composer!r}: banks exist for {known}")
    path = banks[composer][int(rng.integers(len(banks[composer])))]
    return path, events_from_file(path, codec, window)


def choose_seed(
    info: Any, seed_file: Path | None, seed_composer: str | None, rng: np.random.Generator
) -> tuple[str, list[Event]]:
    """The seed phrase for a model (`info`: its ModelInfo): a file's last events, or a bank's phrase.

    Without either, the model's own composer's bank, else the first bank that exists.
    """
    if seed_file is not None:
        events = events_from_file(seed_file, info.codec, info.window)
        if not events:
            raise ContinuoError(f"seed file {seed_file} has no notes to start from")
        return str(seed_file), events
    composer = seed_composer
    if composer is None:
        banks = seed_composers()
        composer = info.name if info.name in banks else min(banks, default=info.name)
    path, events = seed_from_bank(composer, info.codec, info.window, rng)
    return f"{path.name} ({composer} seed bank)", events
