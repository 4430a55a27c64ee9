"""Crash safety at the unit level: the held-notes file, the cleanup it leads to, and the virtual port's gate.

The port here is a recording fake; what a real reader receives is tests/live/test_crash_safety_jack.py.
"""

from __future__ import annotations

import io
import itertools
import json
import threading
import time
from pathlib import Path
from typing import Any

import mido
import pytest

from continuo.live.midi_io import connection_watch
from continuo.live.midi_io.connection_watch import GatedOutput
from continuo.live.midi_io.ports import BACKENDS, JACK_API
from continuo.live.runner import held_notes, left_notes
from continuo.live.runner.held_notes import (
    MIN_WRITE_SECONDS,
    RETRY_SECONDS,
    HeldNotesFile,
    midi_system,
    port_stem,
    state_folder,
)
from continuo.live.runner.left_notes import cleanup_messages, prepare_output
from continuo.live.runner.request import PlayRequest
from tests.live.fakes import RecordingPort

ALSA = BACKENDS["alsa"]


class NamedPort(RecordingPort):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.closed = False

    def close(self) -> None:
        self.closed = True


class Log:
    def __init__(self) -> None:
        self.entries: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, what: str, **fields: Any) -> None:
        self.entries.append((what, fields))


class CountingWrites:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = held_notes.write_atomically

        def counted(path: Path, write: Any) -> None:
            self.count += 1
            real(path, write)

        monkeypatch.setattr(held_notes, "write_atomically", counted)


def summary(messages: list[mido.Message]) -> list[tuple[str, int, int]]:
    return [(m.type, m.channel, m.control if m.type == "control_change" else m.note) for m in messages]


