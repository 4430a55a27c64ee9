"""Hand-built MIDI files for tests, written with mido directly (not with Continuo's own code)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import mido

# (onset_ticks, duration_ticks, pitch, channel); channel 9 is drums.
TickNote = tuple[int, int, int, int]


def track_from_notes(
    notes: Iterable[TickNote], extra: Sequence[tuple[int, mido.Message | mido.MetaMessage]] = ()
) -> mido.MidiTrack:
    """Absolute-tick notes (and extra messages) to a delta-time track; offs sort before ons at a tick."""
    timed: list[tuple[int, int, mido.Message | mido.MetaMessage]] = []
    for onset, duration, pitch, channel in notes:
        timed.append((onset, 1, mido.Message("note_on", note=pitch, velocity=80, channel=channel)))
        off_order = 2 if duration == 0 else 0  # a zero-length note's off follows its own on
        timed.append((onset + duration, off_order, mido.Message("note_off", note=pitch, velocity=0, channel=channel)))
    for tick, message in extra:
        timed.append((tick, -1, message))
    timed.sort(key=lambda item: (item[0], item[1]))
    track = mido.MidiTrack()
    now = 0
    for tick, _, message in timed:
        track.append(message.copy(time=tick - now))
        now = tick
    return track


def write_midi(path: Path, tracks: Sequence[mido.MidiTrack], ticks_per_beat: int = 480) -> Path:
    midi = mido.MidiFile(type=1 if len(tracks) > 1 else 0, ticks_per_beat=ticks_per_beat)
    midi.tracks.extend(tracks)
    midi.save(path)
    return path


def scale_file(path: Path, start_pitch: int = 60, notes: int = 40, ticks_per_beat: int = 480) -> Path:
    """A simple one-voice file of `notes` eighth notes, each a step up a C major-ish pattern."""
    step = ticks_per_beat // 2
    pattern = [0, 2, 4, 5, 7, 9, 11, 12, 11, 9, 7, 5, 4, 2]
    tick_notes = [(i * step, step, start_pitch + pattern[i % len(pattern)], 0) for i in range(notes)]
    return write_midi(path, [track_from_notes(tick_notes)], ticks_per_beat)
