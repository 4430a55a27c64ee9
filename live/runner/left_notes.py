"""Crash safety, at the next start: the notes a killed run left sounding on this port, ended.

The held-notes files (live/runner/held_notes.py) of runs that are no longer alive are read, and their
notes get note-offs, then CC123 (All Notes Off) and CC120 (All Sound Off) on each of their channels. To
an existing port (`--output-port`) this goes out at once, before the engine starts; to a new virtual
port, when something first connects to it (live/midi_io/connection_watch.py). Until then the new run's
file carries the old notes too, so a second crash before anyone connected does not forget them. A file
that cannot be read is reported on stderr in one line and ignored: it never stops a start.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import mido

from continuo.live.midi_io.connection_watch import GatedOutput, connection_watcher
from continuo.live.music.midi import CHANNELS, MAX_DATA, silencing
from continuo.live.runner.held_notes import SUFFIX, HeldNotesFile, Log, Notes, midi_system, port_stem, state_folder
from continuo.live.runner.request import PlayRequest


def _run_alive(pid: int) -> bool:
    """Whether `pid` is a live Continuo run (not a pid reused by another program after a reboot)."""
    if pid == os.getpid():
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if Path("/proc/self").exists():
        try:
            return b"continuo" in cmdline.read_bytes()
        except OSError:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: assume alive, leave its file alone
    return True


def _of_a_dead_run(path: Path, stem: str, suffix: str) -> bool:
    pid = path.name[len(stem) + 1 : -len(suffix)]
    return not pid.isdigit() or not _run_alive(int(pid))


def left_behind(folder: Path, stem: str) -> list[Path]:
    """Files of runs on this port that are no longer alive."""
    return [path for path in sorted(folder.glob(f"{stem}.*{SUFFIX}")) if _of_a_dead_run(path, stem, SUFFIX)]


def stale_partials(folder: Path, stem: str) -> list[Path]:
    """Writes of such runs that a kill cut short (their last whole file is the one read)."""
    suffix = f"{SUFFIX}.partial"
    return [path for path in sorted(folder.glob(f"{stem}.*{suffix}")) if _of_a_dead_run(path, stem, suffix)]


def read_notes(path: Path) -> Notes:
    """The notes a file holds; ValueError or OSError if it cannot be read or is not such a file."""
    content = json.loads(path.read_text())
    notes: Notes = {}
    for channel, pitches in content["notes"].items():
        number = int(channel)
        if not 0 <= number < CHANNELS or not all(isinstance(p, int) and 0 <= p <= MAX_DATA for p in pitches):
            raise ValueError(f"channel {channel}: {pitches!r} is not a list of notes")
        notes.setdefault(number, set()).update(pitches)
    return notes


def gather(paths: Iterable[Path], warn: TextIO) -> Notes:
    """The notes of all `paths` together; each unreadable file is named on `warn` in one line and skipped."""
    notes: Notes = {}
    for path in paths:
        try:
            for channel, pitches in read_notes(path).items():
                notes.setdefault(channel, set()).update(pitches)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            print(f"continuo play: warning: ignoring held-notes file {path}: {error}", file=warn)
    return notes


def cleanup_messages(notes: Notes) -> list[mido.Message]:
    """Note-offs for every note, then CC123 and CC120 on each of their channels."""
    return silencing([(channel, pitch) for channel in sorted(notes) for pitch in sorted(notes[channel])], notes)


def _count(notes: Notes) -> int:
    return sum(len(pitches) for pitches in notes.values())


@dataclass
class PreparedOutput:
    port: Any  # what the engine sends to: the port itself, or a GatedOutput around a virtual port
    held: HeldNotesFile | None  # a duty for the Session; None without a port
    notice: str | None  # one line for the status or the terminal, when an earlier run's notes wait


def prepare_output(
    request: PlayRequest, api: str | None, port: Any, log: Log, warn: TextIO | None = None
) -> PreparedOutput:
    """Right after the output port opens, before the engine starts: end what a killed run left sounding."""
    warn = warn or sys.stderr
    if port is None or api is None:
        return PreparedOutput(port, None, None)
    folder = state_folder(request.state_dir)
    system = midi_system(api)
    stem = port_stem(system, port.name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stale = left_behind(folder, stem)
    except OSError as error:
        print(f"continuo play: warning: cannot keep held notes in {folder}: {error}", file=warn)
        stale = []
    notes = gather(stale, warn)
    held = HeldNotesFile(folder / f"{stem}.{os.getpid()}{SUFFIX}", port.name, system, {}, warn)
    output, notice = port, None
    if notes:
        count, cleanup = _count(notes), cleanup_messages(notes)
        watch = connection_watcher(api) if request.output_port is None else None
        if watch is None:
            _send_cleanup(port, cleanup, log, count)
        else:
            held.carried = notes
            notice = f"{count} notes left by an earlier run are ended when something connects to {port.name!r}"
            log("held_notes_waiting", port=port.name, notes=count)

            def opened(failure: BaseException | None) -> None:
                held.ended()
                log("held_notes_ended", port=port.name, notes=count, error=None if failure is None else str(failure))

            output = GatedOutput(port, cleanup, watch, opened)
    held()  # this run's file exists before the earlier ones go (it carries their notes if still pending)
    for path in stale + stale_partials(folder, stem):
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            print(f"continuo play: warning: cannot remove held-notes file {path}: {error}", file=warn)
    if isinstance(output, GatedOutput):
        output.start()
    return PreparedOutput(output, held, notice)


def _send_cleanup(port: Any, cleanup: list[mido.Message], log: Log, count: int) -> None:
    """To a port someone listens on (or one that cannot be watched): now, every message attempted."""
    failure: Exception | None = None
    for message in cleanup:
        try:
            port.send(message)
        except Exception as error:  # the engine's first send meets the same failure and reports it
            failure = failure or error
    log("held_notes_ended", port=port.name, notes=count, error=None if failure is None else str(failure))
