"""A take in parts as files: numbered after earlier runs, always written, failures reported, memory flat,
and every note kept for exactly as long as it sounded."""

from __future__ import annotations

import gc
import shutil
import time
import tracemalloc
from pathlib import Path

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.jack_clients import recorded_messages
from continuo.live.engine import recorder as recorder_module
from continuo.live.engine.recorder import PartedRecorder
from continuo.live.music.midi import FILE_TICKS_PER_BEAT
from tests.live.recorder_messages import off, on, summary
from tests.live.streams import note_balance


def test_closing_ends_notes_whose_note_offs_never_came(tmp_path: Path) -> None:
    recorder = PartedRecorder(tmp_path / "take.mid", bpm=120, part_beats=4)
    recorder(0.0, on(60))
    recorder(1.0, on(62))
    recorder(5.0, on(64))  # then the port failed: the panic's note-offs reached no one
    recorder.close()
    recorder(6.0, off(64))  # too late: the take is on disk
    for part in sorted(tmp_path.iterdir()):
        assert note_balance([m for _, m in recorded_messages(part)]) == set()
    assert recorder.parts_closed == 2


def test_part_numbers_ignore_look_alike_files_and_glob_characters(tmp_path: Path) -> None:
    (tmp_path / "take[1]-00003.mid").write_bytes(b"an earlier run's part")
    (tmp_path / "take[1]-\u00b2.mid").write_bytes(b"a superscript two is no part number")
    recorder = PartedRecorder(tmp_path / "take[1].mid", bpm=120, part_beats=4)
    assert recorder.part_path(0).name == "take[1]-00004.mid"


def test_a_restarted_run_numbers_its_parts_after_the_earlier_ones(tmp_path: Path) -> None:
    (tmp_path / "take-00007.mid").write_bytes(b"the take of the run that crashed")
    (tmp_path / "take-notes.mid").write_bytes(b"not a part")
    recorder = PartedRecorder(tmp_path / "take.mid", bpm=120, part_beats=4)
    recorder(0.0, on(60))
    recorder(5.0, off(60))
    recorder.close()
    assert (tmp_path / "take-00007.mid").read_bytes() == b"the take of the run that crashed"
    assert sorted(p.name for p in tmp_path.glob("take-0*.mid")) == [
        "take-00007.mid",
        "take-00008.mid",
        "take-00009.mid",
    ]


def test_a_take_shorter_than_a_part_still_leaves_a_file(tmp_path: Path) -> None:
    recorder = PartedRecorder(tmp_path / "take.mid", bpm=120, part_beats=4)
    recorder.close()
    assert [p.name for p in tmp_path.iterdir()] == ["take-00001.mid"]
    assert summary(tmp_path / "take-00001.mid") == []


def test_a_part_that_cannot_be_written_is_reported_and_recording_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "takes"
    folder.mkdir()
    recorder = PartedRecorder(folder / "take.mid", bpm=120, part_beats=4)
    shutil.rmtree(folder)  # the disk went away under a running installation
    recorder(0.0, on(60))
    recorder(4.5, off(60))  # the tap still takes messages: the music goes on
    recorder(9.0, on(62))
    recorder.close()
    assert recorder.failure is not None
    assert recorder.failure.startswith(f"--record {folder / 'take-00001.mid'}: No such file or directory")
    assert recorder.parts_written == 0 and recorder.parts_closed == 3


def _held_by_the_recorder() -> int:
    """Bytes still allocated by live/engine/recorder.py's own lines (pathlib's interned names and the like are
    the interpreter's business, and resize in steps that would make this test flaky)."""
    gc.collect()
    only_recorder = tracemalloc.Filter(True, recorder_module.__file__)
    return sum(stat.size for stat in tracemalloc.take_snapshot().filter_traces([only_recorder]).statistics("filename"))


def test_memory_stays_flat_over_hundreds_of_parts(tmp_path: Path) -> None:
    recorder = PartedRecorder(tmp_path / "take.mid", bpm=120, part_beats=8)
    tracemalloc.start()
    try:
        beat, early = 0.0, 0
        for part in range(300):
            for index in range(64):
                recorder(beat, on(60 + index % 12) if index % 2 == 0 else off(60 + index % 12))
                beat += 0.125
            deadline = time.monotonic() + 10
            while recorder.parts_written < recorder.parts_closed and time.monotonic() < deadline:
                time.sleep(0.001)  # a real take is far slower than this loop: let the writer keep up
            if part == 50:
                early = _held_by_the_recorder()
        grown = _held_by_the_recorder() - early
    finally:
        tracemalloc.stop()
    recorder.close()
    assert recorder.parts_written == 300 and recorder.failure is None
    assert grown < 4096  # 250 parts later: nothing kept per part


def sounded_ticks(messages: list[tuple[float, mido.Message]]) -> tuple[dict[int, int], int]:
    """Ticks each pitch sounded for in one take file, and how many notes lasted no tick at all."""
    started: dict[int, int] = {}
    total: dict[int, int] = {}
    zero_length = 0
    for beat, message in messages:
        tick = round(beat * FILE_TICKS_PER_BEAT)
        if message.type == "note_on" and message.velocity > 0:
            started[message.note] = tick
        elif message.type in ("note_on", "note_off") and message.note in started:
            length = tick - started.pop(message.note)
            zero_length += length == 0
            total[message.note] = total.get(message.note, 0) + length
    return total, zero_length


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from([0, 1 / 6, 1 / 3, 1 / 2, 2 / 3, 1, 3]),  # shift to the next onset, as the codec's classes
            st.sampled_from([1 / 6, 1 / 3, 1 / 2, 2 / 3, 1, 2]),  # duration
            st.integers(60, 67),
        ),
        min_size=1,
        max_size=80,
    ),
    part_beats=st.sampled_from([1, 2, 7 / 3, 4]),
)
def test_parts_keep_every_note_for_exactly_as_long_as_it_sounded(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[float, float, int]], part_beats: float
) -> None:
    """Onsets are summed from thirds and sixths in floating point, as the player sums them, so notes land a
    hair either side of the cuts; the scheduler sends each message at its due beat, note-offs first."""
    onset, due_off, sent = 0.0, {}, []
    for shift, duration, pitch in steps:
        onset += shift
        if pitch in due_off and due_off[pitch] > onset:  # the scheduler ends a pitch before striking it again
            due_off[pitch] = onset
        sent += [(end, 0, off(p)) for p, end in due_off.items() if end <= onset]
        due_off = {p: end for p, end in due_off.items() if end > onset}
        sent.append((onset, 1, on(pitch)))
        due_off[pitch] = onset + duration
    sent += [(end, 0, off(p)) for p, end in due_off.items()]
    sent.sort(key=lambda item: (item[0], item[1]))
    expected, _ = sounded_ticks([(beat, message) for beat, _, message in sent])

    folder = tmp_path_factory.mktemp("parts")
    recorder = PartedRecorder(folder / "take.mid", bpm=120, part_beats=part_beats)
    for beat, _, message in sent:
        recorder(beat, message)
    recorder.close()
    found: dict[int, int] = {}
    for part in sorted(folder.iterdir()):
        messages = recorded_messages(part)
        assert note_balance([m for _, m in messages]) == set()
        ticks, zero_length = sounded_ticks(messages)
        assert zero_length == 0, part.name
        for pitch, length in ticks.items():
            found[pitch] = found.get(pitch, 0) + length
    assert found == {pitch: length for pitch, length in expected.items() if length}
