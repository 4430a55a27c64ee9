"""The last watchdog: an engine thread that stops coming round (stuck inside inference, a deadlock).

The engine's own checks (a stalled generation, a dead scheduler: live/engine/engine.py) run on its
thread, so they cannot see that thread itself stuck. This one runs on a thread of its own: when the
engine has not finished a round for HANG_SECONDS, it silences the port through the scheduler (which
takes its own lock and needs nothing from the engine's thread), says so, and ends the process with
EXIT_FAILURE at once, so a supervisor (systemd's Restart=always) starts a healthy one.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable

from continuo.live.engine.engine import Engine
from continuo.live.errors import EXIT_FAILURE

HANG_SECONDS = 10.0  # far beyond any round's work: a model switch loads in milliseconds, a take part in less
CHECK_SECONDS = 1.0
PANIC_SECONDS = 1.0  # the longest the exit waits for the panic


def _exit_now() -> None:
    sys.stderr.flush()
    os._exit(EXIT_FAILURE)


class HangWatch:
    def __init__(
        self,
        engine: Engine,
        log: Callable[..., None],
        hang_seconds: float = HANG_SECONDS,
        now: Callable[[], float] = time.monotonic,
        exit_now: Callable[[], None] = _exit_now,
    ) -> None:
        self.engine, self.log, self.hang_seconds, self.now, self.exit_now = engine, log, hang_seconds, now, exit_now
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="continuo-hang-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def check(self) -> bool:
        """True (after panicking and asking to exit) when the engine's last round is too long ago."""
        engine = self.engine
        if not engine.running or self.now() - engine.heartbeat < self.hang_seconds:
            return False
        quiet = self.now() - engine.heartbeat
        # On a thread of its own: if what hangs holds the scheduler's lock, the panic waits for it, the exit not.
        panic = threading.Thread(target=self._panic, name="continuo-hang-panic", daemon=True)
        panic.start()
        panic.join(PANIC_SECONDS)
        print(f"continuo play: error: the engine stopped for {quiet:.0f} s: all notes off, exiting", file=sys.stderr)
        self.log("hang", quiet_seconds=round(quiet, 1))
        self.exit_now()
        return True

    def _panic(self) -> None:
        with contextlib.suppress(Exception):  # a port that fails too: the exit matters more
            self.engine.scheduler.panic()

    def _watch(self) -> None:
        while not self._stopped.wait(CHECK_SECONDS):
            if self.check():
                return
