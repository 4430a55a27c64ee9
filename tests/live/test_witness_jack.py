"""The witnesses are themselves tested: on one fast stream, the old way of reading JACK MIDI (a Python callback
in JACK's thread) loses events and the queued reader every test and benchmark now uses loses none."""

from __future__ import annotations

import time
from pathlib import Path

import mido
import pytest

from benchmarks.jack_clients import JackServer, MonotonicReader
from tests.live.jack import Performer, Score

pytestmark = pytest.mark.jack
FIRST_STREAM = 5_000  # messages; doubled until the callback reader loses some
LARGEST_STREAM = 40_000  # within RtMidi's queue (live/midi_io/queued_input.py) even if the reader never polled


def fast_stream(messages: int) -> Score:
    """Note-on and note-off pairs with no time between them: the sender writes as fast as RtMidi takes them."""
    score: Score = []
    for index in range(messages // 2):
        score.append((0.0, mido.Message("note_on", note=index % 128, velocity=1 + index % 127)))
        score.append((0.0, mido.Message("note_off", note=index % 128)))
    return score


def test_on_one_fast_stream_the_callback_reader_loses_events_and_the_queued_reader_none(
    jack_server: JackServer, tmp_path: Path
) -> None:
    messages, rounds = FIRST_STREAM, []
    while True:
        folder = tmp_path / f"{messages}"
        folder.mkdir()
        # Names of their own each round: JACK may not have freed the last round's yet.
        queued = MonotonicReader(jack_server, folder, f"queued{messages}")
        callback = MonotonicReader(jack_server, folder, f"callback{messages}", callback=True)
        sender = Performer(jack_server, folder, fast_stream(messages))
        sender.connect(queued.port)
        sender.connect(callback.port)
        sender.perform()
        time.sleep(0.3)
        heard_queued, heard_callback = queued.stop_raw(), callback.stop_raw()
        late = dict(jack_server.late_clients())
        rounds.append(f"{messages} sent: queued {len(heard_queued)}, callback {len(heard_callback)}; late {late}")
        print(rounds[-1])
        assert [data for _, data in heard_queued] == [m.bytes() for _, m in fast_stream(messages)], rounds
        if len(heard_callback) < messages or messages >= LARGEST_STREAM:
            break
        messages *= 2
    assert len(heard_callback) < messages, f"the callback reader lost nothing even at {messages}: {rounds}"
