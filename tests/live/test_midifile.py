"""MIDI files built by hand with mido, read back into notes and events (golden), and broken files."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from continuo.live.music.codec import DEFAULT_DURATIONS, DEFAULT_SHIFTS, Codec, Event, Note
from continuo.live.music.midifile import MidiReadError, notes_to_midifile, read_notes
from tests.midi_builders import scale_file, track_from_notes, write_midi

CODEC = Codec()
D = {value: index for index, value in enumerate(DEFAULT_DURATIONS)}
S = {value: index for index, value in enumerate(DEFAULT_SHIFTS)}


@pytest.mark.parametrize("tpb", [96, 384, 480, 1000])
def test_chords_tracks_and_drums_golden(tmp_path: Path, tpb: int) -> None:
    q = tpb  # one beat in ticks
    melody = track_from_notes([(0, q, 72, 0), (q, q // 2, 74, 0), (q + q // 2, q // 2, 76, 0)])
    bass = track_from_notes([(0, 2 * q, 48, 1), (0, 2 * q, 55, 1), (2 * q, 4 * q, 43, 1)])
    drums = track_from_notes([(0, q // 4, 36, 9), (q, q // 4, 38, 9)])
    path = write_midi(tmp_path / "piece.mid", [melody, bass, drums], ticks_per_beat=tpb)

    reading = read_notes(path)
    assert reading.drums == 2
    assert reading.notes == [
        Note(48, 0.0, 2.0, 80),
        Note(55, 0.0, 2.0, 80),
        Note(72, 0.0, 1.0, 80),
        Note(74, 1.0, 0.5, 80),
        Note(76, 1.5, 0.5, 80),
        Note(43, 2.0, 4.0, 80),
    ]
    assert CODEC.encode(reading.notes) == [
        Event(48, D[2.0], S[0.0]),
        Event(55, D[2.0], S[0.0]),
        Event(72, D[1.0], S[0.0]),
        Event(74, D[0.5], S[1.0]),
        Event(76, D[0.5], S[0.5]),
        Event(43, D[4.0], S[0.5]),
    ]


def test_tempo_changes_do_not_move_beats(tmp_path: Path) -> None:
    notes = [(0, 480, 60, 0), (480, 480, 62, 0), (960, 960, 64, 0)]
    steady = write_midi(tmp_path / "steady.mid", [track_from_notes(notes)])
    tempos = [
        (0, mido.MetaMessage("set_tempo", tempo=500000)),
        (480, mido.MetaMessage("set_tempo", tempo=250000)),
        (960, mido.MetaMessage("set_tempo", tempo=1200000)),
    ]
    changing = write_midi(tmp_path / "changing.mid", [track_from_notes(notes, tempos)])
    assert read_notes(steady).notes == read_notes(changing).notes


def test_tied_note_across_bar_is_one_long_note(tmp_path: Path) -> None:
    # A half note tied over the barline into a whole note, as notation software writes it: one on, one off.
    path = write_midi(tmp_path / "tie.mid", [track_from_notes([(3 * 480, 6 * 480, 67, 0)])])
    (note,) = read_notes(path).notes
    assert (note.onset, note.duration) == (3.0, 6.0)
    assert CODEC.encode([note]) == [Event(67, D[6.0], S[3.0])]


def test_note_on_velocity_zero_overlaps_and_unterminated_notes(tmp_path: Path) -> None:
    track = mido.MidiTrack(
        [
            mido.Message("note_on", note=60, velocity=90, time=0),
            mido.Message("note_on", note=60, velocity=70, time=240),  # re-struck before release
            mido.Message("note_on", note=60, velocity=0, time=240),  # ends the first (FIFO)
            mido.Message("note_off", note=60, velocity=0, time=480),  # ends the second
            mido.Message("note_on", note=64, velocity=50, time=0),  # never released: ends with the track
            mido.MetaMessage("end_of_track", time=960),
        ]
    )
    notes = read_notes(write_midi(tmp_path / "odd.mid", [track])).notes
    assert notes == [Note(60, 0.0, 1.0, 90), Note(60, 0.5, 1.5, 70), Note(64, 2.0, 2.0, 50)]


def test_zero_length_notes_are_dropped_and_counted(tmp_path: Path) -> None:
    path = write_midi(tmp_path / "z.mid", [track_from_notes([(0, 0, 60, 0), (0, 480, 64, 0)])])
    reading = read_notes(path)
    assert reading.zero_length == 1
    assert [n.pitch for n in reading.notes] == [64]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"hello, I am a text file pretending to be MIDI\n", "not a MIDI file"),
        (b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x01\x00\x00\x90", "truncated"),
    ],
)
def test_broken_files_give_a_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "broken.mid"
    path.write_bytes(content)
    with pytest.raises(MidiReadError, match=reason):
        read_notes(path)


def test_file_with_only_zero_length_and_drum_notes_has_no_notes(tmp_path: Path) -> None:
    path = write_midi(tmp_path / "n.mid", [track_from_notes([(0, 0, 60, 0), (0, 100, 36, 9)])])
    with pytest.raises(MidiReadError, match=r"no notes \(1 drum notes dropped, 1 zero-length notes dropped\)"):
        read_notes(path)


def test_truncated_real_file_is_reported(tmp_path: Path) -> None:
    good = scale_file(tmp_path / "good.mid")
    cut = tmp_path / "cut.mid"
    cut.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(MidiReadError, match="truncated"):
        read_notes(cut)


VALID = b"".join(
    [
        b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60",
        b"MTrk\x00\x00\x00\x0c",
        b"\x00\x90\x3c\x40\x60\x80\x3c\x00\x00\xff\x2f\x00",
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=200),
        st.binary(max_size=60).map(lambda tail: VALID[:14] + tail),
        st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)).map(
            lambda change: VALID[: change[0]] + bytes([change[1]]) + VALID[change[0] + 1 :]
        ),
    )
)
def test_fuzzed_bytes_give_notes_or_a_midi_read_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.mid"
    path.write_bytes(data)
    try:
        reading = read_notes(path)
    except MidiReadError as error:
        assert str(error)
    else:
        assert reading.notes and all(n.duration > 0 and 0 <= n.pitch < 128 for n in reading.notes)


def test_written_notes_read_back_to_the_same_events(tmp_path: Path) -> None:
    events = [
        Event(60, D[1.0], S[0.0]),
        Event(64, D[1.0], S[0.0]),
        Event(67, D[0.5], S[1.0]),
        Event(67, D[2.0], S[0.5]),
    ]
    path = tmp_path / "out.mid"
    notes_to_midifile(CODEC.decode(events), tempo_bpm=90).save(path)
    assert CODEC.encode(read_notes(path).notes) == events
    assert mido.MidiFile(path).tracks[0][0].tempo == mido.bpm2tempo(90)
