"""The take: what was sent, by beat; for long runs, in parts that are whole pieces on their own."""

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

from continuo.live.engine import recorder as recorder_module
from continuo.live.engine.recorder import TICKS_PER_BEAT, PartedRecorder, Recorder
from tests.live.streams import note_balance, recorded_messages


def on(note: int, velocity: int = 80, channel: int = 0) -> mido.Message:
    return mido.Message("note_on", note=note, velocity=velocity, channel=channel)


def off(note: int, channel: int = 0) -> mido.Message:
    return mido.Message("note_off", note=note, channel=channel)


def test_recorder_writes_what_was_sent_in_order_with_the_tempo(tmp_path: Path) -> None:
    recorder = Recorder()
    recorder(0.0, on(60))
    recorder(0.5, off(60))
    recorder(0.5, mido.Message("control_change", control=123))
    target = tmp_path / "take.mid"
    recorder.save(target, bpm=90)
    midi = mido.MidiFile(target)
    messages = [m for m in midi.tracks[0] if not m.is_meta]
    assert [(m.type, m.time) for m in messages] == [("note_on", 0), ("note_off", 240), ("control_change", 0)]
    assert [m.tempo for m in midi.tracks[0] if m.type == "set_tempo"] == [mido.bpm2tempo(90)]
    assert list(tmp_path.iterdir()) == [target]


def summary(path: Path) -> list[tuple[float, str, int, int]]:
    """(beat, type, note, velocity of a note-on; 0 for a note-off) of each note message in a take file."""
    return [
        (beat, m.type, m.note, m.velocity if m.type == "note_on" else 0)
        for beat, m in recorded_messages(path)
        if m.type in ("note_on", "note_off")
    ]


def test_a_note_sounding_across_a_cut_ends_in_one_part_and_starts_the_next(tmp_path: Path) -> None:
    recorder = PartedRecorder(tmp_path / "take.mid", bpm=120, part_beats=4)
    recorder(0.0, on(60))
    recorder(1.0, off(60))
    recorder(3.0, on(62, velocity=55))  # still sounding at beat 4
    recorder(5.0, on(64))
    recorder(6.0, off(62))
    recorder(6.0, off(64))
    recorder.close()
    first, second = tmp_path / "take-00001.mid", tmp_path / "take-00002.mid"
    assert sorted(tmp_path.iterdir()) == [first, second]
    assert summary(first) == [(0.0, "note_on", 60, 80), (1.0, "note_off", 60, 0), (3.0, "note_on", 62, 55),
                              (4.0, "note_off", 62, 0)]  # fmt: skip
    assert summary(second) == [(0.0, "note_on", 62, 55), (1.0, "note_on", 64, 80), (2.0, "note_off", 62, 0),
                               (2.0, "note_off", 64, 0)]  # fmt: skip
    for part in (first, second):
        assert note_balance([m for _, m in recorded_messages(part)]) == set()
        assert [m.tempo for m in mido.MidiFile(part).tracks[0] if m.type == "set_tempo"] == [mido.bpm2tempo(120)]
    assert recorder.parts_written == 2 and recorder.failure is None


def test_all_notes_off_ends_what_a_cut_would_carry_over(tmp_path: Path) -> None:
    recorder = PartedRecorder(tmp_path / "take.mid", bpm=120, part_beats=4)
    recorder(0.0, on(60, channel=2))
    recorder(1.0, mido.Message("control_change", channel=2, control=123))
    recorder(5.0, on(64))
    recorder.close()
    assert summary(tmp_path / "take-00001.mid") == [(0.0, "note_on", 60, 80)]
    assert summary(tmp_path / "take-00002.mid")[0] == (1.0, "note_on", 64, 80)


def test_a_long_silence_skips_parts_instead_of_writing_empty_ones(tmp_path: Path) -> None:
    recorder = PartedRecorder(tmp_path / "take.mid", bpm=120, part_beats=4)
    recorder(0.5, on(60))
    recorder(1.0, off(60))
    recorder(13.0, on(61))
    assert len(recorder.messages) == 1  # memory holds the part being played, not the take
    recorder(13.5, off(61))
    recorder.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take-00001.mid", "take-00002.mid"]
    assert summary(tmp_path / "take-00002.mid") == [(1.0, "note_on", 61, 80), (1.5, "note_off", 61, 0)]  # 13 - 12


def test_notes_ending_on_the_cut_end_in_their_part_and_are_not_struck_again(tmp_path: Path) -> None:
    recorder = PartedRecorder(tmp_path / "take.mid", bpm=120, part_beats=4)
    recorder(2.0, on(60))
    recorder(2.0, on(64))
    recorder(4.0, off(60))  # the scheduler sends note-offs before note-ons at one beat
    recorder(4.0 + 1e-9, off(64))  # float rounding of onset + duration
    recorder(4.0, on(67))
    recorder(5.0, off(67))
    recorder(5.0, mido.Message("control_change", control=123))
    recorder.close()
    assert summary(tmp_path / "take-00001.mid") == [
        (2.0, "note_on", 60, 80), (2.0, "note_on", 64, 80), (4.0, "note_off", 60, 0), (4.0, "note_off", 64, 0)
    ]  # fmt: skip
    assert summary(tmp_path / "take-00002.mid") == [(0.0, "note_on", 67, 80), (1.0, "note_off", 67, 0)]


