"""MIDI numbers with names: the controls a panic sends and the resolutions of files and clocks.

Two resolutions, two names: a Standard MIDI File counts FILE_TICKS_PER_BEAT ticks per quarter note
(480 is what DAWs write by default), while MIDI beat clock sends CLOCK_TICKS_PER_BEAT (24, fixed by the
MIDI 1.0 specification) timing messages per quarter note.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

ALL_SOUND_OFF = 120  # CC120: silence now, release tails included
ALL_NOTES_OFF = 123  # CC123: release every note held on the channel
PANIC_CONTROLS = (ALL_SOUND_OFF, ALL_NOTES_OFF)
FILE_TICKS_PER_BEAT = 480
CLOCK_TICKS_PER_BEAT = 24
CHANNELS = 16
MAX_DATA = 127  # the largest note, velocity or controller value
OCTAVE = 12  # semitones; also the number of pitch classes (note names C to B)
DEFAULT_BPM = 120.0  # a MIDI file without a tempo event plays at 120 BPM; Continuo starts there too
DEFAULT_VELOCITY = 80  # mezzo-forte: what plays until a performer is heard or a velocity is set


def silencing(notes: Iterable[tuple[int, int]], channels: Iterable[int]) -> list[Any]:
    """Note-offs for `notes` ((channel, pitch), in order), then CC123 and CC120 on each of `channels`
    (mido messages; mido is imported here, so the command line's start-up, which reads these numbers,
    does not pay for it)."""
    import mido

    offs = [mido.Message("note_off", channel=channel, note=pitch) for channel, pitch in notes]
    return offs + [
        mido.Message("control_change", channel=channel, control=control, value=0)
        for channel in sorted(channels)
        for control in (ALL_NOTES_OFF, ALL_SOUND_OFF)
    ]
