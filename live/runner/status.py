"""What the terminal shows while playing: one status line, redrawn in place, and optional note lines.

The status line only appears on a terminal (and not with --quiet); piped output stays clean,
and stderr carries nothing but errors. Both are drawn from the engine's snapshot.
"""

from __future__ import annotations

import time
from typing import TextIO

from continuo.live.engine.commands import Snapshot

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
REDRAW_SECONDS = 0.2


def note_name(pitch: int) -> str:
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def status_text(snapshot: Snapshot, show_mode: bool) -> str:
    top_p = f" p {snapshot.top_p:.2f}" if snapshot.top_p else ""
    text = (
        f"{snapshot.model} | {snapshot.tempo:g} BPM | T {snapshot.temperature:.2f}{top_p} | vel {snapshot.velocity}"
        f" | notes {snapshot.notes_sent} | held {snapshot.notes_held}"
    )
    if show_mode:
        text += f" | {snapshot.mode}" + (f": {snapshot.mode_status}" if snapshot.mode_status else "")
    if snapshot.port_lost:
        text += f" | OUTPUT LOST ({snapshot.port_lost}): waiting for it"
    if snapshot.last_change:
        text += f" | {snapshot.last_change}"
    if snapshot.transport:
        text += f" | MIDI clock: {snapshot.transport}"
    if snapshot.loop_recoveries:
        text += f" | loops {snapshot.loop_recoveries}"
    if snapshot.late_sends:
        text += f" | late {snapshot.late_sends}"
    return text


class StatusLine:
    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self._last_draw = 0.0
        self._width = 0

    def show(self, text: str, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < REDRAW_SECONDS:
            return
        self._last_draw = now
        self.stream.write("\r" + text.ljust(self._width))
        self._width = len(text)
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def print_line(self, text: str) -> None:
        """A line of its own (a note, a notice) above the status line."""
        self.clear()
        self.stream.write(text + "\n")
        self.stream.flush()
