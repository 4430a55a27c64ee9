"""Reading RtMidi's queue: arrival times chained from RtMidi's gaps and kept within each poll's bounds."""

from __future__ import annotations

import time

import pytest

from continuo.live.midi_io.queued_input import ArrivalClock, QueuedInput


def test_gaps_chain_into_exact_times_while_they_fit_the_polls_bounds() -> None:
    clock = ArrivalClock()
    assert clock.stamp(0.0, earliest=10.0, latest=10.4) == 10.4  # the first message: only its poll's bound
    assert clock.stamp(0.25, earliest=10.5, latest=11.0) == pytest.approx(10.65)
    assert clock.stamp(0.1, earliest=10.5, latest=11.0) == pytest.approx(10.75)
    assert clock.corrected == 0


def test_a_chain_that_leaves_the_polls_bounds_is_pulled_back_into_them() -> None:
    clock = ArrivalClock()
    clock.stamp(0.0, earliest=10.0, latest=10.0)
    assert clock.stamp(0.001, earliest=12.0, latest=12.5) == 12.0  # a gap RtMidi lost (a skipped event): not before
    assert clock.stamp(3.0, earliest=12.0, latest=12.5) == 12.5  # a clock running fast: not after it was taken
    assert clock.corrected == 2 and clock.largest_correction == pytest.approx(2.5)


class FakeMidiIn:
    """What `rtmidi.MidiIn.get_message` returns: (bytes, seconds since the previous message), or None."""

    def __init__(self) -> None:
        self.waiting: list[tuple[list[int], float]] = []

    def get_message(self) -> tuple[list[int], float] | None:
        return self.waiting.pop(0) if self.waiting else None


def test_each_poll_delivers_everything_waiting_in_order_within_its_bounds_then_says_it_drained() -> None:
    client = FakeMidiIn()
    heard: list[tuple[float, list[int]]] = []
    drains: list[int] = []
    reader = QueuedInput(client, lambda stamp, data: heard.append((stamp, data)), lambda: drains.append(len(heard)))
    assert reader.drain() == 0 and drains == []  # nothing waiting: no drained call
    empty_at = time.monotonic()
    client.waiting = [([0x90, 60, 90], 0.0), ([0x80, 60, 0], 0.0002), ([0xF8], 0.0001)]
    assert reader.drain() == 3
    taken = time.monotonic()
    assert [data for _, data in heard] == [[0x90, 60, 90], [0x80, 60, 0], [0xF8]]
    stamps = [stamp for stamp, _ in heard]
    assert all(empty_at <= stamp <= taken for stamp in stamps) and stamps == sorted(stamps)
    assert drains == [3] and reader.received == 3


def test_stop_takes_what_is_still_waiting() -> None:
    client = FakeMidiIn()
    heard: list[list[int]] = []
    reader = QueuedInput(client, lambda _, data: heard.append(data), poll_seconds=60)
    reader.start()
    client.waiting = [([0xFA], 0.0)]
    reader.stop()
    assert heard == [[0xFA]]
