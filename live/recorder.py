"""The recorder: a tap on the scheduler that keeps exactly what was sent, by beat, for a `.mid` take.

Beats (not seconds) are kept, so the take lines up with the music, whatever the tempo did.
Messages are kept as raw bytes in flat arrays, not as Python objects: a `mido.Message` costs about
330 bytes, and every one of them is scanned by each full garbage collection, which holds the interpreter
lock, so the scheduler thread cannot send until it ends: 7 ms with one hour of take held (benchmark run of
2026-11-26, benchmarks/long_takes.py), and growing with the take. As bytes: 17 bytes a message and nothing
to scan.

Files are written to a temporary name and renamed, so an interrupted save never leaves half a file. An
installation that plays for days records in parts (`PartedRecorder`): a crash or power cut loses at most
the part being played.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from array import array
from collections.abc import Iterator
from pathlib import Path

import mido

TICKS_PER_BEAT = 480


class SentMessages:
    """(beat, message) pairs in sending order, stored as bytes."""

    def __init__(self) -> None:
        self.beats = array("d")
        self.lengths = array("I")
        self.data = bytearray()

    def append(self, beat: float, message: mido.Message) -> None:
        raw = message.bin()
        self.beats.append(beat)
        self.lengths.append(len(raw))
        self.data += raw

    def __len__(self) -> int:
        return len(self.beats)

    def __iter__(self) -> Iterator[tuple[float, bytearray]]:
        start = 0
        for beat, length in zip(self.beats, self.lengths):
            yield beat, self.data[start : start + length]
            start += length


def take_midifile(
    sent: SentMessages, bpm: float, origin: float = 0.0, ticks_per_beat: int = TICKS_PER_BEAT
) -> mido.MidiFile:
    """Messages in sending order (the take replays what the port received), `origin` beat at tick 0."""
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0)])
    now = 0
    for beat, raw in sent:  # one object a message: a part is encoded while the music plays
        tick = max(now, round(max(beat - origin, 0.0) * ticks_per_beat))
        track.append(mido.Message.from_bytes(raw, time=tick - now))
        now = tick
    midi = mido.MidiFile(ticks_per_beat=ticks_per_beat)
    midi.tracks.append(track)
    return midi


def save_atomically(midi: mido.MidiFile, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    try:
        midi.save(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


class Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages = SentMessages()

    def __call__(self, beat: float, message: mido.Message) -> None:
        with self._lock:
            self.messages.append(beat, message)

    def to_midifile(self, bpm: float, ticks_per_beat: int = TICKS_PER_BEAT) -> mido.MidiFile:
        with self._lock:
            return take_midifile(self.messages, bpm, ticks_per_beat=ticks_per_beat)

    def save(self, path: Path, bpm: float) -> None:
        save_atomically(self.to_midifile(bpm), path)


# A message that ends sound this close after a cut (float rounding) still belongs to the part it ends.
ENDING_SLACK_BEATS = 1 / TICKS_PER_BEAT
# Beats going back further than this mean the DAW moved the song position: the take starts a new part there.
RELOCATION_BEATS = 1.0


def ends_sound(message: mido.Message) -> bool:
    return (
        message.type == "note_off"
        or (message.type == "note_on" and message.velocity == 0)
        or message.is_cc(123)
        or message.is_cc(120)
    )


def last_part_number(path: Path) -> int:
    """The highest NNNNN of FILE-NNNNN.mid already in the folder: a restarted installation goes on after it
    instead of overwriting the take of the run that crashed."""
    numbers = [
        int(found.stem.removeprefix(f"{path.stem}-"))
        for found in path.parent.glob(f"{path.stem}-*{path.suffix}")
        if found.stem.removeprefix(f"{path.stem}-").isdigit()
    ]
    return max(numbers, default=0)


class PartedRecorder:
    """Cuts the take every `part_beats` beats into `take-00001.mid`, `take-00002.mid`, ... written as each closes.

    Each part is a whole piece on its own: notes sounding across a cut end at the cut in one part and
    start at tick 0 of the next; notes that end on the cut end in the part they sounded in. Parts are
    written by a background thread, because encoding an hour of messages takes longer than the player's
    lookahead and the scheduler's tap must stay short. The thread is not a daemon: an interrupted `close`
    still lets it finish the parts it holds before the interpreter exits.
    """

    def __init__(self, path: Path, bpm: float, part_beats: float) -> None:
        self._lock = threading.Lock()
        self.messages = SentMessages()
        self.path, self.bpm, self.part_beats = path, bpm, part_beats
        self.part_start = 0.0
        self.last_beat = 0.0
        self.first_number = last_part_number(path) + 1
        self.parts_closed = 0
        self.parts_written = 0  # counts, not lists of names: a run of months must not grow
        self.failure: str | None = None  # the first part that could not be written, and why
        self._sounding: dict[tuple[int, int], int] = {}  # (channel, note) -> velocity it was struck with
        self._to_write: queue.Queue[tuple[Path, SentMessages, float] | None] = queue.Queue()
        self._writer: threading.Thread | None = None  # started with the first part, so a session that fails
        # before any music leaves no thread behind

    def part_path(self, index: int) -> Path:
        """This run's part `index` (from 0)."""
        return self.path.with_name(f"{self.path.stem}-{self.first_number + index:05d}{self.path.suffix or '.mid'}")

    def __call__(self, beat: float, message: mido.Message) -> None:
        with self._lock:
            boundary = self.part_start + self.part_beats
            if beat < self.last_beat - RELOCATION_BEATS:
                self._cut(self.last_beat, beat)
            elif beat >= boundary and not (ends_sound(message) and beat <= boundary + ENDING_SLACK_BEATS):
                self._cut(boundary, self.part_start + (beat - self.part_start) // self.part_beats * self.part_beats)
            self.messages.append(beat, message)
            self.last_beat = beat
            self._follow(message)

    def _follow(self, message: mido.Message) -> None:
        if message.type == "note_on" and message.velocity > 0:
            self._sounding[(message.channel, message.note)] = message.velocity
        elif message.type in ("note_on", "note_off"):
            self._sounding.pop((message.channel, message.note), None)
        elif message.is_cc(123) or message.is_cc(120):
            self._sounding = {key: v for key, v in self._sounding.items() if key[0] != message.channel}

    def _cut(self, end: float, start: float) -> None:
        """Close the part at `end` and open the next at `start` (the part `beat` falls in, or where the DAW
        moved to). A part with nothing in it is not written, so a long silence leaves no empty files."""
        for channel, note in self._sounding:
            self.messages.append(end, mido.Message("note_off", channel=channel, note=note))
        if len(self.messages):
            self._queue_part()
        self.part_start = start
        for (channel, note), velocity in self._sounding.items():
            self.messages.append(start, mido.Message("note_on", channel=channel, note=note, velocity=velocity))

    def _queue_part(self) -> None:
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_parts, name="continuo-take-writer")
            self._writer.start()
        self._to_write.put((self.part_path(self.parts_closed), self.messages, self.part_start))
        self.parts_closed += 1
        self.messages = SentMessages()

    def _write_parts(self) -> None:
        while (job := self._to_write.get()) is not None:
            path, sent, origin = job
            try:
                save_atomically(take_midifile(sent, self.bpm, origin), path)
                self.parts_written += 1
            except Exception as error:  # keep playing: the music matters more than the take; say so at the end
                reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
                print(f"continuo: could not write {path}: {reason}", file=sys.stderr)
                self.failure = self.failure or f"--record {path}: {reason}"

    def close(self) -> None:
        """Write the part being played (even an empty one, if it is the only part: a take always leaves a
        file) and wait until every part is on disk."""
        with self._lock:
            if len(self.messages) or self.parts_closed == 0:
                self._queue_part()
            self._to_write.put(None)
        if self._writer is not None:
            self._writer.join()
