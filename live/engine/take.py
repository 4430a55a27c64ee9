"""The take: every message the scheduler sends, recorded at its beat, saved when the run ends.

With --duration, what leaves at or after the end beat (note-offs due in the last poll interval, the
exit panic) is held back and written at the end beat in a fixed order: note-offs by (channel, pitch),
then the panic's controls. Whether a note-off due just after the end is sent by the scheduler or by
the panic is a race; written this way the take depends only on the music: the same seed, the same file.
"""

from __future__ import annotations

from pathlib import Path

import mido

from continuo.live.engine.player import at_or_past
from continuo.live.engine.recorder import PartedRecorder, Recorder, releases_note


class Take:
    def __init__(self, path: Path, bpm: float, part_minutes: float | None = None) -> None:
        self.path, self.bpm = path, bpm
        self.recorder: Recorder | PartedRecorder = (
            Recorder() if part_minutes is None else PartedRecorder(path, bpm, part_minutes * bpm)
        )
        self.end_beat: float | None = None  # with --duration: set by the engine before the music starts
        self._ending: list[mido.Message] = []

    def __call__(self, beat: float, message: mido.Message) -> None:
        """On the scheduler thread, for each message sent: keep it short."""
        if self.end_beat is not None and at_or_past(beat, self.end_beat):
            self._ending.append(message)
        else:
            self.recorder(beat, message)

    def finish(self) -> str | None:
        """Write the ending and save; returns why parts could not be written, if that happened."""
        if self.end_beat is not None and self._ending:
            offs = [(m.channel, m.note) for m in self._ending if releases_note(m)]
            for channel, note in sorted(offs):
                self.recorder(self.end_beat, mido.Message("note_off", channel=channel, note=note))
            for message in self._ending:
                if not releases_note(message):
                    self.recorder(self.end_beat, message)
            self._ending = []
        if isinstance(self.recorder, PartedRecorder):
            self.recorder.close()
            if self.recorder.failure is not None:
                written = f"{self.recorder.parts_written} of {self.recorder.parts_closed} parts written"
                return f"{self.recorder.failure} ({written})"
            return None
        self.recorder.save(self.path, self.bpm)
        return None
