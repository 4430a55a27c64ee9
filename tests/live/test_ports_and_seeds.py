"""Port matching, the no-MIDI-system advice per platform, and seed phrases from banks and files."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pytest

from continuo.live.errors import ContinuoError
from continuo.live.midi_io.ports import match_port, no_midi_system_fix
from continuo.live.model.seeds import events_from_file, seed_composers, seed_from_bank
from continuo.live.music.codec import Codec

CODEC = Codec()


def test_a_port_matches_exactly_or_by_a_unique_part_of_its_name() -> None:
    names = ["Midi Through:Midi Through Port-0 14:0", "FLUID Synth (123):Synth input port (123:0) 128:0"]
    assert match_port(names[0], names) == names[0]
    assert match_port("fluid", names) == names[1]
    assert match_port("port", names) is None  # in both: ambiguous
    assert match_port("loopMIDI", names) is None


@pytest.mark.parametrize(
    ("platform", "fix"),
    [("linux", "snd-seq"), ("linux", "--start-jack"), ("darwin", "Audio MIDI Setup"), ("win32", "loopMIDI")],
)
def test_the_advice_fits_the_platform(platform: str, fix: str) -> None:
    assert fix in no_midi_system_fix(platform)


def test_every_shipped_model_has_a_seed_bank_of_phrases_at_least_a_window_long() -> None:
    banks = seed_composers()
    assert "bach" in banks
    for files in banks.values():
        for path in files:
            assert len(events_from_file(path, CODEC, 1000)) >= 30


def test_the_bank_pick_follows_the_seed() -> None:
    picks = {seed_from_bank("bach", CODEC, 30, np.random.default_rng(seed))[0] for seed in range(20)}
    assert len(picks) > 1
    first = seed_from_bank("bach", CODEC, 30, np.random.default_rng(3))
    assert first == seed_from_bank("bach", CODEC, 30, np.random.default_rng(3))


def test_a_long_seed_file_gives_its_last_window(tmp_path: Path) -> None:
    track = mido.MidiTrack()
    for index in range(50):
        track.append(mido.Message("note_on", note=40 + index, velocity=64, time=0))
        track.append(mido.Message("note_off", note=40 + index, time=480))
    midi = mido.MidiFile()
    midi.tracks.append(track)
    path = tmp_path / "long.mid"
    midi.save(path)
    events = events_from_file(path, CODEC, 30)
    assert [e.pitch for e in events] == list(range(60, 90))


def test_an_unknown_bank_names_the_banks_that_exist() -> None:
    with pytest.raises(ContinuoError, match=r"banks exist for .*bach"):
        seed_from_bank("mahler", CODEC, 30, np.random.default_rng(0))