def test_the_file_is_written_only_when_the_sounding_notes_change_and_is_whole_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = CountingWrites(monkeypatch)
    sounding = {(0, 60), (0, 64)}
    seconds = itertools.count()  # a second between calls: past the spacing of writes
    held = HeldNotesFile(tmp_path / "p.1.json", "synth:in", "jack:default", {}, io.StringIO(), lambda: next(seconds))
    held.follow(lambda: set(sounding))
    for _ in range(5):
        held()
    assert writes.count == 1
    content = json.loads((tmp_path / "p.1.json").read_text())
    assert content["notes"] == {"0": [60, 64]} and content["port"] == "synth:in"
    sounding.add((3, 40))
    held()
    held()
    assert writes.count == 2
    assert json.loads((tmp_path / "p.1.json").read_text())["notes"] == {"0": [60, 64], "3": [40]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.1.json"]  # no partial file left beside it
    held.clear()
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_folder_warns_once_never_raises_and_is_tried_again_later(tmp_path: Path) -> None:
    warn = io.StringIO()
    now = [0.0]
    held = HeldNotesFile(tmp_path / "missing" / "p.1.json", "synth:in", "alsa", {}, warn, lambda: now[0])
    sounding = {(0, 60)}
    held.follow(lambda: set(sounding))
    held()
    sounding.add((0, 62))
    now[0] += 1.0
    held()
    assert warn.getvalue().count("\n") == 1 and "cannot keep held notes" in warn.getvalue()
    (tmp_path / "missing").mkdir()  # the folder is back (a disk remounted): the file follows again
    now[0] += RETRY_SECONDS
    held()
    assert json.loads((tmp_path / "missing" / "p.1.json").read_text())["notes"] == {"0": [60, 62]}


def test_writes_are_spaced_so_a_burst_of_changes_writes_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes = CountingWrites(monkeypatch)
    now = [0.0]
    held = HeldNotesFile(tmp_path / "p.1.json", "synth:in", "alsa", {}, io.StringIO(), lambda: now[0])
    sounding: set[tuple[int, int]] = set()
    held.follow(lambda: set(sounding))
    for pitch in range(60, 70):  # ten changes within one spacing
        sounding.add((0, pitch))
        now[0] += MIN_WRITE_SECONDS / 20
        held()
    assert writes.count == 1
    now[0] += MIN_WRITE_SECONDS
    held()
    assert writes.count == 2 and len(json.loads(held.path.read_text())["notes"]["0"]) == 10


def test_file_names_differ_per_port_and_per_jack_server() -> None:
    names = {
        port_stem(midi_system(JACK_API, {"JACK_DEFAULT_SERVER": "a"}), "reader:input"),
        port_stem(midi_system(JACK_API, {"JACK_DEFAULT_SERVER": "b"}), "reader:input"),
        port_stem(midi_system(JACK_API, {}), "reader:input"),
        port_stem(midi_system(JACK_API, {}), "reader:Input"),
        port_stem(midi_system(ALSA, {}), "reader:input"),
        port_stem(midi_system(ALSA, {}), "reader input"),  # same slug, other hash
    }
    assert len(names) == 6
    assert all(name.replace("-", "").isalnum() for name in names)


def test_the_state_folder_follows_the_flag_then_xdg_then_home(tmp_path: Path) -> None:
    assert state_folder(tmp_path / "s", {"XDG_STATE_HOME": "/x"}) == tmp_path / "s"
    assert state_folder(None, {"XDG_STATE_HOME": "/x"}) == Path("/x/continuo")
    assert state_folder(None, {}) == Path.home() / ".local" / "state" / "continuo"


def test_cleanup_is_note_offs_first_then_cc123_and_cc120_per_channel() -> None:
    messages = cleanup_messages({2: {67, 60}, 0: {64}})
    assert summary(messages) == [
        ("note_off", 0, 64),
        ("note_off", 2, 60),
        ("note_off", 2, 67),
        ("control_change", 0, 123),
        ("control_change", 0, 120),
        ("control_change", 2, 123),
        ("control_change", 2, 120),
    ]


def write_left_file(folder: Path, api: str, port: str, notes: dict[str, list[int]], pid: int = 999_999_999) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{port_stem(midi_system(api), port)}.{pid}.json"
    path.write_text(json.dumps({"port": port, "backend": "x", "pid": pid, "notes": notes}))
    return path


def test_an_existing_port_gets_the_cleanup_at_once_and_the_old_file_goes(tmp_path: Path) -> None:
    left = write_left_file(tmp_path, ALSA, "synth:in", {"0": [60, 64], "9": [36]})
    other = write_left_file(tmp_path, ALSA, "other synth", {"0": [50]})
    port, log = NamedPort("synth:in"), Log()
    request = PlayRequest(output_port="synth", state_dir=tmp_path)
    prepared = prepare_output(request, ALSA, port, log, io.StringIO())
    assert prepared.port is port and prepared.notice is None
    assert summary(port.sent) == [
        ("note_off", 0, 60),
        ("note_off", 0, 64),
        ("note_off", 9, 36),
        ("control_change", 0, 123),
        ("control_change", 0, 120),
        ("control_change", 9, 123),
        ("control_change", 9, 120),
    ]
    assert not left.exists() and other.exists()  # another port's file is not this run's business
    assert prepared.held is not None and prepared.held.path.exists()
    assert [what for what, _ in log.entries] == ["held_notes_ended"]


def test_a_live_runs_file_is_left_alone(tmp_path: Path) -> None:
    import os

    mine = write_left_file(tmp_path, ALSA, "synth:in", {"0": [60]}, pid=os.getpid())
    port = NamedPort("synth:in")
    prepared = prepare_output(PlayRequest(output_port="synth", state_dir=tmp_path), ALSA, port, Log(), io.StringIO())
    assert port.sent == [] and prepared.held is not None
    assert prepared.held.path == mine  # the same name: the run's own file, written fresh


def test_a_corrupt_file_is_named_in_one_stderr_line_and_ignored(tmp_path: Path) -> None:
    path = write_left_file(tmp_path, ALSA, "synth:in", {})
    path.write_text('{"notes": {"0": [60, ')
    warn, port = io.StringIO(), NamedPort("synth:in")
    prepared = prepare_output(PlayRequest(output_port="synth", state_dir=tmp_path), ALSA, port, Log(), warn)
    assert prepared.port is port and port.sent == []
    assert warn.getvalue().count("\n") == 1 and str(path) in warn.getvalue()
    assert not path.exists()


def test_the_gate_drops_while_shut_then_sends_the_cleanup_before_later_notes() -> None:
    port = NamedPort("Continuo:Continuo")
    connected: list[str] = []
    opened = threading.Event()
    cleanup = cleanup_messages({0: {60}})
    gate = GatedOutput(port, cleanup, lambda name: list(connected), lambda failure: opened.set(), 0.01, 0.01)
    gate.start()
    gate.send(mido.Message("note_on", note=70, velocity=80))
    time.sleep(0.05)
    assert port.sent == [] and not gate.is_open
    connected.append("synth:in")
    assert opened.wait(2)
    gate.send(mido.Message("note_on", note=72, velocity=80))
    assert summary(port.sent) == [
        ("note_off", 0, 60),
        ("control_change", 0, 123),
        ("control_change", 0, 120),
        ("note_on", 0, 72),
    ]
    gate.close()
    assert port.closed


def test_a_virtual_port_waits_for_a_connection_and_its_file_carries_the_old_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connected: list[str] = []
    monkeypatch.setattr(left_notes, "connection_watcher", lambda api: lambda name: list(connected))
    monkeypatch.setattr(connection_watch, "POLL_FIRST_SECONDS", 0.01)
    left = write_left_file(tmp_path, JACK_API, "Continuo:Continuo", {"1": [48]})
    port, log = NamedPort("Continuo:Continuo"), Log()
    prepared = prepare_output(PlayRequest(state_dir=tmp_path), JACK_API, port, log, io.StringIO())
    gate, held = prepared.port, prepared.held
    assert isinstance(gate, GatedOutput) and held is not None and prepared.notice is not None
    held.follow(lambda: {(0, 60)})
    time.sleep(MIN_WRITE_SECONDS)  # prepare_output wrote the file just now: the next write waits this long
    held()
    assert not left.exists()
    assert json.loads(held.path.read_text())["notes"] == {"0": [60], "1": [48]}  # a second crash keeps them
    gate.send(mido.Message("note_on", note=60, velocity=80))
    connected.append("synth:in")
    deadline = time.monotonic() + 2
    while not gate.is_open:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    held()
    assert json.loads(held.path.read_text())["notes"] == {"0": [60]}
    assert summary(port.sent) == [("note_off", 1, 48), ("control_change", 1, 123), ("control_change", 1, 120)]
    assert [what for what, _ in log.entries] == ["held_notes_waiting", "held_notes_ended"]
    gate.close()
    held.clear()
    assert not held.path.exists()


def test_where_connections_cannot_be_watched_the_cleanup_goes_out_at_once(tmp_path: Path) -> None:
    write_left_file(tmp_path, ALSA, "Continuo", {"0": [60]})
    port = NamedPort("Continuo")
    prepared = prepare_output(PlayRequest(state_dir=tmp_path), ALSA, port, Log(), io.StringIO())
    assert prepared.port is port
    assert summary(port.sent) == [("note_off", 0, 60), ("control_change", 0, 123), ("control_change", 0, 120)]


def test_jack_connections_reads_jack_lsp(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    listing = "Continuo:Continuo\n   synth:in\n   other:in\nsynth:in\n   Continuo:Continuo\n"

    def run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 0, listing, "")

    monkeypatch.setattr(connection_watch.shutil, "which", lambda name: "/usr/bin/jack_lsp")
    monkeypatch.setattr(connection_watch.subprocess, "run", run)
    assert connection_watch.jack_connections("Continuo:Continuo") == ["synth:in", "other:in"]
    assert connection_watch.jack_connections("Continuo") is None  # not listed: cannot be watched


def wait_open(gate: GatedOutput) -> None:
    deadline = time.monotonic() + 2
    while not gate.is_open:
        assert time.monotonic() < deadline, "the gate did not open"
        time.sleep(0.002)


def test_a_gate_that_cannot_tell_who_is_connected_opens_after_a_few_polls() -> None:
    asked: list[str] = []

    def cannot_tell(name: str) -> None:
        asked.append(name)

    port = NamedPort("Continuo:Continuo")
    gate = GatedOutput(port, cleanup_messages({0: {60}}), cannot_tell, poll_first=0.001, poll_max=0.001)
    gate.start()
    wait_open(gate)
    assert len(asked) == connection_watch.UNKNOWN_LIMIT
    assert [m.type for m in port.sent] == ["note_off", "control_change", "control_change"]
    gate.close()


def test_a_swapped_port_gets_the_pending_cleanup_and_the_gate_forwards_the_ports_attributes() -> None:
    connected: list[str] = []
    old, new = NamedPort("Continuo:Continuo"), NamedPort("Continuo:Continuo")
    new.existing = False  # type: ignore[attr-defined]
    gate = GatedOutput(old, cleanup_messages({0: {60}}), lambda name: list(connected), poll_first=0.001)
    gate.start()
    assert gate.swap(new) is old
    assert gate.existing is False
    connected.append("synth:in")
    wait_open(gate)
    assert old.sent == [] and len(new.sent) == 3
    gate.close()
    assert new.closed and not old.closed


def test_a_write_cut_short_by_a_kill_is_removed_at_the_next_start(tmp_path: Path) -> None:
    left = write_left_file(tmp_path, JACK_API, "Continuo:Continuo", {"0": [60]})
    cut_short = left.with_name(left.name + ".partial")
    cut_short.write_text('{"port": "Contin')
    port = NamedPort("Continuo:Continuo")
    prepare_output(
        PlayRequest(state_dir=tmp_path, output_port="Continuo:Continuo"), JACK_API, port, Log(), io.StringIO()
    )
    assert not left.exists() and not cut_short.exists()
