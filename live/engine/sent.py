"""What left the scheduler: each message goes to the take (if recording) and each note-on to a short
list of recent notes, which the engine's snapshot shows.

Called on the scheduler thread between two sends, so it only appends, and takes no lock: a deque's
append and `tuple(deque)` each run inside one call into C under the interpreter lock, so a reader
never sees a half-added note, and the scheduler never waits for a reader.
"""

from __future__ import annotations

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

    def __call__(self, beat: float, message: mido.Message) -> None:
        if self.take is not None:
            self.take(beat, message)
        if message.type == "note_on" and message.velocity > 0:
            self.note_ons += 1
            self._recent.append(SentNote(self.note_ons, beat, message.note, message.velocity, message.channel))

    def recent(self) -> tuple[SentNote, ...]:
        return tuple(self._recent)
