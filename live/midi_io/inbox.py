"""Messages from input ports, stamped on arrival and handed to the engine's main thread.

The input relay's reader thread (live/midi_io/input_relay.py) only filters and queues, so a
flood of clock, sysex or garbage can never stall the scheduler. mido's parser drops bytes that
do not form a message; what is left is filtered by channel (omni by default).
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable

import mido

Stamped = tuple[float, mido.Message]
CHANNEL_TYPES = {"note_on", "note_off", "control_change", "program_change", "polytouch", "aftertouch", "pitchwheel"}


class Inbox:
    def __init__(self, channel: int | None = None, now: Callable[[], float] = time.monotonic) -> None:
        self.channel = channel  # 0-15, or None for omni
        self.now = now
        self.received = 0
        self._queue: queue.SimpleQueue[Stamped] = queue.SimpleQueue()

    def __call__(self, message: mido.Message) -> None:
        """A port callback that stamps on arrival."""
        self.put(self.now(), message)

    def put(self, stamp: float, message: mido.Message) -> None:
        """A message stamped where it arrived (the input relay stamps in its own process)."""
        self.received += 1
        if self.channel is not None and message.type in CHANNEL_TYPES and message.channel != self.channel:
            return
        self._queue.put((stamp, message))

    def take(self, timeout: float) -> list[Stamped]:
        """Wait up to `timeout` seconds for the first message, then take everything queued."""
        try:
            first = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return []
        taken = [first]
        while True:
            try:
                taken.append(self._queue.get_nowait())
            except queue.Empty:
                return taken
