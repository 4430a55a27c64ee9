"""Messages for recorder tests, and what a take file holds of them."""

from __future__ import annotations

from pathlib import Path

import mido

from benchmarks.jack_clients import recorded_messages


def on(note: int, velocity: int = 80, channel: int = 0) -> mido.Message:
    return mido.Message("note_on", note=note, velocity=velocity, channel=channel)


def off(note: int, channel: int = 0) -> mido.Message:
    return mido.Message("note_off", note=note, channel=channel)


def summary(path: Path) -> list[tuple[float, str, int, int]]:
    """(beat, type, note, velocity of a note-on; 0 for a note-off) of each note message in a take file."""
    return [
        (beat, m.type, m.note, m.velocity if m.type == "note_on" else 0)
        for beat, m in recorded_messages(path)
        if m.type in ("note_on", "note_off")
    ]
