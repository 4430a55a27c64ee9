"""The player: turns sampled events into timed notes for the scheduler, a bounded lookahead ahead.

Inference runs ahead of the music by at most the engine's lookahead (plus one event), so a change of
tempo, temperature or window reaches the sound quickly, and a slow step never delays a due note.
The first generated note falls on beat 0; each next one `shift` beats after the one before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from continuo.live.engine.scheduler import Scheduler
from continuo.live.music.codec import Codec, Event
from continuo.live.music.midi import DEFAULT_VELOCITY
from continuo.live.timing.clock import Clock

MAX_EVENTS_PER_ROUND = 64
# Onsets are sums of shifts such as 1/3 and 1/6, and the --duration end is a beat computed from seconds, so a
# note meant to start on an end can land a hair either side of it; within this many beats it counts as on it.
BEAT_TOLERANCE = 1e-6


class EventSource(Protocol):
    """What the player pulls events from: the generator, in practice."""

    def next_event(self) -> Event: ...


@dataclass(frozen=True)
class PlayOptions:
    channel: int = 0  # 0-15 on the wire; the CLI speaks 1-16
    velocity: int = DEFAULT_VELOCITY


class Player:
    def __init__(
        self, source: EventSource, codec: Codec, clock: Clock, scheduler: Scheduler, options: PlayOptions
    ) -> None:
        self.source = source
        self.codec = codec
        self.clock = clock
        self.scheduler = scheduler
        self.options = options
        self.velocity = options.velocity  # live: follows the performer or a CC
        self.active = True  # False while a call-and-response engine listens
        self.origin = 0.0  # beat of the first note of the current phrase
        self.next_onset: float | None = None  # beat of the last note placed; None until the first
        self.end_beat: float | None = None  # with --duration: no note starts at or after it
        self.phrase_end: float | None = None  # an answer's length in beats
        self.events_left: int | None = None  # ... or in events

    @property
    def finished(self) -> bool:
        """True once the next note would start at or after an end, or the phrase has all its events."""
        if self.events_left is not None and self.events_left <= 0:
            return True
        limit = self._limit()
        return limit is not None and self.next_onset is not None and at_or_past(self.next_onset, limit)

    def _limit(self) -> float | None:
        limits = [b for b in (self.end_beat, self.phrase_end) if b is not None]
        return min(limits) if limits else None

    def begin_phrase(self, at_beat: float, beats: float | None = None, events: int | None = None) -> None:
        """Start placing notes from `at_beat` (an answer: at most `beats` long or `events` many)."""
        self.active = True
        self.origin = at_beat
        self.next_onset = None
        self.phrase_end = None if beats is None else at_beat + beats
        self.events_left = events

    def halt(self) -> None:
        """Place no more notes (what is queued still plays unless the scheduler is flushed)."""
        self.active = False

    def schedule_until(self, horizon_beat: float, should_yield: Callable[[], bool] | None = None) -> None:
        """Generate and queue notes until one starts past `horizon_beat` (or past an end).

        At most MAX_EVENTS_PER_ROUND a call, so a model stuck on zero shifts (one endless chord) cannot
        keep the main loop from its other work (commands, the watchdog); and after the first event, no
        more once `should_yield()` says something is waiting for that loop.
        """
        placed = 0
        while self.active and (self.next_onset is None or self.next_onset <= horizon_beat):
            if placed >= MAX_EVENTS_PER_ROUND or (placed and should_yield is not None and should_yield()):
                return
            placed += 1
            if self.finished:
                return
            event = self.source.next_event()
            onset = self.origin if self.next_onset is None else self.next_onset + self.codec.shifts[event.shift]
            limit = self._limit()
            if limit is not None and at_or_past(onset, limit):
                self.next_onset = onset
                return
            end = onset + self.codec.durations[event.duration]
            self.scheduler.note(event.pitch, self.velocity, self.options.channel, onset, end)
            self.next_onset = onset
            if self.events_left is not None:
                self.events_left -= 1


def at_or_past(beat: float, limit: float) -> bool:
    """`beat` is at `limit` (within BEAT_TOLERANCE) or after it."""
    return beat >= limit - BEAT_TOLERANCE
