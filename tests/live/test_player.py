"""The player places generated events on the beat line and feeds the scheduler a bounded lookahead."""

from __future__ import annotations

import time
from collections.abc import Iterator

from continuo.live.engine.player import MAX_EVENTS_PER_ROUND, Player, PlayOptions
from continuo.live.engine.scheduler import Scheduler
from continuo.live.music.codec import Codec, Event
from tests.live.fakes import RecordingPort, fake_clock

CODEC = Codec()
QUARTER = CODEC.durations.index(1.0)
HALF_BEAT = CODEC.shifts.index(0.5)
CHORD = CODEC.shifts.index(0.0)


class Script:
    """An event source that plays a fixed list over and over, counting how often it was asked."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events
        self.asked = 0

    def next_event(self) -> Event:
        event = self.events[self.asked % len(self.events)]
        self.asked += 1
        return event


def player_with(events: list[Event], **options: float) -> tuple[Player, RecordingPort, Script]:
    clock, _ = fake_clock()
    port = RecordingPort()
    script = Script(events)
    scheduler = Scheduler(port, clock)
    return Player(script, CODEC, clock, scheduler, PlayOptions(**options)), port, script  # type: ignore[arg-type]


def onsets(player: Player) -> Iterator[tuple[float, int]]:
    for item in sorted(player.scheduler._queue):
        if item.kind == 1:
            yield item.beat, item.pitch


def test_first_note_on_beat_zero_then_each_after_its_shift_chords_share_an_onset() -> None:
    player, _, _ = player_with(
        [Event(60, QUARTER, HALF_BEAT), Event(64, QUARTER, CHORD), Event(67, QUARTER, HALF_BEAT)]
    )
    player.schedule_until(1.0)
    assert list(onsets(player))[:5] == [(0.0, 60), (0.0, 64), (0.5, 67), (1.0, 60), (1.0, 64)]


def test_lookahead_is_bounded_to_one_event_past_the_horizon() -> None:
    player, _, script = player_with([Event(60, QUARTER, HALF_BEAT)])
    player.schedule_until(2.0)
    assert script.asked == 6  # onsets 0, .5, 1, 1.5, 2 and one at 2.5 that ends the fill
    player.schedule_until(2.0)
    assert script.asked == 6


def test_nothing_starts_at_or_after_the_end() -> None:
    player, _, _ = player_with([Event(60, QUARTER, HALF_BEAT)])
    player.end_beat = 1.0
    player.schedule_until(10.0)
    assert [beat for beat, _ in onsets(player)] == [0.0, 0.5]
    assert player.finished


def test_a_model_stuck_on_one_endless_chord_cannot_hold_the_main_loop() -> None:
    player, _, script = player_with([Event(60, QUARTER, CHORD)])
    player.schedule_until(4.0)  # every event has shift 0: the onset never passes the horizon
    assert script.asked == MAX_EVENTS_PER_ROUND
    player.schedule_until(4.0)
    assert script.asked == 2 * MAX_EVENTS_PER_ROUND


def test_a_note_summed_to_a_hair_before_the_end_counts_as_at_the_end() -> None:
    """Six sixths of a beat sum to 0.9999999999999999, not 1.0: that note starts on the end, so it is not played
    (played, it would leave or not before the exit panic drops it, a race that changes the take)."""
    sixth = CODEC.shifts.index(1 / 6)
    player, _, _ = player_with([Event(60, QUARTER, sixth)])
    player.end_beat = 1.0
    player.schedule_until(10.0)
    placed = [beat for beat, _ in onsets(player)]
    assert len(placed) == 6 and placed[-1] < 1.0  # 0 to 5/6; the seventh sums to a hair under 1.0
    assert player.finished


def test_waiting_for_what_is_due_before_a_beat_returns_once_it_is_sent() -> None:
    player, port, _ = player_with([Event(60, QUARTER, HALF_BEAT)])
    scheduler = player.scheduler
    scheduler.note(60, 80, 0, 0.0, 0.5)
    began = time.monotonic()
    scheduler.wait_sent_before(1.0, timeout=0.05)  # the thread is not started: nothing is sent, it gives up
    assert time.monotonic() - began >= 0.05
    assert scheduler.pending_notes == 2 and port.sent == []
    scheduler.start()  # the fake clock stands at beat 0: the note-on is due, the note-off (beat 0.5) is not
    scheduler.wait_sent_before(0.25, timeout=2)
    sent = [m.type for m in port.sent]
    scheduler.stop()
    assert sent == ["note_on"]
