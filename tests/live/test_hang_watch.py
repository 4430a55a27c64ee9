"""The watchdog of last resort: an engine thread that stops coming round is silenced and the process ends."""

from __future__ import annotations

from continuo.live.engine.commands import Stop
from continuo.live.runner.hang_watch import HANG_SECONDS, HangWatch
from tests.live.fakes import FakeTime
from tests.live.test_engine import engine


def test_an_engine_stuck_past_the_bound_is_silenced_and_asked_to_exit_and_a_live_one_is_left_alone() -> None:
    eng, port = engine()
    eng.player.schedule_until(2.0)
    eng.scheduler.send_due()
    held = {m.note for m in port.sent if m.type == "note_on"}
    exits: list[bool] = []
    logged: list[str] = []
    now = [1000.0]
    watch = HangWatch(
        eng, lambda what, **_: logged.append(what), now=lambda: now[0], exit_now=lambda: exits.append(True)
    )
    eng.running, eng.heartbeat = True, 1000.0
    now[0] += HANG_SECONDS - 0.5
    assert not watch.check() and not exits
    now[0] += 1.0
    assert watch.check() and exits == [True] and logged == ["hang"]
    assert {m.note for m in port.sent if m.type == "note_off"} == held
    assert [m.control for m in port.sent if m.type == "control_change"] == [123, 120]
    eng.running = False  # before the loop starts and after it ends, nothing to watch
    assert not HangWatch(eng, logged.append, now=lambda: 1e9, exit_now=lambda: exits.append(True)).check()


def test_the_exit_does_not_wait_for_a_panic_that_cannot_take_the_schedulers_lock() -> None:
    import threading
    import time

    eng, _ = engine()
    exits: list[float] = []
    watch = HangWatch(eng, lambda what, **_: None, now=lambda: 1e9, exit_now=lambda: exits.append(time.monotonic()))
    eng.running, eng.heartbeat = True, 0.0
    held = threading.Event()

    def hold_the_lock() -> None:
        with eng.scheduler._condition:  # what hangs is inside the scheduler's lock
            held.set()
            time.sleep(3)

    threading.Thread(target=hold_the_lock, daemon=True).start()
    held.wait()
    began = time.monotonic()
    assert watch.check()
    assert exits and exits[0] - began < 2.0


def test_a_running_engine_keeps_its_heartbeat_fresh_so_the_watch_leaves_it_alone() -> None:
    """The engine's own loop on a clock the test moves a second a round: each round beats, so at three times the
    bound the watch, asked between rounds as its thread would, has seen no hang."""
    eng, _ = engine()
    time: FakeTime = eng.clock._now  # type: ignore[attr-defined]
    exits: list[bool] = []
    watch = HangWatch(eng, lambda what, **_: None, now=time, exit_now=lambda: exits.append(True))
    beats: list[tuple[float, float]] = []
    rounds = int(3 * HANG_SECONDS)

    def between_steps() -> None:
        beats.append((time.seconds, eng.heartbeat))
        watch.check()
        time.seconds += 1.0
        if len(beats) == rounds:
            eng.submit(Stop())

    eng.run(between_steps)
    eng.shut_down()
    assert len(beats) == rounds and not exits
    assert all(heartbeat == now for now, heartbeat in beats)
