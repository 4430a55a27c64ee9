"""`continuo play` without a MIDI system: bad input is one line and exit 2; --output none still plays."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import mido
import pytest

from benchmarks.jack_clients import continuo, recorded_messages
from continuo.live.engine.loop_guard import LOOP_EVENTS, MAX_PERIOD, RECOVERY_EVENTS
from continuo.live.music.codec import Codec
from continuo.live.music.midifile import read_notes
from tests.live.streams import note_balance
from tests.live.test_loop_guard import longest_periodic_stretch

NO_JACK = dict(os.environ, JACK_DEFAULT_SERVER=f"absent-{time.time_ns()}", JACK_NO_START_SERVER="1")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(continuo("play", *args), env=NO_JACK, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--model", "mahler"], "shipped models are bach"),
        (["--temperature", "0"], "temperature"),
        (["--temperature", "-1"], "temperature"),
        (["--channel", "17"], "--channel"),
        (["--velocity", "0"], "--velocity"),
        (["--seed-file", "missing.mid"], "seed file missing.mid"),
        (["--seed-composer", "nobody"], "no seed bank for composer 'nobody'"),
        (["--output", "none"], "--record"),
        (["--backend", "jack"], "no JACK server is running"),
        (["--tempo", "1000"], "tempo"),
        (["--program-models", "bach,mahler", "--input-name", "x"], "unknown model 'mahler'"),
        (["--output", "none", "--record", "take.mid", "--send-clock"], "no MIDI system to follow or send clock"),
        (["--record-part-minutes", "1"], "--record-part-minutes needs --record"),
        (["--record", "take.mid", "--record-part-minutes", "0"], "--record-part-minutes"),
        # Checked before any port opens: without a MIDI system here, a later check would never be reached.
        (["--input-name", "Ears", "--phrase-gap", "soon"], "--phrase-gap: expected a positive number"),
        (["--input-name", "Ears", "--answer-length", "0beats"], "--answer-length"),
        (["--input-name", "Ears", "--cc-map", "missing.json"], "--cc-map missing.json"),
        (["--record", "no/such/folder/take.mid"], "--record no/such/folder/take.mid: folder"),
        (["--log", "no/such/folder/log.jsonl"], "--log no/such/folder/log.jsonl: folder"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], expected: str) -> None:
    result = run(*args, "--duration", "1")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]


def test_a_seed_file_that_is_not_midi_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "phrase.mid"
    bad.write_text("not midi")
    result = run("--seed-file", str(bad), "--duration", "1")
    assert result.returncode == 2
    assert result.stderr.strip() == f"continuo play: error: seed file {bad}: not a MIDI file (no MThd header)"


def test_no_midi_system_names_the_fix_for_linux() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the Linux message")
    result = run("--backend", "jack", "--duration", "1")
    assert "jackd -d dummy" in result.stderr and "--start-jack" in result.stderr


def test_output_none_with_record_plays_in_real_time_from_a_seed_file(tmp_path: Path) -> None:
    seed = tmp_path / "seed.mid"
    midi = mido.MidiFile()
    midi.tracks.append(
        mido.MidiTrack(
            [mido.Message("note_on", note=60 + i % 12, velocity=70, time=0 if i == 0 else 240) for i in range(40)]
            + [mido.Message("note_off", note=60, time=240)]
        )
    )
    midi.save(seed)
    record = tmp_path / "take.mid"
    started = time.monotonic()
    result = run(
        "--output", "none", "--record", str(record), "--seed-file", str(seed), "--duration", "2", "--seed", "1"
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed >= 2.0  # real time, not as fast as possible
    messages = [m for _, m in recorded_messages(record)]
    assert sum(m.type == "note_on" for m in messages) >= 2
    assert note_balance(messages) == set()
    assert result.stderr == ""


def test_a_long_take_is_written_in_parts_that_each_end_every_note(tmp_path: Path) -> None:
    record = tmp_path / "take.mid"
    result = run(
        "--output", "none", "--record", str(record), "--record-part-minutes", "0.02", "--tempo", "120",
        "--duration", "3", "--seed", "4",
    )  # fmt: skip  # parts of 2.4 beats, 6 beats played: the end is 1.2 beats from the next cut
    assert result.returncode == 0, result.stderr
    parts = sorted(tmp_path.iterdir())
    assert [p.name for p in parts] == ["take-00001.mid", "take-00002.mid", "take-00003.mid"]
    for part in parts:
        messages = recorded_messages(part)
        assert note_balance([m for _, m in messages]) == set()
        assert messages and messages[-1][0] <= 2.4 + 1e-6  # each part is its own piece, from tick 0
    assert any(m.type == "note_on" for _, m in recorded_messages(parts[0]))


def test_a_terminal_gets_a_status_line_and_a_pipe_gets_nothing(tmp_path: Path) -> None:
    import pty

    primary, secondary = pty.openpty()
    args = ("--output", "none", "--record", str(tmp_path / "take.mid"), "--duration", "1.5", "--seed", "2")
    process = subprocess.Popen(continuo("play", *args), env=NO_JACK, stdout=secondary, stderr=subprocess.PIPE)
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        shown += chunk
    process.wait(timeout=30)
    os.close(primary)
    text = shown.decode(errors="replace")
    assert process.returncode == 0
    assert "\r" in text and "| 120 BPM | T 1.00 | vel 80 | notes " in text and "| held " in text
    assert "all notes off" in text
    piped = run(*args)
    assert piped.stdout == "" and piped.stderr == ""


def test_the_same_seed_gives_the_same_record_file_byte_for_byte(tmp_path: Path) -> None:
    """The README's claim. The exit panic leaves at the first poll after the --duration end, a few ms late,
    at 300 BPM about a tick per 0.4 ms; it is recorded at the end beat, so three takes are the same bytes."""
    takes = []
    for run_index in range(3):
        record = tmp_path / f"take{run_index}.mid"
        result = run("--output", "none", "--record", str(record), "--seed", "6", "--duration", "2", "--tempo", "300")
        assert result.returncode == 0, result.stderr
        takes.append(record.read_bytes())
    assert takes[1] == takes[0] and takes[2] == takes[0]
    messages = recorded_messages(tmp_path / "take0.mid")
    end_beat = 2 * 300 / 60
    at_end = [m for beat, m in messages if beat == pytest.approx(end_beat)]
    assert [m.control for m in at_end if m.type == "control_change"] == [123, 120]
    assert any(m.type == "note_off" for m in at_end), "no note sounded across the end: the panic's note-offs untested"


def test_play_draws_the_music_out_of_a_loop_unless_told_not_to(tmp_path: Path) -> None:
    """At temperature 0.05 this model and seed lock onto a figure within a few beats. In the take of `continuo play`,
    no repetition lasts much past the loop guard's detection window; with --no-loop-guard (the control), it never
    ends."""
    longest = []
    for flags in ((), ("--no-loop-guard",)):
        record = tmp_path / f"take{len(flags)}.mid"
        args = ("--model", "mozart", "--temperature", "0.05", "--seed", "0", "--tempo", "300", "--duration", "3")
        result = run("--output", "none", "--record", str(record), *args, *flags)
        assert result.returncode == 0, result.stderr
        longest.append(longest_periodic_stretch(Codec().encode(read_notes(record).notes)))
    guarded, unguarded = longest
    assert unguarded > 2 * (LOOP_EVENTS + RECOVERY_EVENTS), "the control run does not loop: the test proves nothing"
    assert guarded <= LOOP_EVENTS + MAX_PERIOD
