"""The scheduler: one thread that sends each message at its absolute due time.

Messages are queued by *beat*; the due time in seconds is asked of the clock just before sending,
so tempo changes apply to everything still waiting and no sleep error ever accumulates. The
thread waits on a condition until about a millisecond before a message is due, then spins.

It also owns the truth about what sounds: every note-on it sends is remembered until its
note-off, so `flush` and `panic` can silence exactly what is held, from any thread.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import mido

from continuo.live.engine.lateness import Lateness
from continuo.live.music.midi import CLOCK_TICKS_PER_BEAT, silencing
from continuo.live.priority import SCHEDULER_PRIORITY, request_realtime
from continuo.live.timing.clock import Clock

SPIN_SECONDS = 0.001
IDLE_WAIT_SECONDS = 0.05
# At one beat: Start, then the clock tick, then note-offs (a repeated pitch is released before it is struck).
_START, _TICK, _OFF, _ON = -2, -1, 0, 1


class PortFailedError(Exception):
    """The output port stopped taking messages (its MIDI system went away, a device was unplugged)."""


class SchedulerDiedError(Exception):
    """The scheduler thread ended on a bug of ours: nothing more will be sent, so the run must end."""


class Output(Protocol):
    def send(self, message: mido.Message) -> None: ...


SentCallback = Callable[[float, mido.Message], None]


@dataclass(order=True)
class _Item:
    beat: float
    kind: int
    order: int
    channel: int = field(compare=False)
    pitch: int = field(compare=False)
    velocity: int = field(compare=False)
    note_id: int = field(compare=False)


class Scheduler:
    """Queue notes by beat, send them on time, track held notes, silence them on demand."""

    def __init__(
        self,
        output: Output | None,
        clock: Clock,
        on_sent: SentCallback | None = None,
        send_clock: bool = False,
        lateness_samples: int | None = None,
    ) -> None:
        self.output = output
        self.clock = clock
        self.on_sent = on_sent
        self.error: BaseException | None = None
        self.notes_sent = 0
        self.lateness = Lateness(lateness_samples)
        self.channels_used: set[int] = set()
        self._queue: list[_Item] = []
        self._held: dict[tuple[int, int], int] = {}  # (channel, pitch) -> id of the note sounding there
        self._lost_held: set[tuple[int, int]] = set()  # held on a port when it was lost: ended if it returns
        self._ids = itertools.count()
        self._order = itertools.count()
        self._condition = threading.Condition()
        self._stopping = False
        self.send_clock = send_clock  # --send-clock: be the clock master (24 ticks per beat, Start, Stop)
        self.priority = SCHEDULER_PRIORITY  # the thread's SCHED_FIFO priority, where allowed
        self._next_tick = 0
        self._thread = threading.Thread(target=self._run, name="continuo-scheduler", daemon=True)

    # -- the producer's side -------------------------------------------------------------------
    def note(self, pitch: int, velocity: int, channel: int, start_beat: float, end_beat: float) -> None:
        note_id = next(self._ids)
        with self._condition:
            heapq.heappush(self._queue, _Item(start_beat, _ON, next(self._order), channel, pitch, velocity, note_id))
            heapq.heappush(self._queue, _Item(end_beat, _OFF, next(self._order), channel, pitch, 0, note_id))
            self._condition.notify()

    def queue_clock(self, horizon_beat: float) -> None:
        """With `send_clock`, queue Start (once) and the clock ticks up to `horizon_beat`."""
        if not self.send_clock:
            return
        with self._condition:
            if self._next_tick == 0:
                heapq.heappush(self._queue, _Item(0.0, _START, next(self._order), 0, 0, 0, -1))
            while self._next_tick <= horizon_beat * CLOCK_TICKS_PER_BEAT:
                beat = self._next_tick / CLOCK_TICKS_PER_BEAT
                heapq.heappush(self._queue, _Item(beat, _TICK, next(self._order), 0, 0, 0, -1))
                self._next_tick += 1
            self._condition.notify()

    @property
    def held(self) -> int:
        return len(self._held)

    def sounding(self) -> set[tuple[int, int]]:
        """(channel, pitch) of every note held now or queued to start: what a crash could leave sounding."""
        with self._condition:
            return set(self._held) | {(item.channel, item.pitch) for item in self._queue if item.kind == _ON}

    @property
    def pending_notes(self) -> int:
        """Note-ons and note-offs still queued (clock ticks, always queued ahead as clock master, not counted)."""
        return sum(1 for item in self._queue if item.kind >= _OFF)

    def start(self) -> None:
        self._thread.start()

    def lose_output(self) -> None:
        """The port is lost: silence what can still be reached (note-offs, CC123, CC120), remember what was held,
        and send nowhere until `set_output`. A send failure does not mean the synth is gone: the port that
        replaces it ends those notes again."""
        with self._condition:
            self._lost_held |= set(self._held)
            with contextlib.suppress(PortFailedError):
                self.panic()
            self.output = None

    def set_output(self, output: Output) -> None:
        """Send to `output` from now on, after note-offs for what was held when the old port was lost and CC123
        + CC120 on every channel used; a thread that a port failure ended starts again."""
        with self._condition:
            self.output = output
            self._held.clear()
            lost, self._lost_held = sorted(self._lost_held), set()
            self._send_all(silencing(lost, self.channels_used))
        if isinstance(self.error, PortFailedError) and self._thread.ident is not None and not self._thread.is_alive():
            self.error = None
            self._thread = threading.Thread(target=self._run, name="continuo-scheduler", daemon=True)
            self._thread.start()

    def wait_sent_before(self, beat: float, timeout: float) -> None:
        """Wait, at most `timeout` seconds, until nothing due before `beat` is still queued."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._queue and self._queue[0].beat < beat and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._condition.wait(min(remaining, IDLE_WAIT_SECONDS / 10))

    def stop(self) -> None:
        """End the thread; queued messages are dropped (call `panic` to silence what is held)."""
        with self._condition:
            self._stopping = True
            self._condition.notify()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=2)

    def flush(self) -> None:
        """Drop everything queued and release every held note now (a new seed, a mode switch, Stop)."""
        with self._condition:
            self._drop_notes()
            self._send_all(silencing(self._release_held(), ()))

    def panic(self) -> None:
        """Flush, then All Notes Off (CC123) and All Sound Off (CC120) on every channel used.

        Every message is attempted even if the port fails on one; the first failure is raised after.
        The clock, if we send one, keeps ticking: call `stop_clock` at the very end.
        """
        with self._condition:
            self._drop_notes()
            self._send_all(silencing(self._release_held(), self.channels_used))

    def stop_clock(self) -> None:
        """As clock master, the end: drop the ticks still queued and send Stop."""
        with self._condition:
            self._queue.clear()
            if self.send_clock and self._next_tick > 0:
                self._send_all([mido.Message("stop")])

    def _drop_notes(self) -> None:
        self._queue = [item for item in self._queue if item.kind < _OFF]
        heapq.heapify(self._queue)

    # -- the thread ----------------------------------------------------------------------------
    def _run(self) -> None:
        request_realtime(self.priority)
        try:
            while True:
                due = self._wait_until_nearly_due()
                if due is None:
                    return
                while self.clock.now() < due:  # the last millisecond: spin for precision
                    pass
                with self._condition:
                    self.send_due()
        except BaseException as error:  # a failing port (PortFailedError) or a bug: the engine must hear of it
            self.error = error

    def _wait_until_nearly_due(self) -> float | None:
        with self._condition:
            while not self._stopping:
                timeout = IDLE_WAIT_SECONDS
                if self._queue:
                    due = self.clock.seconds_at(self._queue[0].beat)
                    if due is not None:
                        ahead = due - self.clock.now()
                        if ahead <= SPIN_SECONDS:
                            return due
                        timeout = min(timeout, ahead - SPIN_SECONDS)
                self._condition.wait(timeout)
            return None

    def send_due(self) -> None:
        """Send everything due by now, in beat order (the thread calls this; tests may too)."""
        now = self.clock.now()
        while self._queue:
            due = self.clock.seconds_at(self._queue[0].beat)
            if due is None or due > now:
                return
            item = heapq.heappop(self._queue)
            key = (item.channel, item.pitch)
            if item.kind < _OFF:
                self.output_clock(mido.Message("start" if item.kind == _START else "clock"))
            elif item.kind == _ON:
                if key in self._held:  # the same pitch again before its note-off: release, then strike
                    self._send(mido.Message("note_off", channel=item.channel, note=item.pitch), item.beat)
                self._held[key] = item.note_id
                self.channels_used.add(item.channel)
                self._send(
                    mido.Message("note_on", channel=item.channel, note=item.pitch, velocity=item.velocity), item.beat
                )
                self.notes_sent += 1
                self.lateness.record(self.clock.now() - due)
            elif self._held.get(key) == item.note_id:  # a superseded note's off would cut its successor
                # Held until its note-off has left: if the port fails on this very send, the note is still
                # among those the next port is sent note-offs for (lose_output).
                self._send(mido.Message("note_off", channel=item.channel, note=item.pitch), item.beat)
                del self._held[key]

    # -- sending -------------------------------------------------------------------------------
    def _release_held(self) -> list[tuple[int, int]]:
        """What is held, in order, now forgotten: the caller sends its note-offs."""
        held = sorted(self._held)
        self._held.clear()
        return held

    def _send_all(self, messages: list[mido.Message]) -> None:
        failure: BaseException | None = None
        for message in messages:
            try:
                self._send(message)
            except PortFailedError as error:
                failure = failure or error
        if failure is not None:
            raise failure

    def output_clock(self, message: mido.Message) -> None:
        """Clock and transport go to the port only: the recording and the note log skip them."""
        self._to_port(message)

    def _to_port(self, message: mido.Message) -> None:
        if self.output is None:
            return
        try:
            self.output.send(message)
        except OSError as error:  # a port's failure (live/midi_io/ports.py OutputPort.send); anything else is a bug
            raise PortFailedError(str(error) or type(error).__name__) from error

    def _send(self, message: mido.Message, beat: float | None = None) -> None:
        self._to_port(message)
        if self.on_sent is not None:
            self.on_sent(self.clock.beat_at(self.clock.now()) if beat is None else beat, message)
