"""Golden tests for the event codec: exact events for hand-built notes, and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from continuo.live.music.codec import DEFAULT_DURATIONS, DEFAULT_SHIFTS, Codec, Event, Note

CODEC = Codec()
D = {value: index for index, value in enumerate(DEFAULT_DURATIONS)}
S = {value: index for index, value in enumerate(DEFAULT_SHIFTS)}


def test_chord_then_melody_golden_events() -> None:
    notes = [
        Note(67, 0.0, 1.0),
        Note(60, 0.0, 1.0),
        Note(64, 0.0, 2.0),  # C major chord, given out of order
        Note(62, 1.0, 0.5),
        Note(64, 1.5, 0.5),
        Note(65, 2.0, 1 / 3),
        Note(67, 8.0, 20.0),
    ]
    assert CODEC.encode(notes) == [
        Event(60, D[1.0], S[0.0]),
        Event(64, D[2.0], S[0.0]),
        Event(67, D[1.0], S[0.0]),
        Event(62, D[0.5], S[1.0]),
        Event(64, D[0.5], S[0.5]),
        Event(65, D[1 / 3], S[0.5]),
        Event(67, D[8.0], S[6.0]),  # 20 beats clamps to the longest duration
    ]


def test_first_note_is_measured_from_beat_zero_or_previous_onset() -> None:
    assert CODEC.encode([Note(60, 2.0, 1.0)]) == [Event(60, D[1.0], S[2.0])]
    assert CODEC.encode([Note(60, 2.0, 1.0)], previous_onset=1.0) == [Event(60, D[1.0], S[1.0])]


@pytest.mark.parametrize(
    ("beats", "expected"),
    [
        (0.0, 0.0),
        (0.04, 0.0),
        (0.045, 1 / 12),
        (0.09, 1 / 12),
        (0.26, 1 / 4),
        (0.3, 1 / 3),
        (0.45, 1 / 2),
        (0.99, 1.0),
        (1.2, 1.0),
        (1.25, 1.5),
        (5.0, 6.0),
        (100.0, 8.0),
    ],
)
def test_shift_quantises_to_nearest_class_in_log_time(beats: float, expected: float) -> None:
    assert CODEC.shifts[CODEC.shift_class(beats)] == pytest.approx(expected)


@pytest.mark.parametrize(("beats", "expected"), [(0.001, 1 / 12), (0.7, 2 / 3), (2.4, 2.0), (2.5, 3.0), (9.0, 8.0)])
def test_duration_quantises_and_clamps(beats: float, expected: float) -> None:
    assert CODEC.durations[CODEC.duration_class(beats)] == pytest.approx(expected)


def test_unison_at_one_onset_keeps_the_longest_note() -> None:
    events = CODEC.encode([Note(60, 0.0, 1.0), Note(60, 0.0, 2.0), Note(64, 0.0, 1.0)])
    assert events == [Event(60, D[2.0], S[0.0]), Event(64, D[1.0], S[0.0])]


@pytest.mark.parametrize("bad", [Note(128, 0.0, 1.0), Note(-1, 0.0, 1.0), Note(60, 0.0, 0.0)])
def test_encode_rejects_impossible_notes(bad: Note) -> None:
    with pytest.raises(ValueError):
        CODEC.encode([bad])


def test_tables_are_validated_and_round_trip_through_json() -> None:
    assert Codec.from_json(CODEC.to_json()) == CODEC
    with pytest.raises(ValueError, match="strictly increasing"):
        Codec(durations=(1.0, 0.5))
    with pytest.raises(ValueError, match="must contain 0"):
        Codec(shifts=(0.5, 1.0))
    with pytest.raises(ValueError, match="durations"):
        Codec.from_json({"shifts": [0.0, 1.0]})


@st.composite
def canonical_events(draw: st.DrawFn) -> list[Event]:
    """Any sequence the encoder could have produced: chords rise in pitch, no unisons."""
    raw = draw(
        st.lists(
            st.tuples(
                st.integers(0, 127),
                st.integers(0, CODEC.n_durations - 1),
                st.integers(0, CODEC.n_shifts - 1),
            ),
            max_size=60,
        )
    )
    events: list[Event] = []
    for pitch, duration, shift in raw:
        if events and shift == 0 and pitch <= events[-1].pitch:
            if events[-1].pitch == 127:
                continue
            pitch = draw(st.integers(events[-1].pitch + 1, 127))
        events.append(Event(pitch, duration, shift))
    return events


@given(canonical_events(), st.sampled_from([0.0, 3.5, 1000.25]))
def test_encode_inverts_decode_on_class_values(events: list[Event], start: float) -> None:
    assert CODEC.is_canonical(events)
    notes = CODEC.decode(events, previous_onset=start)
    assert CODEC.encode(notes, previous_onset=start) == events


def test_non_canonical_chord_order_is_detected() -> None:
    assert not CODEC.is_canonical([Event(64, 0, 0), Event(60, 0, 0)])
    assert not CODEC.is_canonical([Event(60, 0, 0), Event(60, 0, 0)])
    assert CODEC.is_canonical([Event(64, 0, 0), Event(60, 0, 1)])
