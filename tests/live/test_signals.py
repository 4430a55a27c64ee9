"""SIGINT and SIGTERM stop the engine even when they land while the main thread holds the stop event's lock.

Each case runs in a child interpreter with a timeout, since the failure being guarded against is a hang.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# Event.wait re-takes the event's lock when it wakes; a signal handled at that instant runs on the same
# thread while the lock is held. The old handler called stop.set() there and hung for ever.
SIGNAL_WHILE_THE_LOCK_IS_HELD = """
import os, signal, threading, time
from continuo.live.runner.signals import stop_on_signals

stop = threading.Event()
with stop_on_signals(stop.set):
    with stop._cond:
        os.kill(os.getpid(), signal.{name})
        time.sleep(0.2)  # the Python-level handler runs here, on this thread, lock held
    print("stopped" if stop.wait(5) else "not stopped")
print("restored", signal.getsignal(signal.SIGINT) is signal.default_int_handler, signal.set_wakeup_fd(-1))
"""


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_signal_while_the_stop_lock_is_held_still_stops_and_handlers_are_restored(name: str) -> None:
    script = textwrap.dedent(SIGNAL_WHILE_THE_LOCK_IS_HELD.format(name=name))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["stopped", "restored True -1"]


def test_outside_the_block_ctrl_c_interrupts_as_usual() -> None:
    script = textwrap.dedent("""
        import os, signal, threading
        from continuo.live.runner.signals import stop_on_signals
        with stop_on_signals(threading.Event().set):
            pass
        try:
            os.kill(os.getpid(), signal.SIGINT)
            signal.pause() if hasattr(signal, "pause") else None
        except KeyboardInterrupt:
            print("interrupted")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=20)
    assert result.stdout.strip() == "interrupted", result.stderr
