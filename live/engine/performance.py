"""What a performer plays on the input port, turned into codec events.

Notes are timed in seconds as they arrive and converted to beats with the clock current when they
are folded into the window, so a phrase played at any tempo reaches the model in beats. A note
becomes an event only when it is released (its duration is known), and events leave in onset
order: a note is held back while an earlier-struck key is still down.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from continuo.live.music.codec import Codec, Event, Note
from continuo.live.music.midi import OCTAVE

RECENT_VELOCITIES = 8  # the performer's dynamics: the mean of this many last note-ons
RECENT_PITCHES = 32  # what accompany's register and note names are taken from
SHORTEST_BEATS = 1e-3  # a key released as it is struck still lasts this long


@dataclass
class PlayedNote:
    pitch: int
    start: float  # monotonic seconds
    velocity: int
    end: float | None = None


def fold_into_range(pitch: int, low: int, high: int) -> int:
    """Octave-shift a pitch into [low, high] (clamp if the range is narrower than an octave)."""
    if high - low < OCTAVE - 1:
        return min(max(pitch, low), high)
    while pitch < low:
        pitch += OCTAVE
    while pitch > high:
        pitch -= OCTAVE
    return pitch


class Performance:
    """Keys held, notes finished and not yet taken, and when the performer was last heard."""

    def __init__(self) -> None:
        self._sounding: dict[int, PlayedNote] = {}
        self._finished: list[PlayedNote] = []
        self._velocities: deque[int] = deque(maxlen=RECENT_VELOCITIES)
        self.last_activity: float | None = None
        self.pitches_heard: deque[int] = deque(maxlen=RECENT_PITCHES)

    @property
    def held(self) -> int:
        return len(self._sounding)

    @property
    def velocity(self) -> int | None:
        """The performer's recent dynamics (mean of the last few note-on velocities)."""
        return round(sum(self._velocities) / len(self._velocities)) if self._velocities else None

    def note_on(self, pitch: int, velocity: int, at: float) -> None:
        if pitch in self._sounding:  # struck again without a release: the first one ends here
            self.note_off(pitch, at)
        self._sounding[pitch] = PlayedNote(pitch, at, velocity)
        self._velocities.append(velocity)
        self.pitches_heard.append(pitch)
        self.last_activity = at

    def note_off(self, pitch: int, at: float) -> None:
        note = self._sounding.pop(pitch, None)
        if note is None:
            return
        note.end = at
        self._finished.append(note)
        self.last_activity = at

    def quiet_for(self, now: float) -> float:
        """Seconds since the last key went up, or 0 while any key is down (or nothing was played)."""
        if self._sounding or self.last_activity is None:
            return 0.0
        return now - self.last_activity

    def has_unheard_notes(self) -> bool:
        return bool(self._finished)

    def take_settled(self) -> list[PlayedNote]:
        """Finished notes that start before every key still held, in onset order; they leave the buffer."""
        earliest_held = min((n.start for n in self._sounding.values()), default=float("inf"))
        settled = sorted((n for n in self._finished if n.start < earliest_held), key=lambda n: (n.start, n.pitch))
        taken = {id(n) for n in settled}
        self._finished = [n for n in self._finished if id(n) not in taken]
        return settled


def to_events(
    notes: list[PlayedNote],
    codec: Codec,
    beat_at: Callable[[float], float],
    previous_onset: float | None,
    pitch_range: tuple[int, int],
) -> tuple[list[Event], float | None]:
    """Played notes -> events in beats; returns the events and the onset (beats) of the last one."""
    if not notes:
        return [], previous_onset
    in_beats = []
    for note in notes:
        start = beat_at(note.start)
        end = beat_at(note.end if note.end is not None else note.start)
        pitch = fold_into_range(note.pitch, *pitch_range)
        in_beats.append(Note(pitch, start, max(end - start, SHORTEST_BEATS), note.velocity))
    first = in_beats[0].onset
    events = codec.encode(in_beats, previous_onset=first if previous_onset is None else min(previous_onset, first))
    return events, max(n.onset for n in in_beats)
