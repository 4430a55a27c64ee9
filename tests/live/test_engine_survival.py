"""What keeps an engine going for weeks, on its own terms (fake clock, recording port): a lost port waited for,
a stalled generation reseeded, a dead scheduler ending the run, a lost MIDI clock, a switch at a phrase end."""

from __future__ import annotations

import time

import mido
import numpy as np
import pytest

from continuo.live.engine.commands import Stop, SwitchModel, Transport
from continuo.live.engine.engine import Engine
from continuo.live.engine.generator import Generator
from continuo.live.engine.options import EngineOptions
from continuo.live.engine.sampler import SamplingSettings
from continuo.live.engine.scheduler import PortFailedError, SchedulerDiedError
from continuo.live.engine.stall import STALL_SECONDS
from continuo.live.engine.switching import MAX_WAIT_BEATS
from continuo.live.model.model_file import load_model
from continuo.live.model.seeds import seed_from_bank
from continuo.live.music.midi import CLOCK_TICKS_PER_BEAT
from continuo.live.timing.clock import TempoClock
from continuo.live.timing.midi_clock import MidiClockFollower
from tests.live.fakes import FakeTime, RecordingPort
from tests.live.streams import note_balance
from tests.live.test_engine import applied, engine


def test_a_port_that_fails_is_waited_for_with_the_window_kept_and_the_music_resumes_on_the_new_one() -> None:
    model = load_model("bach")
    _, seed = seed_from_bank("bach", model.info.codec, model.info.window, np.random.default_rng(0))
    generator = Generator(model, model.info.window, seed, SamplingSettings(1.0), 0, model.info.pitch_range)
    old, new = RecordingPort(), RecordingPort()
    eng = Engine(model, generator, TempoClock(240), old, EngineOptions(survive_port_loss=True))  # type: ignore[arg-type]
    seen: dict[str, object] = {}

    def between_steps() -> None:  # on the engine's thread, as the runner's port keeper is
        now = time.monotonic()
        seen.setdefault("start", now)
        if not old.fail and sum(m.type == "note_on" for m in old.sent) >= 5:
            old.fail = True  # the device goes away mid-music
        elif eng.port_lost and "lost" not in seen:
            seen["lost"], seen["lost_window"] = eng.port_lost, list(eng.generator.window)
            seen["held"] = {(m.channel, m.note) for m in old.sent if m.type == "note_on"} - {
                (m.channel, m.note) for m in old.sent if m.type == "note_off"
            }
        elif "lost" in seen and "back" not in seen:
            seen["back"], seen["window"] = eng.clock.beat_at(eng.clock.now()), list(eng.generator.window)
            eng.output_restored(new)  # type: ignore[arg-type]
        if sum(m.type == "note_on" for m in new.sent) >= 5 or now - float(seen["start"]) > 10:  # type: ignore[arg-type]
            eng.submit(Stop())

    eng.run(between_steps)
    assert eng.shut_down() is None
    assert seen["lost"] == "port went away"
    assert seen["window"] == seen["lost_window"]  # kept, and nothing drawn while the port was away
    summary = new.summary()
    first_note = next(i for i, (kind, _) in enumerate(summary) if kind == "note_on")
    # The new port first ends what was held on the old one (it may be the same synth), then plays on.
    # (what the scheduler counted held includes the note whose send failed: it may have reached the synth)
    assert seen["held"] <= {(m.channel, m.note) for m in new.sent[:first_note] if m.type == "note_off"}
    assert [n for kind, n in summary[:first_note] if kind == "control_change"] == [123, 120]
    assert sum(kind == "note_on" for kind, _ in summary) >= 5
    assert note_balance(new.sent) == set() and [n for _, n in summary[-2:]] == [123, 120]


def test_without_survival_a_port_failure_ends_the_run_and_a_bug_in_the_scheduler_always_does() -> None:
    eng, _ = engine()
    eng.scheduler.error = PortFailedError("gone")
    with pytest.raises(PortFailedError):
        eng._check_scheduler()
    eng, _ = engine(survive_port_loss=True)
    eng.scheduler.error = ZeroDivisionError("a bug")
    with pytest.raises(SchedulerDiedError, match="the scheduler thread died: ZeroDivisionError: a bug"):
        eng._check_scheduler()


