"""Reading MIDI files into notes in beats, with reasons a person can act on when a file is bad.

Beats come from ticks and the file's resolution, so tempo changes do not move notes. Drums
(MIDI channel 10) are dropped and every other track and channel is merged into one stream.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import mido

from continuo.live.errors import ContinuoError
from continuo.live.music.codec import Note
from continuo.live.music.midi import DEFAULT_BPM, FILE_TICKS_PER_BEAT

DRUM_CHANNEL = 9  # channel 10 in the 1-16 numbering musicians use


class MidiReadError(ContinuoError):
    """A MIDI file that cannot give notes; the message says why, in a few words."""


@dataclass(frozen=True)
class NoteReading:
    """Notes read from a file and what was left out, so callers can report honestly."""

    notes: list[Note]
    ticks_per_beat: int
    zero_length: int
    drums: int


def _open(path: Path) -> mido.MidiFile:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise MidiReadError(f"cannot read: {error.strerror or error}") from None
    if size == 0:
        raise MidiReadError("empty file (0 bytes)")
    with path.open("rb") as stream:
        if stream.read(4) != b"MThd":
            raise MidiReadError("not a MIDI file (no MThd header)")
    try:
        return mido.MidiFile(path, clip=True)
    except EOFError:
        raise MidiReadError("truncated file (ended inside a chunk)") from None
    except OSError as error:
        text = str(error)
        if "MThd" in text:
            raise MidiReadError("not a MIDI file (no MThd header)") from None
        raise MidiReadError(f"cannot read: {text}") from None
    except Exception as error:  # mido raises KeyError, ValueError, IndexError... on corrupt data
        raise MidiReadError(f"corrupt MIDI data ({type(error).__name__}: {error})") from None


def notes_from_midifile(midi: mido.MidiFile) -> NoteReading:
    """Pair note-ons with note-offs per (channel, pitch), first in first out, track by track."""
    ticks_per_beat = midi.ticks_per_beat
    if not 0 < ticks_per_beat < 0x8000:
        raise MidiReadError(f"unsupported time division {ticks_per_beat} (SMPTE timing)")
    notes: list[Note] = []
    zero_length = drums = 0

    def close(start: int, end: int, pitch: int, velocity: int) -> None:
        nonlocal zero_length
        if end <= start:
            zero_length += 1
            return
        notes.append(Note(pitch, start / ticks_per_beat, (end - start) / ticks_per_beat, velocity))

    for track in midi.tracks:
        tick = 0
        sounding: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for message in track:
            tick += message.time
            if message.type not in ("note_on", "note_off"):
                continue
            if message.channel == DRUM_CHANNEL:
                drums += message.type == "note_on" and message.velocity > 0
                continue
            key = (message.channel, message.note)
            if message.type == "note_on" and message.velocity > 0:
                sounding.setdefault(key, []).append((tick, message.velocity))
            elif sounding.get(key):
                start, velocity = sounding[key].pop(0)
                close(start, tick, message.note, velocity)
        for (_, pitch), starts in sounding.items():  # notes never released end with their track
            for start, velocity in starts:
                close(start, tick, pitch, velocity)
    notes.sort(key=lambda note: (note.onset, note.pitch))
    return NoteReading(notes, ticks_per_beat, zero_length, drums)


def read_notes(path: str | Path) -> NoteReading:
    """Read a file; raise MidiReadError naming the reason if it holds no usable note."""
    reading = notes_from_midifile(_open(Path(path)))
    if not reading.notes:
        parts = []
        if reading.drums:
            parts.append(f"{reading.drums} drum notes dropped")
        if reading.zero_length:
            parts.append(f"{reading.zero_length} zero-length notes dropped")
        detail = f" ({', '.join(parts)})" if parts else ""
        raise MidiReadError(f"no notes{detail}")
    return reading


def midifile_from_ticks(
    timed: Iterable[tuple[int, mido.Message]], bpm: float, ticks_per_beat: int = FILE_TICKS_PER_BEAT
) -> mido.MidiFile:
    """One track: the tempo, then each message at its absolute tick (ticks never decrease). Each message's
    `time` is set to its delta in place, so no copy is made: the messages must be the caller's own."""
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0)])
    now = 0
    for tick, message in timed:
        message.time = tick - now
        track.append(message)
        now = tick
    midi = mido.MidiFile(ticks_per_beat=ticks_per_beat)
    midi.tracks.append(track)
    return midi


def notes_to_midifile(
    notes: list[Note], tempo_bpm: float = DEFAULT_BPM, ticks_per_beat: int = FILE_TICKS_PER_BEAT, channel: int = 0
) -> mido.MidiFile:
    """One track of notes (beats -> ticks), with the tempo so players render it at that speed."""
    timed: list[tuple[int, int, mido.Message]] = []
    for note in notes:
        start = round(note.onset * ticks_per_beat)
        end = max(start + 1, round((note.onset + note.duration) * ticks_per_beat))
        timed.append((start, 1, mido.Message("note_on", note=note.pitch, velocity=note.velocity, channel=channel)))
        timed.append((end, 0, mido.Message("note_off", note=note.pitch, velocity=0, channel=channel)))
    timed.sort(key=lambda item: (item[0], item[1], item[2].note))  # offs first at a tick: re-strikes stay clean
    return midifile_from_ticks(((tick, message) for tick, _, message in timed), tempo_bpm, ticks_per_beat)
