"""Ctrl-C and SIGTERM end the music through its normal way out (note-offs, CC123), and never hang it.

A Python signal handler runs on the main thread between two bytecodes, inside whatever that thread was
doing. If that was re-taking a lock the handler then needs (an Event's, a queue's), the handler waits
for itself forever (CPython gh-126434 shows the trap with multiprocessing.Event). So the handler does
nothing itself: the interpreter writes the signal's number to a wakeup pipe (`signal.set_wakeup_fd`,
done in C, no lock), and a watcher thread calls `on_signal` (for the engine: submit a Stop command).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

HANDLED = (signal.SIGINT, signal.SIGTERM)
_QUIT_WATCHER = 0  # no signal has number 0


def _watch(read_end: int, on_signal: Callable[[], None]) -> None:
    while True:
        for number in os.read(read_end, 64):
            if number == _QUIT_WATCHER:
                return
            if number in HANDLED:
                on_signal()


def _ignore(_signal: int, _frame: object) -> None:
    """A Python-level handler must exist for the wakeup pipe to hear the signal; the watcher acts."""


@contextmanager
def stop_on_signals(on_signal: Callable[[], None]) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM call `on_signal` on a watcher thread (enter on the main thread)."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    watcher = threading.Thread(target=_watch, args=(read_end, on_signal), name="continuo-signals", daemon=True)
    watcher.start()
    previous = {number: signal.getsignal(number) for number in HANDLED}
    previous_wakeup = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    try:
        for number in HANDLED:
            signal.signal(number, _ignore)
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        signal.set_wakeup_fd(previous_wakeup)
        os.write(write_end, bytes([_QUIT_WATCHER]))
        watcher.join(timeout=1)
        os.close(write_end)
        if not watcher.is_alive():
            os.close(read_end)
