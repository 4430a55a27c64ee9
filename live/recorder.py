"""The recorder: a tap on the scheduler that keeps exactly what was sent, by beat, for a `.mid` take.

Beats (not seconds) are kept, so the take lines up with the music, whatever the tempo did.
The file is written to a temporary name and renamed, so an interrupted save never leaves half a file.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import mido

TICKS_PER_BEAT = 480


class Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages: list[tuple[float, mido.Message]] = []

    def __call__(self, beat: float, message: mido.Message) -> None:
        with self._lock:
            self.messages.append((beat, message))

    def to_midifile(self, bpm: float, ticks_per_beat: int = TICKS_PER_BEAT) -> mido.MidiFile:
        track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0)])
        with self._lock:
            sent = list(self.messages)
        now = 0
        for beat, message in sent:  # in sending order: the take replays what the port received
            tick = max(now, round(max(beat, 0.0) * ticks_per_beat))
            track.append(message.copy(time=tick - now))
            now = tick
        midi = mido.MidiFile(ticks_per_beat=ticks_per_beat)
        midi.tracks.append(track)
        return midi

    def save(self, path: Path, bpm: float) -> None:
        partial = path.with_name(path.name + ".partial")
        try:
            self.to_midifile(bpm).save(partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
