"""What left the scheduler: each message goes to the take (if recording) and each note-on to a short
list of recent notes, which the engine's snapshot shows. Called on the scheduler thread, so it only
appends; the lock keeps a reader from copying the list while a note is added."""

from __future__ import annotations

import threading
from collections import deque

import mido

from continuo.live.engine.commands import SentNote
from continuo.live.engine.take import Take

RECENT_NOTES = 64


class Sent:
    def __init__(self, take: Take | None) -> None:
        self.take = take
        self.note_ons = 0
        self._recent: deque[SentNote] = deque(maxlen=RECENT_NOTES)
        self._lock = threading.Lock()

    def __call__(self, beat: float, message: mido.Message) -> None:
        if self.take is not None:
            self.take(beat, message)
        if message.type == "note_on" and message.velocity > 0:
            self.note_ons += 1
            note = SentNote(self.note_ons, beat, message.note, message.velocity, message.channel)
            with self._lock:
                self._recent.append(note)

    def recent(self) -> tuple[SentNote, ...]:
        with self._lock:
            return tuple(self._recent)
