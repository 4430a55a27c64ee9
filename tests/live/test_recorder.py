"""The take: what was sent, by beat; in parts, each cut a whole piece on its own side of the cut."""

from __future__ import annotations

from pathlib import Path

import mido

from benchmarks.jack_clients import recorded_messages
from continuo.live.engine.recorder import PartedRecorder, Recorder
from tests.live.recorder_messages import off, on, summary
from tests.live.streams import note_balance


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