class ZeroShifts:
    """The shipped model, except that every next note starts with the one before: one endless chord."""

    def __init__(self, model: object) -> None:
        self.model, self.info = model, model.info  # type: ignore[attr-defined]

    def logits(self, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pitch, duration, shift = self.model.logits(events)  # type: ignore[attr-defined]
        shift = np.full_like(shift, -1e9)
        shift[..., list(self.info.codec.shifts).index(0.0)] = 0.0
        return pitch, duration, shift


def test_a_generation_stuck_on_one_onset_is_panicked_and_reseeded() -> None:
    eng, port = engine()
    time: FakeTime = eng.clock._now  # type: ignore[attr-defined]
    eng.generator.model = ZeroShifts(eng.model)
    seeded = list(eng.generator.window)
    for _ in range(int(3 * STALL_SECONDS / 0.1)):
        now = time.seconds
        eng.player.schedule_until(eng.clock.beat_at(now) + 0.5)
        eng.scheduler.send_due()
        eng._watch_generation(now)
        if eng.stall_watch.stalls:
            break
        time.seconds += 0.1
    assert eng.stall_watch.stalls == 1
    assert eng.last_change == "generation stalled: panic, reseeded"
    assert list(eng.generator.window) != seeded[-len(eng.generator.window) :]
    assert [m.control for m in port.sent if m.type == "control_change"][-2:] == [123, 120]
    assert eng.player.active  # and it plays on from the beat after next
    eng, _ = engine()  # a healthy model never trips it
    for step in range(40):
        now = 100.0 + step * 0.1
        eng.clock._now.seconds = now  # type: ignore[attr-defined]
        eng.player.schedule_until(eng.clock.beat_at(now) + 0.5)
        eng._watch_generation(now)
    assert eng.stall_watch.stalls == 0


def clock_engine(policy: str) -> tuple[Engine, MidiClockFollower, FakeTime]:
    model = load_model("bach")
    time = FakeTime()
    follower = MidiClockFollower(120, now=time)
    _, seed = seed_from_bank("bach", model.info.codec, model.info.window, np.random.default_rng(0))
    generator = Generator(model, model.info.window, seed, SamplingSettings(1.0), 0, model.info.pitch_range)
    eng = Engine(model, generator, follower, RecordingPort(), EngineOptions(clock_lost=policy))  # type: ignore[arg-type]
    return eng, follower, time


def tick(follower: MidiClockFollower, time: FakeTime, count: int, bpm: float = 120) -> None:
    for _ in range(count):
        time.seconds += 60 / bpm / CLOCK_TICKS_PER_BEAT
        follower.handle(time.seconds, mido.Message("clock"))


@pytest.mark.parametrize("policy", ["continue", "pause"])
def test_a_clock_that_goes_quiet_is_noticed_after_two_beats_and_picked_up_when_it_returns(policy: str) -> None:
    eng, follower, time = clock_engine(policy)
    follower.handle(time.seconds, mido.Message("start"))
    eng.transport.apply(Transport("start"))
    tick(follower, time, 2 * CLOCK_TICKS_PER_BEAT)
    eng.transport.watch(time.seconds)
    assert eng.transport.state == "playing" and not eng.transport.lost
    time.seconds += 1.9 * 0.5  # 1.9 beats at 120 BPM: not yet
    eng.transport.watch(time.seconds)
    assert not eng.transport.lost
    time.seconds += 0.2
    eng.transport.watch(time.seconds)
    assert eng.transport.lost
    if policy == "pause":
        assert eng.transport.state == "clock lost: paused" and not eng.player.active
    else:
        assert eng.transport.state.startswith("playing on at 120 BPM") and eng.player.active
    tick(follower, time, 3)
    eng.transport.watch(time.seconds)
    assert eng.transport.state == "playing" and not eng.transport.lost and eng.player.active


def test_a_switch_at_a_phrase_end_waits_for_a_long_note_or_at_most_a_few_beats_and_can_reseed() -> None:
    eng, _ = engine()
    shot = applied(eng, SwitchModel("palestrina", seed_composer="palestrina", at_phrase_end=True))
    assert shot.model == "bach" and shot.last_change == "model palestrina at the next phrase end"
    changes: list[tuple[str, dict[str, object]]] = []
    eng.models._changed = lambda text, **fields: changes.append((text, fields))
    eng.player.schedule_until(MAX_WAIT_BEATS + 8)
    eng._publish()
    assert eng.snapshot().model == "palestrina"
    assert changes[0][0] == "model palestrina" and changes[0][1]["phrase_end"] is True
    assert "palestrina seed bank" in str(changes[0][1]["seed"])
    assert eng.models.pending is None
    applied(eng, SwitchModel("bach"))
    assert eng.snapshot().model == "bach"  # without at_phrase_end: at once
