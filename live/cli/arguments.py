"""Argparse value types that name what they expected and what they got."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

from continuo.live.music.midi import CHANNELS, MAX_DATA
from continuo.live.timing.clock import MAX_BPM, MIN_BPM

Number = TypeVar("Number", int, float)


def bounded(convert: Callable[[str], Number], fits: Callable[[Number], bool], expected: str) -> Callable[[str], Number]:
    """An argparse type: `convert` the text, and refuse a value that does not fit, saying what was `expected`."""

    def parse(text: str) -> Number:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not fits(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {value}")
        return value

    return parse


LOOP_GUARD_FLAG = "--no-loop-guard"
LOOP_GUARD_HELP = "let a loop the model falls into run on (default: a warmer phrase draws the music out of it)"
positive_int = bounded(int, lambda v: v >= 1, "a whole number, 1 or more")
positive_float = bounded(float, lambda v: v > 0, "a number above 0")
channel = bounded(int, lambda v: 1 <= v <= CHANNELS, f"a MIDI channel from 1 to {CHANNELS}")
velocity = bounded(int, lambda v: 1 <= v <= MAX_DATA, f"a velocity from 1 to {MAX_DATA}")
tempo = bounded(float, lambda v: MIN_BPM <= v <= MAX_BPM, f"a tempo from {MIN_BPM:g} to {MAX_BPM:g} BPM")
quantum = bounded(
    int, lambda v: v == 0 or (16 <= v <= 8192 and v & (v - 1) == 0), "0 or a power of two from 16 to 8192 frames"
)
