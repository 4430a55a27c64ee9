"""The generator: a rolling window of at most `window` events and the model that continues it.

It works from one event up (a short seed fills the window as it plays) and takes events pushed
from outside (a performer's notes) the same way as its own, so both shape what comes next.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from continuo.live.engine.loop_guard import LoopGuard
from continuo.live.engine.sampler import SamplingSettings, sample
from continuo.live.music.codec import PITCH_CLASSES, Event
from continuo.live.music.midi import MAX_DATA


class LogitsModel(Protocol):
    def logits(self, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


class Generator:
    def __init__(
        self,
        model: LogitsModel,
        window: int,
        seed_events: Sequence[Event],
        settings: SamplingSettings | None = None,
        seed: int | None = None,
        pitch_range: tuple[int, int] | None = None,
        guard: LoopGuard | None = None,
    ) -> None:
        if not seed_events:
            raise ValueError("the generator needs at least one seed event")
        self.model = model
        self.settings = settings or SamplingSettings()
        self.guard = guard
        self.rng = np.random.default_rng(seed)
        self.window: deque[Event] = deque(seed_events[-window:], maxlen=window)
        self.pitch_range = pitch_range or (0, MAX_DATA)
        self.allowed_pitches: np.ndarray | None = None  # None: every pitch (a model without a pitch range)
        if pitch_range is not None:
            self.set_pitch_range(pitch_range)

    def set_pitch_range(self, pitch_range: tuple[int, int]) -> None:
        """Never sample a pitch the model did not see in training."""
        self.pitch_range = pitch_range
        self.constrain(None)

    def constrain(self, allowed: np.ndarray | None) -> None:
        """Sample only pitches where `allowed` is True (inside the pitch range), or the whole range if None."""
        if allowed is None:
            low, high = self.pitch_range
            allowed = (np.arange(PITCH_CLASSES) >= low) & (np.arange(PITCH_CLASSES) <= high)
        self.allowed_pitches = allowed

    def set_model(self, model: LogitsModel, pitch_range: tuple[int, int]) -> None:
        """Continue the same window with another model (same class tables)."""
        self.model = model
        self.set_pitch_range(pitch_range)

    def push(self, events: Iterable[Event]) -> None:
        """Fold events into the window (a performer's notes, or a new seed after a flush)."""
        self.window.extend(events)

    def next_event(self) -> Event:
        """Run the model on the window, sample each head from the last step, and append the result.

        A format-2 model gives a row of duration logits per shift class: the duration is drawn from the
        row of the shift just drawn: the note's length is chosen knowing where the note itself falls (in the
        chord before it or after it, on or off the beat). Where the next note falls is not drawn yet.
        """
        events = np.array([tuple(self.window)], dtype=np.int64)
        pitch_logits, duration_logits, shift_logits = (head[0, -1] for head in self.model.logits(events))
        settings = self.settings if self.guard is None else self.guard.settings(self.settings)
        pitch = sample(pitch_logits, settings, self.rng, self.allowed_pitches)
        if duration_logits.ndim == 2:
            shift = sample(shift_logits, settings, self.rng)
            duration = sample(duration_logits[shift], settings, self.rng)
        else:  # format 1: the draw order of the seed's three independent heads, so old takes replay
            duration = sample(duration_logits, settings, self.rng)
            shift = sample(shift_logits, settings, self.rng)
        event = Event(pitch, duration, shift)
        self.window.append(event)
        if self.guard is not None:
            self.guard.observe(event)
        return event
