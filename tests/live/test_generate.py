"""`continuo generate`: the live engine's parts run offline; files are reproducible and all-or-nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import wave
from pathlib import Path

import mido
import numpy as np
import pytest

from benchmarks.jack_clients import continuo, recorded_messages
from continuo.live.engine.player import Player, PlayOptions
from continuo.live.engine.recorder import Recorder
from continuo.live.engine.scheduler import Scheduler
from continuo.live.music.codec import Codec, Event
from continuo.live.offline.generate import GenerateRequest, OfflineClock, Outputs, generate_files, play_out
from tests.live.streams import note_balance


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(continuo("generate", *args), capture_output=True, text=True, timeout=120, cwd=cwd)


def test_same_seed_same_file_byte_for_byte_and_the_length_asked(tmp_path: Path) -> None:
    for name in ("a.mid", "b.mid"):
        generate_files(GenerateRequest(seed=11, events=200), Outputs(tmp_path / name))
    assert (tmp_path / "a.mid").read_bytes() == (tmp_path / "b.mid").read_bytes()
    generate_files(GenerateRequest(seed=12, events=200), Outputs(tmp_path / "c.mid"))
    assert (tmp_path / "c.mid").read_bytes() != (tmp_path / "a.mid").read_bytes()
    messages = [m for _, m in recorded_messages(tmp_path / "a.mid")]
    assert sum(m.type == "note_on" and m.velocity > 0 for m in messages) == 200
    assert note_balance(messages) == set()


def test_beats_bound_the_music(tmp_path: Path) -> None:
    generate_files(GenerateRequest(seed=1, beats=24, events=None), Outputs(tmp_path / "b.mid"))
    onsets = [beat for beat, m in recorded_messages(tmp_path / "b.mid") if m.type == "note_on"]
    assert onsets and onsets[0] == 0.0 and max(onsets) < 24


def test_offline_notes_are_the_live_engines_notes(tmp_path: Path) -> None:
    """Same model, seed and --seed: `play --output none` (real time) records a prefix of what generate writes."""
    live = tmp_path / "live.mid"
    subprocess.run(
        continuo("play", "--output", "none", "--record", str(live), "--seed", "5", "--tempo", "300",
                 "--duration", "2", "--quiet"),
        check=True, timeout=60,
    )  # fmt: skip
    generate_files(GenerateRequest(seed=5, events=300, tempo=300), Outputs(tmp_path / "offline.mid"))
    played = [(b, m.note) for b, m in recorded_messages(live) if m.type == "note_on"]
    written = [(b, m.note) for b, m in recorded_messages(tmp_path / "offline.mid") if m.type == "note_on"]
    assert len(played) > 10
    assert written[: len(played)] == played


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--model", "mahler"], "unknown model 'mahler'"),
        (["--events", "0"], "--events: expected a whole number, 1 or more, got 0"),
        (["--seed-file", "empty.mid"], "seed file empty.mid: no notes"),
        (["-o", "missing-folder/out.mid"], "folder missing-folder does not exist"),
        (["--temperature", "0"], "temperature"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_leaves_no_file(tmp_path: Path, args: list[str], expected: str) -> None:
    empty = mido.MidiFile()
    empty.tracks.append(mido.MidiTrack([mido.MetaMessage("end_of_track")]))
    empty.save(tmp_path / "empty.mid")
    command = ["-o", "out.mid", "--png", "roll.png", *args] if "-o" not in args else [*args]
    result = run(*command, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) <= 2  # argparse adds its usage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.mid"]


def test_piano_roll_is_a_png_picture(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    generate_files(GenerateRequest(seed=2, events=120), Outputs(tmp_path / "o.mid", png=tmp_path / "roll.png"))
    import matplotlib.image

    image = matplotlib.image.imread(tmp_path / "roll.png")
    assert image.shape[0] == 500 and image.shape[1] == 1400
    assert image[..., :3].std() > 0.05  # not a blank canvas


def test_wav_is_non_silent_audio_as_long_as_the_music(tmp_path: Path) -> None:
    if shutil.which("fluidsynth") is None or not Path("/usr/share/sounds/sf2/FluidR3_GM.sf2").is_file():
        if os.environ.get("CONTINUO_REQUIRE_FLUIDSYNTH") == "1":
            pytest.fail("fluidsynth or fluid-soundfont-gm is missing (install both)")
        pytest.skip("fluidsynth and fluid-soundfont-gm are not installed")
    outputs = Outputs(tmp_path / "o.mid", wav=tmp_path / "o.wav")
    generate_files(GenerateRequest(seed=4, events=60, tempo=120), outputs)
    music_seconds = mido.MidiFile(tmp_path / "o.mid").length
    with wave.open(str(tmp_path / "o.wav")) as audio:
        frames = audio.readframes(audio.getnframes())
        seconds = audio.getnframes() / audio.getframerate()
        width = audio.getsampwidth()
    samples = np.frombuffer(frames, dtype=np.int16 if width == 2 else np.int32).astype(np.float64)
    rms = np.sqrt(np.mean(samples**2)) / np.iinfo(np.int16 if width == 2 else np.int32).max
    print(f"wav {seconds:.2f} s for {music_seconds:.2f} s of music, rms {rms:.4f}")
    assert music_seconds <= seconds <= music_seconds + 4  # FluidSynth lets the last notes ring out
    assert rms > 0.005


def test_wav_without_fluidsynth_says_what_to_install(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path))  # no fluidsynth on this PATH
    result = subprocess.run(
        [*continuo("generate", "-o", "o.mid", "--wav", "o.wav")], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert result.returncode == 2
    assert "apt-get install fluidsynth fluid-soundfont-gm" in result.stderr
    assert not any(tmp_path.iterdir())


class DenseSource:
    """Chords of 70 notes (more than the player places in one round), a beat apart, each note half a beat long."""

    def __init__(self) -> None:
        self.count = 0

    def next_event(self) -> Event:
        shift = 0 if self.count % 70 else 10  # class 10: one beat; the first event's shift is ignored
        self.count += 1
        return Event(30 + self.count % 70, 6, shift)  # duration class 6: half a beat


def test_offline_takes_are_written_in_beat_order_through_dense_stretches() -> None:
    """A dense chord fills the player's round before its horizon: nothing queued may be sent before a note
    that can still be placed earlier, or the take (kept in send order) moves notes late."""
    clock = OfflineClock()
    recorder = Recorder()
    scheduler = Scheduler(None, clock, recorder)
    player = Player(DenseSource(), Codec(), clock, scheduler, PlayOptions())
    player.begin_phrase(0.0, events=350)
    play_out(player, scheduler, clock, lambda: None)
    sent = list(recorder.messages)
    beats = [beat for beat, _ in sent]
    assert beats == sorted(beats)  # the take is in send order: that order must be the beats' order
    onsets = [beat for beat, data in sent if data[0] & 0xF0 == 0x90 and data[2] > 0]
    assert onsets == [float(index // 70) for index in range(350)]
