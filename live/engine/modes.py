"""The modes: when the model plays and what it hears of the performer (issue 6, DESIGN.md §5 Inputs).

- continue: the model plays without end; the performer's notes join the window as they settle.
- call-response: the model listens; once all keys are up and `phrase_gap` seconds have passed,
  the phrase joins the window and the model answers for `answer_beats` beats (or events), then
  listens again. A key struck during an answer stops it at once (note-offs sent).
- accompany: like continue, but every pitch is constrained to the performer's register (their
  recent lowest and highest notes, an octave of room below) and to the pitch classes they played.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from continuo.live.engine.generator import Generator
from continuo.live.engine.performance import Performance, to_events
from continuo.live.engine.player import Player
from continuo.live.engine.scheduler import Scheduler
from continuo.live.errors import ContinuoError
from continuo.live.music.codec import Codec

MODES = ("continue", "call-response", "accompany")
ANSWER_LEAD_SECONDS = 0.003  # the first answer note: just after its inference
MIN_PITCH_CLASSES = 3  # before this many distinct pitch classes, accompany keeps only the register


@dataclass(frozen=True)
class ModeOptions:
    mode: str = "continue"
    phrase_gap_seconds: float = 0.5
    answer_beats: float | None = 8.0
    answer_events: int | None = None
    follow_velocity: bool = True


def _amount_and_unit(text: str, flag: str, units: tuple[str, ...]) -> tuple[float, str]:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", text.lower())
    if match is None or (match.group(2) and match.group(2) not in units) or float(match.group(1)) <= 0:
        raise ContinuoError(f"{flag}: expected a positive number with a unit ({', '.join(units)}), got {text!r}")
    return float(match.group(1)), match.group(2) or units[0]


def parse_phrase_gap(text: str, bpm: float) -> float:
    """'500ms', '0.5s' or '1beat' (at `bpm`) -> seconds; a bare number is milliseconds."""
    amount, unit = _amount_and_unit(text, "--phrase-gap", ("ms", "s", "beat", "beats"))
    return {"ms": amount / 1000, "s": amount}.get(unit, amount * 60 / bpm)


def parse_answer_length(text: str) -> tuple[float | None, int | None]:
    """'8beats' or '16events' -> (beats, None) or (None, events); a bare number is beats."""
    amount, unit = _amount_and_unit(text, "--answer-length", ("beats", "beat", "events", "event"))
    return (None, max(1, round(amount))) if unit.startswith("event") else (amount, None)


class Conductor:
    def __init__(
        self,
        options: ModeOptions,
        player: Player,
        generator: Generator,
        scheduler: Scheduler,
        codec: Codec,
        pitch_range: tuple[int, int],
        log: Callable[..., None] | None = None,
    ) -> None:
        self.options = options
        self.player = player
        self.generator = generator
        self.scheduler = scheduler
        self.codec = codec
        self.pitch_range = pitch_range
        self.performance = Performance()
        self.log = log
        self.answering = False
        self.last_onset: float | None = None  # beat of the last event folded from the performer
        self.status = ""
        if options.mode == "call-response":
            player.halt()

    def write_log(self, what: str, **fields: Any) -> None:
        if self.log is not None:
            self.log(what, **fields)

    # -- what the performer does ---------------------------------------------------------------
    def note_on(self, pitch: int, velocity: int, at: float) -> None:
        self.performance.note_on(pitch, velocity, at)
        if self.options.follow_velocity and self.performance.velocity is not None:
            self.player.velocity = self.performance.velocity
        if self.options.mode == "call-response" and self.answering:
            self.interrupt()

    def note_off(self, pitch: int, at: float) -> None:
        self.performance.note_off(pitch, at)

    def interrupt(self) -> None:
        """The performer plays over the answer: stop it now and listen."""
        self.player.halt()
        self.scheduler.flush()
        self.answering = False
        self.status = "listening (interrupted)"
        self.write_log("interrupt")

    # -- between generation steps --------------------------------------------------------------
    def wait_hint(self, now: float, default: float) -> float:
        """How long the main loop may sleep: less when a phrase gap is about to close."""
        if self.options.mode != "call-response" or self.answering or not self.performance.has_unheard_notes():
            return default
        quiet = self.performance.quiet_for(now)
        if self.performance.held:
            return default
        return max(0.0, min(default, self.options.phrase_gap_seconds - quiet))

    def step(self, now: float, beat_at: Callable[[float], float]) -> None:
        if self.options.mode == "call-response":
            self._call_response(now, beat_at)
        else:
            self._fold(beat_at)
            if self.options.mode == "accompany":
                self.generator.allowed_pitches = self._accompaniment_mask()

    def _fold(self, beat_at: Callable[[float], float]) -> int:
        """Settled performer notes into the window; returns how many events went in."""
        notes = self.performance.take_settled()
        if not notes:
            return 0
        events, self.last_onset = to_events(notes, self.codec, beat_at, self.last_onset, self.pitch_range)
        self.generator.push(events)
        self.write_log("heard", events=[list(e) for e in events])
        return len(events)

    def _call_response(self, now: float, beat_at: Callable[[float], float]) -> None:
        if self.answering:
            if self.player.finished and self.scheduler.pending == 0:
                self.answering = False
                self.player.halt()
                self.status = "listening"
            return
        heard = self.performance.has_unheard_notes()
        if not heard or self.performance.held or self.performance.quiet_for(now) < self.options.phrase_gap_seconds:
            return
        count = self._fold(beat_at)
        start = beat_at(now + ANSWER_LEAD_SECONDS)
        self.write_log(
            "answer",
            at=now,
            phrase_events=count,
            window=[list(e) for e in self.generator.window],
            last_release=self.performance.last_activity,
        )
        self.player.begin_phrase(start, self.options.answer_beats, self.options.answer_events)
        self.answering = True
        self.status = "answering"

    def _accompaniment_mask(self) -> np.ndarray | None:
        heard = list(self.performance.pitches_heard)
        low, high = self.pitch_range
        if not heard:
            return self._range_mask(low, high)
        mask = self._range_mask(max(low, min(heard) - 12), min(high, max(heard)))
        classes = {p % 12 for p in heard}
        if len(classes) >= MIN_PITCH_CLASSES:
            mask &= np.isin(np.arange(128) % 12, sorted(classes))
        return mask if mask.any() else self._range_mask(low, high)

    @staticmethod
    def _range_mask(low: int, high: int) -> np.ndarray:
        pitches = np.arange(128)
        mask: np.ndarray = (pitches >= low) & (pitches <= high)
        return mask
