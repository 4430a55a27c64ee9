"""Reading a MIDI input port without running Python in the MIDI system's thread: RtMidi's own queue, polled.

Why: a python-rtmidi callback is called from the MIDI system's thread (JACK's process thread) and must
take the interpreter's lock first. In a cycle where it cannot get the lock in time, JACK moves on and
the events of that cycle are lost for this client; mido's rtmidi input always installs such a callback.
With no callback, RtMidi's C++ side pushes each message into a ring of `QUEUE_SIZE` entries with no
Python involved, and `QueuedInput` empties that ring from a thread of ours every `POLL_SECONDS`. The
ring is sized so that even a flood (a sender writing as fast as RtMidi takes messages) waits in it
through many missed polls; were it ever full, RtMidi would print "message queue limit reached" on
stderr and drop the message, which the witnesses check for (benchmarks/jack_clients.py).

Arrival times. RtMidi stamps each queued message with the seconds since the previous message it
processed; its JACK backend reads `jack_get_time()` in the cycle that delivered the event (JACK 2 reads
CLOCK_MONOTONIC_RAW, which runs a few parts per million apart from CLOCK_MONOTONIC as NTP slews the
latter). `ArrivalClock` chains those gaps into times on our CLOCK_MONOTONIC and bounds each by what
the poll saw: a message found by a poll arrived after the previous poll found the ring empty and
before this poll took it. The chain makes the stamps as exact as the backend's gaps; the bounds keep
any error within one poll interval whatever the gaps do (the first message has no gap before it; a
sysex split across events, or a clock that drifts from ours, would break the chain). Nothing is
filtered in RtMidi for the same reason: a message it ignores still moves its clock, so the chain would
miss that gap; the relay drops what it does not want itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from continuo.live.priority import INPUT_POLL_PRIORITY, request_realtime

QUEUE_SIZE = 1 << 16  # messages RtMidi can hold between two polls
POLL_SECONDS = 0.001  # how often the ring is emptied: the input's added latency is about half of this
Deliver = Callable[[float, list[int]], None]  # a message's monotonic arrival second and its bytes


class ArrivalClock:
    """RtMidi's gaps between messages chained into CLOCK_MONOTONIC seconds, each kept within its poll's bounds."""

    def __init__(self) -> None:
        self._last: float | None = None
        self.corrected = 0  # stamps the bounds moved: where the chain was off (the mapping's error, measured)
        self.largest_correction = 0.0  # seconds

    def stamp(self, gap: float, earliest: float, latest: float) -> float:
        """The arrival of a message `gap` seconds after the previous one, known to lie in [earliest, latest]."""
        if self._last is None:  # nothing to chain from: the latest it can be
            self._last = latest
            return latest
        guess = self._last + gap
        self._last = min(max(guess, earliest), latest)
        if self._last != guess:
            self.corrected += 1
            self.largest_correction = max(self.largest_correction, abs(self._last - guess))
        return self._last


class QueuedInput:
    """Empties an rtmidi `MidiIn` (opened with no callback) from a thread, handing each message to `deliver`.

    The thread starts with `start()`: messages that arrive before that wait in RtMidi's ring, in order.
    """

    def __init__(
        self,
        client: Any,
        deliver: Deliver,
        drained: Callable[[], None] | None = None,
        poll_seconds: float = POLL_SECONDS,
        opened_at: float | None = None,
    ) -> None:
        self._client = client
        self._deliver = deliver
        self._drained = drained  # called after a poll that took messages (a relay flushes its pipe once per poll)
        self._poll_seconds = poll_seconds
        self.clock = ArrivalClock()
        # When the ring was last known empty: the moment before the port opened, where the owner knows it (a DAW's
        # running clock waits in the ring from then), else now (the port must open after this).
        self._empty_at = time.monotonic() if opened_at is None else opened_at
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="continuo-input-poll", daemon=True)
        self.received = 0
        self.realtime = False  # whether the poll thread got its real-time priority (known once it runs)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop polling after one last drain; the client stays open (closing it is the owner's decision)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        if not self._thread.is_alive():  # RtMidi's queue takes one reader at a time
            self.drain()

    def drain(self) -> int:
        """Take every message waiting now; how many there were."""
        earliest = self._empty_at
        taken = 0
        while True:
            before = time.monotonic()
            message = self._client.get_message()
            if message is None:
                self._empty_at = before
                if taken and self._drained is not None:
                    self._drained()
                return taken
            data, gap = message
            self._deliver(self.clock.stamp(gap, earliest, time.monotonic()), data)
            taken += 1
            self.received += 1

    def _run(self) -> None:
        self.realtime = request_realtime(INPUT_POLL_PRIORITY)  # a busy machine must not hold back a performer
        while not self._stop.wait(self._poll_seconds):
            self.drain()
