"""The MIDI clock follower against a fake clock: tempo from ticks, transport, position."""

from __future__ import annotations

import random

import mido
import pytest

from continuo.live.engine.scheduler import Scheduler
from continuo.live.music.midi import CLOCK_TICKS_PER_BEAT
from continuo.live.timing.midi_clock import MidiClockFollower, TransportEvent
from tests.live.fakes import RecordingPort, fake_clock

TICK = mido.Message("clock")


def ticks(follower: MidiClockFollower, start: float, bpm: float, count: int, jitter: float = 0.0) -> float:
    """Send `count` ticks at `bpm` from `start` (seconds), each late by up to `jitter`; returns the next tick time."""
    period = 60.0 / bpm / CLOCK_TICKS_PER_BEAT
    rng = random.Random(1)
    for index in range(count):
        follower.handle(start + index * period + rng.uniform(0, jitter), TICK)
    return start + count * period


def test_stopped_until_start_then_beat_zero_is_the_first_tick_after_it() -> None:
    follower = MidiClockFollower(120)
    seen: list[TransportEvent] = []
    follower.on_transport = seen.append
    follower.handle(10.0, mido.Message("stop"))
    assert follower.seconds_at(0.0) is None
    follower.handle(10.5, mido.Message("start"))
    ticks(follower, 11.0, 90, 48)
    assert [e.kind for e in seen] == ["stop", "start"]
    assert follower.seconds_at(0.0) == pytest.approx(11.0, abs=1e-9)
    assert follower.seconds_at(1.0) == pytest.approx(11.0 + 60 / 90, abs=1e-9)
    assert follower.bpm == pytest.approx(90)


def test_tempo_is_estimated_through_jitter_and_follows_a_change() -> None:
    follower = MidiClockFollower(120)
    follower.handle(0.0, mido.Message("start"))
    next_tick = ticks(follower, 1.0, 90, 96, jitter=0.0013)  # one JACK period of jitter at 48 kHz, 64 frames
    assert follower.bpm == pytest.approx(90, rel=0.01)
    ticks(follower, next_tick, 140, 96, jitter=0.0013)
    assert follower.bpm == pytest.approx(140, rel=0.01)
    beat = follower.position_ticks / CLOCK_TICKS_PER_BEAT
    period = 60 / 140 / CLOCK_TICKS_PER_BEAT
    expected = next_tick + 95 * period
    predicted = follower.seconds_at(beat)
    assert predicted is not None and abs(predicted - expected) < 0.0013  # within the jitter, not the old tempo


def test_stop_pauses_continue_resumes_from_the_position_and_spp_jumps_it() -> None:
    follower = MidiClockFollower(120)
    follower.handle(0.0, mido.Message("start"))
    next_tick = ticks(follower, 1.0, 120, 49)  # beat 0 .. beat 2
    follower.handle(next_tick, mido.Message("stop"))
    assert follower.seconds_at(3.0) is None and follower.beat_at(next_tick + 5) == 2.0
    ticks(follower, next_tick + 0.1, 120, 10)  # some DAWs keep the clock running while stopped
    assert follower.position_ticks == 48
    follower.handle(next_tick + 1, mido.Message("songpos", pos=16))  # 16 sixteenths = beat 4
    assert follower.beat_at(next_tick + 1) == 4.0
    follower.handle(next_tick + 1.5, mido.Message("continue"))
    ticks(follower, 20.0, 120, 25)
    assert follower.seconds_at(4.0) == pytest.approx(20.0)
    assert follower.beat_at(20.5) == pytest.approx(5.0)


def test_a_clock_already_running_with_no_start_is_joined_even_before_anyone_listens() -> None:
    follower = MidiClockFollower(120)
    ticks(follower, 5.0, 100, 30)  # the engine is still setting up: nobody listens yet
    seen: list[TransportEvent] = []
    follower.connect(seen.append)
    assert [e.kind for e in seen] == ["continue"] and follower.running
    assert follower.bpm == pytest.approx(100)


def test_as_clock_master_the_scheduler_sends_start_24_ticks_per_beat_and_stop() -> None:
    clock, time = fake_clock(60)
    port = RecordingPort()
    scheduler = Scheduler(port, clock, send_clock=True)
    scheduler.note(60, 90, 0, 0.5, 1.0)
    scheduler.queue_clock(2.0)
    time.seconds += 2.0
    scheduler.send_due()
    scheduler.panic()  # silences notes; the clock keeps its place ...
    scheduler.stop_clock()  # ... until the very end
    kinds = [m.type for m in port.sent]
    assert kinds[0] == "start" and kinds[-1] == "stop"
    assert kinds.count("clock") == 2 * CLOCK_TICKS_PER_BEAT + 1  # beats 0..2 inclusive
    assert kinds.index("note_on") == 1 + CLOCK_TICKS_PER_BEAT // 2 + 1  # the note at beat 0.5 follows its tick
