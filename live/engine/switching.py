"""The model the engine plays, and how it changes: at once, or at the music's next phrase end.

A playlist (or anyone) may ask for a switch at a phrase end so the new composer takes over where a
musician would hand over: after a long note. The slot sits between the player and the generator as
the player's event source, so it sees each event as it is drawn and can switch between two of them
without stopping the music: the notes already queued play on, and the next event comes from the
new model (with, if asked, a fresh window from a composer's seed bank). If no long note comes, the
switch happens once MAX_WAIT_BEATS of music have passed, so a request never waits forever.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from continuo.live.engine.commands import SwitchModel
from continuo.live.engine.generator import Generator
from continuo.live.errors import ContinuoError
from continuo.live.model.model_file import ContinuoModel
from continuo.live.model.seeds import choose_seed
from continuo.live.music.codec import Event

PHRASE_END_BEATS = 1.0  # a note at least this long ends a phrase
MAX_WAIT_BEATS = 8.0  # ... and with none, a waiting switch happens after this much music

Changed = Callable[..., None]  # the engine's record of a change: (text, **fields for the log)


class ModelSlot:
    """Owns the current model; the player's event source (live/engine/player.py EventSource)."""

    def __init__(
        self,
        model: ContinuoModel,
        generator: Generator,
        load: Callable[[str], ContinuoModel],
        changed: Changed,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.model, self.generator, self._load, self._changed = model, generator, load, changed
        self._rng = rng or np.random.default_rng()
        self.pending: SwitchModel | None = None
        self._waited = 0.0  # beats of music drawn since the pending switch was asked for
        self._last_length = 0.0  # beats the last drawn note lasts

    def request(self, command: SwitchModel, cause: str = "", **fields: object) -> None:
        """Switch now, or remember the switch until the next phrase end (a later request replaces it)."""
        if not command.at_phrase_end:
            self._switch(command, cause, **fields)
            return
        self.pending, self._waited, self._last_length = command, 0.0, 0.0
        self._changed(f"{cause}model {command.model} at the next phrase end", waiting_for=command.model, **fields)

    def next_event(self) -> Event:
        pending = self.pending
        if pending is not None and (self._last_length >= PHRASE_END_BEATS or self._waited >= MAX_WAIT_BEATS):
            self.pending = None
            self._switch(pending, "", phrase_end=True)
        event = self.generator.next_event()
        if self.pending is not None:
            codec = self.model.info.codec
            self._waited += codec.shifts[event.shift]
            self._last_length = codec.durations[event.duration]
        return event

    def reseed(self, composer: str | None) -> str:
        """A fresh window from `composer`'s seed bank (None: the model's own); returns the seed's name."""
        name, events = choose_seed(self.model.info, None, composer, self._rng)
        self.generator.window.clear()
        self.generator.push(events)
        return name

    def _switch(self, command: SwitchModel, cause: str, **fields: object) -> None:
        try:
            model = self._load(command.model)
        except ContinuoError as error:  # a file changed or vanished since start: keep playing what we have
            self._changed(f"{cause}{error}")
            return
        if model.info.codec != self.model.info.codec:
            self._changed(f"{cause}{command.model} uses other class tables; kept {self.model.info.name}")
            return
        self.model = model
        self.generator.set_model(model, model.info.pitch_range)
        if command.seed_composer is not None:
            try:
                fields["seed"] = self.reseed(command.seed_composer)
            except ContinuoError as error:  # a seed bank gone since start: the window plays on
                fields["seed_error"] = str(error)
        self._changed(f"{cause}model {model.info.name}", model=model.info.name, **fields)
