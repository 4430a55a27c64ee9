"""The recorder: a tap on the scheduler that keeps exactly what was sent, by beat, for a `.mid` take.

Beats (not seconds) are kept, so the take lines up with the music, whatever the tempo did.
Messages are kept as raw bytes in flat arrays, not as Python objects: every `mido.Message` held would be
scanned by each full garbage collection, which holds the interpreter lock, so the scheduler thread could
not send until it ended, for longer the longer the take (benchmarks/long_takes.py measures both ways).
As bytes, a message is a few bytes in arrays the collector does not scan.

Files are written under a partial name and renamed (live/files.py), so an interrupted save never leaves
half a file. An installation that plays for days records in parts (`PartedRecorder`): a crash or power
cut loses at most the part being played.
"""

from __future__ import annotations

import glob
import queue
import re
import sys
import threading
from array import array
from collections.abc import Iterator
from pathlib import Path

import mido

from continuo.live.files import write_atomically
from continuo.live.music.midi import FILE_TICKS_PER_BEAT, PANIC_CONTROLS
from continuo.live.music.midifile import midifile_from_ticks


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
    sent: SentMessages, bpm: float, origin: float = 0.0, ticks_per_beat: int = FILE_TICKS_PER_BEAT
) -> mido.MidiFile:
    """Messages in sending order (the take replays what the port received), `origin` beat at tick 0."""

    def timed() -> Iterator[tuple[int, mido.Message]]:
        now = 0
        for beat, raw in sent:  # one object a message: a part is encoded while the music plays
            now = max(now, round(max(beat - origin, 0.0) * ticks_per_beat))
            yield now, mido.Message.from_bytes(raw)

    return midifile_from_ticks(timed(), bpm, ticks_per_beat)


class Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages = SentMessages()

    def __call__(self, beat: float, message: mido.Message) -> None:
        with self._lock:
            self.messages.append(beat, message)

    def to_midifile(self, bpm: float, ticks_per_beat: int = FILE_TICKS_PER_BEAT) -> mido.MidiFile:
        with self._lock:
            return take_midifile(self.messages, bpm, ticks_per_beat=ticks_per_beat)

    def save(self, path: Path, bpm: float) -> None:
        write_atomically(path, self.to_midifile(bpm).save)


# Beats going back further than this mean the DAW moved the song position: the take starts a new part there.
RELOCATION_BEATS = 1.0
# A note held through more parts than this without a message (a DAW jumping forward while notes sound) is
# ended at the jump, not carried through a file per part.
MAX_HELD_PARTS = 64
Key = tuple[int, int]  # (channel, pitch): where a note sounds


def releases_note(message: mido.Message) -> bool:
    return message.type == "note_off" or (message.type == "note_on" and message.velocity == 0)


def silences_channel(message: mido.Message) -> bool:
    """All Notes Off or All Sound Off: nothing sounds on the message's channel after it."""
    return message.type == "control_change" and message.control in PANIC_CONTROLS


def ends_sound(message: mido.Message) -> bool:
    return releases_note(message) or silences_channel(message)


def last_part_number(path: Path) -> int:
    """The highest NNNNN of FILE-NNNNN.mid already in the folder: a restarted installation goes on after it
    instead of overwriting the take of the run that crashed."""
    pattern = re.compile(rf"{re.escape(path.stem)}-([0-9]+)")
    found = (pattern.fullmatch(other.stem) for other in path.parent.glob(f"{glob.escape(path.stem)}-*{path.suffix}"))
    return max((int(match.group(1)) for match in found if match), default=0)


def _off_channel(notes: dict[Key, int], channel: int) -> dict[Key, int]:
    """What still sounds after All Notes Off (or All Sound Off) on `channel`."""
    return {note: velocity for note, velocity in notes.items() if note[0] != channel}


