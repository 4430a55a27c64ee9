"""Hearing and seeing a generated take: WAV through FluidSynth, a piano roll through matplotlib.

FluidSynth is a program, not a Python package: it is run as a command, and its absence (or the
soundfont's) is one line saying what to install. matplotlib is imported only here, only when a
picture is asked for.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from continuo.live.errors import ContinuoError
from continuo.live.music.codec import Codec, Event

SOUNDFONT_CANDIDATES = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",  # Debian/Ubuntu: fluid-soundfont-gm
    "/usr/share/soundfonts/FluidR3_GM.sf2",  # Fedora, Arch
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/opt/homebrew/share/soundfonts/default.sf2",
)
INSTALL_FLUIDSYNTH = (
    "install FluidSynth and a General MIDI soundfont (Debian/Ubuntu: sudo apt-get install fluidsynth "
    "fluid-soundfont-gm; macOS: brew install fluid-synth) or pass --soundfont PATH"
)
SAMPLE_RATE = 44100


def find_soundfont(requested: Path | None) -> Path:
    if requested is not None:
        if not requested.is_file():
            raise ContinuoError(f"--soundfont {requested} does not exist")
        return requested
    for candidate in SOUNDFONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise ContinuoError(f"--wav needs a General MIDI soundfont and none was found: {INSTALL_FLUIDSYNTH}")


def check_wav_tools(soundfont: Path | None) -> Path:
    """Before any work: FluidSynth and a soundfont must both be there."""
    if shutil.which("fluidsynth") is None:
        raise ContinuoError(f"--wav needs the fluidsynth program, which is not installed: {INSTALL_FLUIDSYNTH}")
    return find_soundfont(soundfont)


def render_wav(midi_path: Path, wav_path: Path, soundfont: Path) -> None:
    command = [
        "fluidsynth", "-ni", "-q", "-g", "0.8", "-r", str(SAMPLE_RATE), "-T", "wav", "-F", str(wav_path),
        str(soundfont), str(midi_path),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0 or not wav_path.is_file():
        last = (result.stderr or result.stdout).strip().splitlines()
        raise ContinuoError(f"fluidsynth failed to render {midi_path}: {last[-1] if last else 'no output'}")


def draw_piano_roll(
    path: Path, codec: Codec, seed: Sequence[Event], generated: Sequence[Event], title: str, tempo: float
) -> None:
    """Pitch over time in beats: the seed in grey before beat 0, the generated notes in colour after."""
    try:
        import matplotlib
    except ImportError:
        raise ContinuoError("--png needs matplotlib: pip install 'continuo[offline]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # As the player places them: the first generated note on beat 0, the seed just before it.
    first_shift = codec.shifts[generated[0].shift] if generated else 0.0
    seed_notes = codec.decode(list(seed))
    seed_end = seed_notes[-1].onset if seed_notes else 0.0
    generated_notes = codec.decode(list(generated))
    figure, axes = plt.subplots(figsize=(14, 5), dpi=100)
    for notes, shift, colour, label in (
        (seed_notes, -(seed_end + first_shift), "#9a9a9a", "seed"),
        (generated_notes, -first_shift, "#1f5fa8", "generated"),
    ):
        for index, note in enumerate(notes):
            axes.barh(
                note.pitch, note.duration, left=note.onset + shift, height=0.8, color=colour,
                label=label if index == 0 else None,
            )  # fmt: skip
    axes.axvline(0.0, color="#c0392b", linewidth=1)
    axes.set_xlabel(f"beats (0 = first generated note; {tempo:g} BPM)")
    axes.set_ylabel("MIDI pitch")
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.25)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)