def test_a_note_struck_a_float_hair_before_the_cut_starts_the_next_part(tmp_path: Path) -> None:
    recorder = PartedRecorder(tmp_path / "take.mid", bpm=120, part_beats=4)
    recorder(0.0, on(60))
    recorder(1.0, off(60))
    recorder(4.0 - 1e-12, on(62))  # onsets summed from 1/3 and 1/6 beats land a hair off the cut
    recorder(4.5, off(62))
    recorder.close()
    assert summary(tmp_path / "take-00001.mid") == [(0.0, "note_on", 60, 80), (1.0, "note_off", 60, 0)]
    assert summary(tmp_path / "take-00002.mid") == [(0.0, "note_on", 62, 80), (0.5, "note_off", 62, 0)]


def test_a_note_ending_a_hair_after_a_note_on_that_made_the_cut_is_not_struck_again(tmp_path: Path) -> None:
    recorder = PartedRecorder(tmp_path / "take.mid", bpm=120, part_beats=8)
    recorder(7.333333333333337, on(60))
    recorder(8.0, on(64))  # another voice starts on the cut and closes the part...
    recorder(8.000000000000004, off(60))  # ...before 60's note-off, due at the same tick, arrives
    recorder(8.000000000000004, off(50, channel=1))  # a note-off for nothing carried is kept
    recorder(9.0, off(64))
    recorder.close()
    assert summary(tmp_path / "take-00001.mid") == [(7.333333333333333, "note_on", 60, 80), (8.0, "note_off", 60, 0)]
    assert summary(tmp_path / "take-00002.mid") == [
        (0.0, "note_on", 64, 80), (0.0, "note_off", 50, 0), (1.0, "note_off", 64, 0)
    ]  # fmt: skip


def test_a_daw_restart_that_flushes_held_notes_leaves_no_zero_length_notes(tmp_path: Path) -> None:
    recorder = PartedRecorder(tmp_path / "take.mid", bpm=120, part_beats=64)
    recorder(0.0, on(60))
    recorder(3.0, on(61))
    recorder(1.0, off(60))  # Start from bar 1 while playing: the held notes are flushed at the new position
    recorder(1.0, off(61))
    recorder(1.0, on(62))
    recorder(2.0, off(62))
    recorder.close()
    second = summary(tmp_path / "take-00002.mid")
    assert second == [(0.0, "note_on", 62, 80), (1.0, "note_off", 62, 0)]


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


def test_a_run_that_ends_on_a_cut_leaves_no_sliver_of_a_part(tmp_path: Path) -> None:
    recorder = PartedRecorder(tmp_path / "take.mid", bpm=120, part_beats=4)
    recorder(3.0, on(60))
    recorder(4.0, off(60))  # the panic at the end of --duration, exactly on the boundary
    recorder(4.0, mido.Message("control_change", control=123))
    recorder.close()
    assert [p.name for p in tmp_path.iterdir()] == ["take-00001.mid"]


def test_music_that_starts_late_leaves_no_empty_first_part(tmp_path: Path) -> None:
    recorder = PartedRecorder(tmp_path / "take.mid", bpm=120, part_beats=4)
    recorder(401.0, on(60))  # a DAW that continued from bar 101
    recorder(402.0, off(60))
    recorder.close()
    assert [p.name for p in tmp_path.iterdir()] == ["take-00001.mid"]
    assert summary(tmp_path / "take-00001.mid") == [(1.0, "note_on", 60, 80), (2.0, "note_off", 60, 0)]


def test_a_daw_moving_the_song_position_back_starts_a_new_part_there(tmp_path: Path) -> None:
    recorder = PartedRecorder(tmp_path / "take.mid", bpm=120, part_beats=64)
    recorder(30.0, on(60))
    recorder(31.0, off(60))
    recorder(31.0, on(62))
    recorder(0.0, on(64))  # Start from the top while 62 still sounds
    recorder(1.0, off(62))
    recorder(1.0, off(64))
    recorder.close()
    first, second = tmp_path / "take-00001.mid", tmp_path / "take-00002.mid"
    assert summary(first)[-2:] == [(31.0, "note_on", 62, 80), (31.0, "note_off", 62, 0)]
    assert summary(second) == [(0.0, "note_on", 64, 80), (0.0, "note_on", 62, 80), (1.0, "note_off", 62, 0),
                               (1.0, "note_off", 64, 0)]  # fmt: skip


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
        tick = round(beat * TICKS_PER_BEAT)
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
