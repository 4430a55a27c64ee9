"""The scheduler sends by beat at absolute times, keeps track of held notes and silences them on demand."""

from __future__ import annotations

import time

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from continuo.live.engine.scheduler import PortFailedError, Scheduler
from continuo.live.timing.clock import TempoClock
from tests.live.fakes import RecordingPort, fake_clock


def test_messages_wait_for_their_beat_then_go_in_beat_order() -> None:
    clock, now = fake_clock()
    port = RecordingPort()
    scheduler = Scheduler(port, clock)
    scheduler.note(64, 90, 0, 1.0, 2.0)
    scheduler.note(60, 90, 0, 0.0, 0.5)
    scheduler.send_due()
    assert port.summary() == [("note_on", 60)]
    now.seconds += 0.5
    scheduler.send_due()
    assert port.summary() == [("note_on", 60), ("note_off", 60)]
    now.seconds += 0.49
    scheduler.send_due()
    assert len(port.sent) == 2
    now.seconds += 0.01
    scheduler.send_due()
    assert port.summary()[-1] == ("note_on", 64)
    assert port.sent[-1].velocity == 90


def test_a_tempo_change_moves_what_is_still_queued() -> None:
    clock, now = fake_clock(bpm=60)
    port = RecordingPort()
    scheduler = Scheduler(port, clock)
    scheduler.note(60, 90, 0, 2.0, 3.0)
    clock.set_tempo(120)  # at beat 0: beat 2 now falls after 1 second, not 2
    now.seconds += 1.0
    scheduler.send_due()
    assert port.summary() == [("note_on", 60)]


def test_a_repeated_pitch_is_released_then_struck_and_never_cut_by_the_older_note_off() -> None:
    clock, now = fake_clock()
    port = RecordingPort()
    scheduler = Scheduler(port, clock)
    scheduler.note(60, 90, 0, 0.0, 4.0)  # long note
    scheduler.note(60, 90, 0, 1.0, 2.0)  # same pitch struck again while the first still sounds
    for step in range(5):
        now.seconds = 100.0 + step
        scheduler.send_due()
    assert port.summary() == [("note_on", 60), ("note_off", 60), ("note_on", 60), ("note_off", 60)]
    assert scheduler.held == 0


def test_note_off_goes_before_note_on_at_the_same_beat() -> None:
    clock, now = fake_clock()
    port = RecordingPort()
    scheduler = Scheduler(port, clock)
    scheduler.note(62, 90, 0, 1.0, 2.0)
    scheduler.note(62, 90, 0, 0.0, 1.0)
    now.seconds += 1.0
    scheduler.send_due()
    assert port.summary() == [("note_on", 62), ("note_off", 62), ("note_on", 62)]


def test_panic_releases_held_notes_then_cc123_and_cc120_on_each_channel_used() -> None:
    clock, _ = fake_clock()
    port = RecordingPort()
    scheduler = Scheduler(port, clock)
    scheduler.note(60, 90, 0, 0.0, 8.0)
    scheduler.note(67, 90, 3, 0.0, 8.0)
    scheduler.note(72, 90, 0, 1.0, 8.0)  # queued, never struck: nothing to release
    scheduler.send_due()
    scheduler.panic()
    offs = [("note_off", 60), ("note_off", 67)]
    assert port.summary()[2:] == [*offs, *[("control_change", 123), ("control_change", 120)] * 2]
    assert [m.channel for m in port.sent[4:]] == [0, 0, 3, 3]
    assert scheduler.held == 0 and scheduler.pending_notes == 0


def test_flush_releases_held_notes_and_drops_the_queue() -> None:
    clock, now = fake_clock()
    port = RecordingPort()
    scheduler = Scheduler(port, clock)
    scheduler.note(60, 90, 0, 0.0, 2.0)
    scheduler.note(64, 90, 0, 1.0, 2.0)
    scheduler.send_due()
    scheduler.flush()
    now.seconds += 5
    scheduler.send_due()
    assert port.summary() == [("note_on", 60), ("note_off", 60)]


def test_panic_tries_every_message_when_the_port_fails_and_reports_the_failure() -> None:
    clock, _ = fake_clock()
    port = RecordingPort()
    scheduler = Scheduler(port, clock)
    scheduler.note(60, 90, 0, 0.0, 8.0)
    scheduler.send_due()
    port.fail = True
    with pytest.raises(PortFailedError, match="went away"):
        scheduler.panic()
    assert scheduler.held == 0


def test_the_recorder_tap_sees_each_message_with_its_beat() -> None:
    clock, now = fake_clock()
    seen: list[tuple[float, str]] = []
    scheduler = Scheduler(None, clock, lambda beat, message: seen.append((beat, message.type)))
    scheduler.note(60, 90, 0, 0.0, 1.5)
    for step in range(3):
        now.seconds = 100.0 + step
        scheduler.send_due()
    assert seen == [(0.0, "note_on"), (1.5, "note_off")]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(58, 62),  # few pitches, so overlaps of one pitch are common
            st.integers(0, 3),
            st.floats(0, 8, allow_nan=False),
            st.floats(0.05, 4, allow_nan=False),
        ),
        max_size=40,
    ),
    st.floats(0, 14, allow_nan=False),
)
def test_whatever_is_queued_and_whenever_it_stops_every_note_on_gets_its_note_off(
    notes: list[tuple[int, int, float, float]], stop_at: float
) -> None:
    clock, now = fake_clock()
    port = RecordingPort()
    scheduler = Scheduler(port, clock)
    for pitch, channel, start, length in notes:
        scheduler.note(pitch, 80, channel, start, start + length)
    step = 0.0
    while step <= stop_at:
        now.seconds = 100.0 + step
        scheduler.send_due()
        step += 0.25
    scheduler.panic()
    sounding: set[tuple[int, int]] = set()
    for message in port.sent:
        key = (message.channel, getattr(message, "note", -1))
        if message.type == "note_on":
            assert key not in sounding, "a note struck twice without a note-off between"
            sounding.add(key)
        elif message.type == "note_off":
            sounding.discard(key)
    assert not sounding


def test_the_thread_sends_on_a_real_clock_and_stops() -> None:
    clock = TempoClock(300)  # 0.2 s per beat
    port = RecordingPort()
    scheduler = Scheduler(port, clock)
    clock.start(clock.now() + 0.02)
    for beat in range(5):
        scheduler.note(60 + beat, 80, 0, beat * 0.25, beat * 0.25 + 0.125)
    scheduler.start()
    deadline = time.monotonic() + 5
    while len(port.sent) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    scheduler.stop()
    assert [m.type for m in port.sent] == ["note_on", "note_off"] * 5
    assert scheduler.error is None


def test_an_error_in_the_thread_is_kept_for_the_engine_to_act_on() -> None:
    clock = TempoClock(300)
    port = RecordingPort()
    port.fail = True
    scheduler = Scheduler(port, clock)
    scheduler.note(60, 80, 0, clock.beat_at(clock.now()), 1e6)
    scheduler.start()
    deadline = time.monotonic() + 5
    while scheduler.error is None and time.monotonic() < deadline:
        time.sleep(0.01)
    scheduler.stop()
    assert isinstance(scheduler.error, PortFailedError) and isinstance(scheduler.error.__cause__, OSError)


def test_messages_are_mido_messages_on_the_right_channel() -> None:
    clock, _ = fake_clock()
    port = RecordingPort()
    scheduler = Scheduler(port, clock)
    scheduler.note(60, 100, 9, 0.0, 1.0)
    scheduler.send_due()
    assert port.sent == [mido.Message("note_on", channel=9, note=60, velocity=100)]