class PartedRecorder:
    """Cuts the take every `part_beats` beats into `take-00001.mid`, `take-00002.mid`, ... written as each closes.

    Each part is a whole piece on its own: notes sounding across a cut end at the cut in one part and are
    struck again at tick 0 of the next; notes that end on the cut end in their own part and are not struck
    again. Cuts are decided on whole ticks, because onsets built from 1/3 and 1/6 beats land a hair either
    side of a cut. Parts are written by a background thread, because encoding an hour of messages takes
    longer than the player's lookahead and the scheduler's tap must stay short. The thread is not a daemon:
    an interrupted `close` still lets it finish the parts it holds before the interpreter exits.
    """

    def __init__(self, path: Path, bpm: float, part_beats: float) -> None:
        self._lock = threading.Lock()
        self.messages = SentMessages()
        self.path, self.bpm = path, bpm
        self.part_ticks = max(1, round(part_beats * FILE_TICKS_PER_BEAT))
        self.start_tick = 0
        self.last_tick = 0
        self.first_number = last_part_number(path) + 1
        self.parts_closed = 0
        self.parts_written = 0  # counts, not lists of names: a run of months must not grow
        self.failure: str | None = None  # the first part that could not be written, and why
        self.closed = False
        self._sounding: dict[Key, int] = {}  # notes sounding in this part -> the velocity they were struck with
        # Notes carried over a cut, struck again only once the music is past the cut's tick: a note-off that
        # arrives at that very tick (after a note-on that made the cut) means the note ended on the cut.
        self._carried: dict[Key, int] = {}
        self._to_write: queue.Queue[tuple[Path, SentMessages, float] | None] = queue.Queue()
        self._writer: threading.Thread | None = None  # started with the first part, so a session that fails
        # before any music leaves no thread behind

    def part_path(self, index: int) -> Path:
        """This run's part `index` (from 0)."""
        return self.path.with_name(f"{self.path.stem}-{self.first_number + index:05d}{self.path.suffix or '.mid'}")

    def __call__(self, beat: float, message: mido.Message) -> None:
        tick = round(beat * FILE_TICKS_PER_BEAT)
        with self._lock:
            if self.closed:  # the take is on disk: nothing can join it now
                return
            if tick < self.last_tick - RELOCATION_BEATS * FILE_TICKS_PER_BEAT:
                self._cut(self.last_tick, tick)
            else:
                self._cut_up_to(tick, ends_sound(message))
            if self._carried and tick == self.start_tick and ends_sound(message):
                ended = self._end_carried(message)
                if ended and message.type != "control_change":
                    return  # the note ended on the cut: the last part already ends it there
            elif self._carried and tick > self.start_tick:
                self._strike_carried()
            self.messages.append(beat, message)
            self.last_tick = max(self.last_tick, tick)
            self._follow(message)

    def _cut_up_to(self, tick: int, ending: bool) -> None:
        """Close parts until `tick` falls in the open one (a message ending sound exactly on a cut belongs
        before it). Parts that notes sound through are written, each with those notes; parts of silence are
        skipped. Held notes jumped over by more than MAX_HELD_PARTS parts count as a relocation."""
        for _ in range(MAX_HELD_PARTS):
            boundary = self.start_tick + self.part_ticks
            if tick < boundary or (tick == boundary and ending):
                return
            if not (self._sounding or self._carried):
                self._cut(boundary, self.start_tick + (tick - self.start_tick) // self.part_ticks * self.part_ticks)
                return
            self._strike_carried()
            self._cut(boundary, boundary)
        self._cut(self.start_tick, self.start_tick + (tick - self.start_tick) // self.part_ticks * self.part_ticks)
        self._carried = {}

    def _follow(self, message: mido.Message) -> None:
        if message.type == "note_on" and message.velocity > 0:
            self._sounding[(message.channel, message.note)] = message.velocity
        elif message.type in ("note_on", "note_off"):
            self._sounding.pop((message.channel, message.note), None)
        elif silences_channel(message):
            self._sounding = _off_channel(self._sounding, message.channel)

    def _end_carried(self, message: mido.Message) -> bool:
        """Forget carried notes this message ends; whether it ended any."""
        if message.type == "control_change":
            before = len(self._carried)
            self._carried = _off_channel(self._carried, message.channel)
            return len(self._carried) < before
        return self._carried.pop((message.channel, message.note), None) is not None

    def _strike_carried(self) -> None:
        origin = self.start_tick / FILE_TICKS_PER_BEAT
        for (channel, note), velocity in self._carried.items():
            self.messages.append(origin, mido.Message("note_on", channel=channel, note=note, velocity=velocity))
        self._sounding.update(self._carried)
        self._carried = {}

    def _end_sounding(self, tick: int) -> None:
        for channel, note in self._sounding:
            self.messages.append(tick / FILE_TICKS_PER_BEAT, mido.Message("note_off", channel=channel, note=note))

    def _cut(self, end_tick: int, start_tick: int) -> None:
        """Close the part at `end_tick` and open the next at `start_tick` (the part the music is now in, or where
        the DAW moved to). A part with nothing in it is not written, so a long silence leaves no empty files."""
        self._end_sounding(end_tick)
        if len(self.messages):
            self._queue_part()
        self._carried.update(self._sounding)
        self._sounding = {}
        self.start_tick = self.last_tick = start_tick

    def _queue_part(self) -> None:
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_parts, name="continuo-take-writer")
            self._writer.start()
        self._to_write.put((self.part_path(self.parts_closed), self.messages, self.start_tick / FILE_TICKS_PER_BEAT))
        self.parts_closed += 1
        self.messages = SentMessages()

    def _write_parts(self) -> None:
        while (job := self._to_write.get()) is not None:
            path, sent, origin = job
            try:
                write_atomically(path, take_midifile(sent, self.bpm, origin).save)
                self.parts_written += 1
            except Exception as error:  # keep playing: the music matters more than the take; say so at the end
                reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
                print(f"continuo: could not write {path}: {reason}", file=sys.stderr)
                self.failure = self.failure or f"--record {path}: {reason}"

    def close(self) -> None:
        """End what still sounds (a port that failed took the panic's note-offs with it), write the part being
        played (even an empty one if it is the only part: a take always leaves a file), and wait until every
        part is on disk. Notes carried over a cut that nothing followed are not struck again."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._end_sounding(self.last_tick)
            if len(self.messages) or self.parts_closed == 0:
                self._queue_part()
            self._to_write.put(None)
        if self._writer is not None:
            self._writer.join()
