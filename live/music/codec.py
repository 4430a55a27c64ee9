"""The one event codec shared by training and the live engine.

A piece is a list of notes sorted by onset, then pitch. Each note becomes an event
``(pitch, duration_class, shift_class)`` where *shift* is the onset minus the previous
note's onset (the first note is measured from beat 0, or from ``previous_onset``) and
*duration* the note length, both in beats, quantised to the nearest class in log-time.
Tempo never enters: beats come from ticks, so tempo stays a playback choice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

#: Default class tables, in beats (quarter notes). Shift has 0 (same chord); duration has not.
DEFAULT_DURATIONS: tuple[float, ...] = (
    1 / 12,
    1 / 8,
    1 / 6,
    1 / 4,
    1 / 3,
    3 / 8,
    1 / 2,
    2 / 3,
    3 / 4,
    1.0,
    1.5,
    2.0,
    3.0,
    4.0,
    6.0,
    8.0,
)
DEFAULT_SHIFTS: tuple[float, ...] = (0.0, *DEFAULT_DURATIONS)

PITCH_CLASSES = 128


class Note(NamedTuple):
    """A sounding note in beats; velocity rides along for playback but is not encoded."""

    pitch: int
    onset: float
    duration: float
    velocity: int = 64


class Event(NamedTuple):
    """One codec step: pitch 0-127 and indices into the duration and shift tables."""

    pitch: int
    duration: int
    shift: int


#: The event's fields in order: a model's inputs, its logit heads, and the columns of every score table.
FIELDS: tuple[str, ...] = Event._fields


def _check_table(name: str, table: Sequence[float], zero_allowed: bool) -> tuple[float, ...]:
    values = tuple(float(v) for v in table)
    if not values:
        raise ValueError(f"{name} table is empty")
    if any(b <= a for a, b in pairwise(values)):
        raise ValueError(f"{name} table must be strictly increasing, got {values}")
    if values[0] < 0 or (values[0] == 0 and not zero_allowed):
        lowest = "0 or more" if zero_allowed else "more than 0"
        raise ValueError(f"{name} table must start at {lowest} beats, got {values[0]}")
    if values[0] == 0 and len(values) < 2:
        raise ValueError(f"{name} table needs a non-zero class besides 0")
    return values


def _quantise(value: float, table: tuple[float, ...]) -> int:
    """Nearest class in log-time; below half the smallest non-zero class means class 0 if 0 exists."""
    start = 1 if table[0] == 0.0 else 0
    smallest = table[start]
    if start == 1 and value < smallest / 2:
        return 0
    if value <= smallest:
        return start
    if value >= table[-1]:
        return len(table) - 1
    log_value = math.log(value)
    best, best_distance = start, math.inf
    for index in range(start, len(table)):
        distance = abs(math.log(table[index]) - log_value)
        if distance < best_distance:
            best, best_distance = index, distance
    return best


@dataclass(frozen=True)
class Codec:
    """Class tables as data: the same tables are stored in every model file."""

    durations: tuple[float, ...] = DEFAULT_DURATIONS
    shifts: tuple[float, ...] = DEFAULT_SHIFTS

    def __post_init__(self) -> None:
        object.__setattr__(self, "durations", _check_table("duration", self.durations, zero_allowed=False))
        object.__setattr__(self, "shifts", _check_table("shift", self.shifts, zero_allowed=True))
        if self.shifts[0] != 0.0:
            raise ValueError("shift table must contain 0 (notes of one chord share an onset)")

    @property
    def n_durations(self) -> int:
        return len(self.durations)

    @property
    def n_shifts(self) -> int:
        return len(self.shifts)

    def duration_class(self, beats: float) -> int:
        return _quantise(beats, self.durations)

    def shift_class(self, beats: float) -> int:
        return _quantise(beats, self.shifts)

    def encode(self, notes: Iterable[Note], previous_onset: float = 0.0) -> list[Event]:
        """Notes (any order) to events; unisons at one onset collapse to the longest note."""
        longest: dict[tuple[float, int], Note] = {}
        for note in notes:
            if not 0 <= note.pitch < PITCH_CLASSES:
                raise ValueError(f"pitch {note.pitch} is outside 0-127")
            if note.duration <= 0:
                raise ValueError(f"note at beat {note.onset} has non-positive duration {note.duration}")
            key = (note.onset, note.pitch)
            kept = longest.get(key)
            if kept is None or note.duration > kept.duration:
                longest[key] = note
        events: list[Event] = []
        last_onset = previous_onset
        for (onset, pitch), note in sorted(longest.items()):
            events.append(Event(pitch, self.duration_class(note.duration), self.shift_class(onset - last_onset)))
            last_onset = onset
        return events

    def decode(self, events: Iterable[Event], previous_onset: float = 0.0, velocity: int = 64) -> list[Note]:
        """Events to notes on class values: the exact inverse of ``encode`` for canonical sequences."""
        notes: list[Note] = []
        onset = previous_onset
        for event in events:
            onset += self.shifts[event.shift]
            notes.append(Note(event.pitch, onset, self.durations[event.duration], velocity))
        return notes

    def is_canonical(self, events: Sequence[Event]) -> bool:
        """True where ``encode(decode(events)) == events``: chords rise by pitch, no unisons."""
        for previous, current in pairwise(events):
            if current.shift == 0 and current.pitch <= previous.pitch:
                return False
        return all(
            0 <= e.pitch < PITCH_CLASSES and 0 <= e.duration < self.n_durations and 0 <= e.shift < self.n_shifts
            for e in events
        )

    def to_json(self) -> dict[str, list[float]]:
        return {"durations": list(self.durations), "shifts": list(self.shifts)}

    @classmethod
    def from_json(cls, data: dict[str, Sequence[float]]) -> Codec:
        try:
            return cls(tuple(data["durations"]), tuple(data["shifts"]))
        except KeyError as missing:
            raise ValueError(f"codec tables lack the {missing.args[0]!r} entry") from None
