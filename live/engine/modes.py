"""The modes, one class each: when the model plays and what it takes from the performer.

- continue: the model plays without end; the performer's notes join the window as they settle.
- call-response: the model listens; once all keys are up and the phrase gap has passed, the
  phrase joins the window and the model answers for a number of beats (or events), then listens
  again. A key struck during an answer stops it at once (note-offs sent).
- accompany: like continue, but every pitch is constrained to the performer's register (their
  recent lowest and highest notes, an octave of room below) and to the pitch classes they played.

A mode only directs the engine's parts (the `Stage`); the engine owns them, calls the mode from its
own thread, and swaps one mode for another on a ChangeMode command, handing over the performance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from continuo.live.engine.generator import Generator
from continuo.live.engine.performance import Performance, to_events
from continuo.live.engine.player import Player
from continuo.live.engine.scheduler import Scheduler
from continuo.live.music.codec import PITCH_CLASSES, Codec
from continuo.live.music.midi import OCTAVE
from continuo.live.timing.clock import Clock

ANSWER_LEAD_SECONDS = 0.003  # the first answer note: just after its inference
MIN_NOTE_NAMES = 3  # before this many distinct note names (pitch mod 12), accompany keeps only the register
Log = Callable[..., None]


@dataclass(frozen=True)
class ModeOptions:
    phrase_gap_seconds: float = 0.5
    answer_beats: float | None = 8.0
    answer_events: int | None = None


@dataclass
class Stage:
    """The engine's parts a mode directs (owned by the engine, used on its thread only)."""

    player: Player
    scheduler: Scheduler
    generator: Generator
    codec: Codec
    clock: Clock
    log: Log


class Mode:
    name: ClassVar[str] = ""
    plays_alone: ClassVar[bool] = True  # the player places notes without waiting for a phrase

    def __init__(self, stage: Stage, options: ModeOptions, performance: Performance) -> None:
        self.stage, self.options, self.performance = stage, options, performance
        self.last_onset: float | None = None  # beat of the last event folded from the performer
        self.status = ""

    def enter(self, resume_beat: float | None) -> None:
        """Take over from another mode; `resume_beat` is where to play from, None if the music must wait."""
        if resume_beat is not None and not self.stage.player.active:
            self.stage.player.begin_phrase(resume_beat)

    def leave(self) -> None:
        """Hand over to another mode."""

    def silenced(self, resume_beat: float | None) -> None:
        """Everything was silenced (a panic, the DAW's Stop); play on from `resume_beat` unless None."""
        if resume_beat is not None:
            self.stage.player.begin_phrase(resume_beat)

    def on_note_on(self) -> None:
        """A key was struck (already in the performance)."""

    def wait_hint(self, now: float, default: float) -> float:
        """How long the engine may wait for commands before `step` is due again."""
        return default

    def step(self, now: float) -> None:
        self.fold()

    def fold(self) -> int:
        """Settled performer notes into the window; returns how many events went in."""
        notes = self.performance.take_settled()
        if not notes:
            return 0
        stage = self.stage
        pitch_range = stage.generator.pitch_range
        events, self.last_onset = to_events(notes, stage.codec, stage.clock.beat_at, self.last_onset, pitch_range)
        stage.generator.push(events)
        stage.log("heard", events=[list(e) for e in events])
        return len(events)


class ContinueMode(Mode):
    name = "continue"


class AccompanyMode(Mode):
    name = "accompany"

    def step(self, now: float) -> None:
        self.fold()
        self.stage.generator.constrain(self._mask())

    def leave(self) -> None:
        self.stage.generator.constrain(None)

    def _mask(self) -> np.ndarray | None:
        heard = list(self.performance.pitches_heard)
        if not heard:
            return None
        low, high = self.stage.generator.pitch_range
        pitches = np.arange(PITCH_CLASSES)
        mask: np.ndarray = (pitches >= max(low, min(heard) - OCTAVE)) & (pitches <= min(high, max(heard)))
        classes = {p % OCTAVE for p in heard}
        if len(classes) >= MIN_NOTE_NAMES:
            mask &= np.isin(pitches % OCTAVE, sorted(classes))
        return mask if mask.any() else None


class CallResponseMode(Mode):
    name = "call-response"
    plays_alone = False

    def __init__(self, stage: Stage, options: ModeOptions, performance: Performance) -> None:
        super().__init__(stage, options, performance)
        self.answering = False
        self.status = "listening"

    def enter(self, resume_beat: float | None) -> None:
        self._listen("listening")

    def silenced(self, resume_beat: float | None) -> None:
        self._listen("listening")

    def leave(self) -> None:
        """An answer in progress ends here, so the next mode starts its own phrase."""
        self._listen("")

    def on_note_on(self) -> None:
        if self.answering:  # the performer plays over the answer: stop it now and listen
            self._listen("listening (interrupted)")
            self.stage.log("interrupt")

    def _listen(self, status: str) -> None:
        self.stage.player.halt()
        self.stage.scheduler.flush()
        self.answering = False
        self.status = status

    def wait_hint(self, now: float, default: float) -> float:
        """Less than `default` when a phrase gap is about to close."""
        if self.answering or not self.performance.has_unheard_notes() or self.performance.held:
            return default
        return max(0.0, min(default, self.options.phrase_gap_seconds - self.performance.quiet_for(now)))

    def step(self, now: float) -> None:
        stage = self.stage
        if self.answering:
            if stage.player.finished and stage.scheduler.pending_notes == 0:
                self.answering = False
                stage.player.halt()
                self.status = "listening"
            return
        performance = self.performance
        if not performance.has_unheard_notes() or performance.held:
            return
        if performance.quiet_for(now) < self.options.phrase_gap_seconds:
            return
        count = self.fold()
        start = stage.clock.beat_at(now + ANSWER_LEAD_SECONDS)
        stage.log(
            "answer",
            at=now,
            phrase_events=count,
            window=[list(e) for e in stage.generator.window],
            last_release=performance.last_activity,
        )
        stage.player.begin_phrase(start, self.options.answer_beats, self.options.answer_events)
        self.answering = True
        self.status = "answering"


MODE_CLASSES: dict[str, type[Mode]] = {mode.name: mode for mode in (ContinueMode, CallResponseMode, AccompanyMode)}


def no_log(what: str, **fields: Any) -> None:
    """A log that keeps nothing."""
