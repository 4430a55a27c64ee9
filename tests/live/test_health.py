"""Health records at their interval with the engine's figures, the --health-file, and the log's rotation."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from continuo.live.engine.commands import Snapshot
from continuo.live.runner.event_log import KEPT_FILES, EventLog
from continuo.live.runner.health import Health, percentile, rss_mb
from tests.live.fakes import FakeTime

SNAPSHOT = Snapshot(
    model="bach", tempo=96.0, temperature=1.0, top_p=None, velocity=80, mode="continue", mode_status="",
    transport="", notes_sent=120, notes_held=2, late_sends=1, recent=(), loop_recoveries=3, stalls=4, port_lost="",
    last_change="", running=True,
)  # fmt: skip
LATENESS = [0.0001 * i for i in range(500)]  # 0 to 49.9 ms


class Logged:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, what: str, **fields: Any) -> None:
        self.lines.append((what, fields))


def health(tmp_path: Path, clock: FakeTime, log: Logged, **changes: Any) -> tuple[Health, dict[str, Any]]:
    figures: dict[str, Any] = {"snapshot": SNAPSHOT, "lateness": LATENESS, "reconnects": 2}
    figures.update(changes)
    made = Health(
        snapshot=lambda: figures["snapshot"],
        recent_lateness=lambda: list(figures["lateness"]),
        reconnects=lambda: figures["reconnects"],
        log=log,
        path=tmp_path / "health.json",
        interval=60.0,
        now=clock,
    )
    return made, figures


def test_a_record_every_interval_and_not_before(tmp_path: Path) -> None:
    clock, log = FakeTime(), Logged()
    monitor, _ = health(tmp_path, clock, log)
    for seconds in (0, 30, 59.9):
        clock.seconds = 100 + seconds
        monitor()
    assert log.lines == [] and not (tmp_path / "health.json").exists()
    clock.seconds = 160.0
    monitor()
    monitor()
    assert [what for what, _ in log.lines] == ["health"]
    clock.seconds = 219.0
    monitor()
    assert len(log.lines) == 1
    clock.seconds = 220.5  # the cadence stays on the minute, not on the call
    monitor()
    clock.seconds = 1000.0  # after a long stall: one record, not one per missed interval
    monitor()
    monitor()
    assert len(log.lines) == 3
    assert [fields["uptime_s"] for _, fields in log.lines] == [60.0, 120.5, 900.0]


def test_records_keep_to_the_interval_of_the_clock_whatever_the_times_of_the_calls(tmp_path: Path) -> None:
    clock, log = FakeTime(), Logged()
    monitor, _ = health(tmp_path, clock, log)
    calls = 100 + np.cumsum(np.random.default_rng(0).uniform(0.1, 1.9, 1000))  # rounds at irregular times
    recorded: list[float] = []
    for seconds in calls:
        clock.seconds = seconds
        monitor()
        if len(log.lines) > len(recorded):
            recorded.append(seconds)
    # Each record at the first call at or after the next whole interval from the start: on the cadence, not late
    # by the lateness of the calls before it.
    minutes = range(1, int((calls[-1] - 100) // 60) + 1)
    assert len(minutes) >= 10
    assert recorded == [calls[calls >= 100 + 60 * minute][0] for minute in minutes]


def test_a_record_holds_the_engine_figures(tmp_path: Path) -> None:
    clock, log = FakeTime(), Logged()
    monitor, _ = health(tmp_path, clock, log)
    clock.seconds += 60
    monitor()
    what, fields = log.lines[0]
    assert what == "health"
    assert fields["late_p99_ms"] == pytest.approx(np.percentile(np.array(LATENESS) * 1000, 99), abs=0.001)
    assert fields["rss_mb"] > 1
    expected = {"notes_sent": 120, "notes_held": 2, "late_sends": 1, "reconnects": 2, "loop_recoveries": 3, "stalls": 4}
    assert {key: fields[key] for key in expected} == expected
    assert fields["model"] == "bach" and fields["tempo"] == 96.0 and fields["utc"].endswith("+00:00")
    on_file = json.loads((tmp_path / "health.json").read_text())
    assert on_file == {"at": fields["utc"], **{key: value for key, value in fields.items() if key != "utc"}}
    assert list(on_file)[:3] == ["at", "uptime_s", "notes_sent"]


def test_the_health_file_always_holds_the_latest_record_whole(tmp_path: Path) -> None:
    clock, log = FakeTime(), Logged()
    monitor, figures = health(tmp_path, clock, log, lateness=[])
    for minute in range(1, 4):
        figures["snapshot"] = replace(SNAPSHOT, notes_sent=minute * 100)
        clock.seconds = 100 + 60 * minute
        monitor()
        on_file = json.loads((tmp_path / "health.json").read_text())
        assert on_file["notes_sent"] == minute * 100 and on_file["late_p99_ms"] is None
        assert sorted(path.name for path in tmp_path.iterdir()) == ["health.json"]  # no partial file left
    clock.seconds += 1
    last = monitor.final()
    assert last["uptime_s"] == 181.0 and json.loads((tmp_path / "health.json").read_text()) == last


def test_a_health_file_that_cannot_be_written_is_logged_once_and_the_run_goes_on(tmp_path: Path) -> None:
    clock, log = FakeTime(), Logged()
    monitor = Health(lambda: SNAPSHOT, list, lambda: 0, log, tmp_path / "gone" / "health.json", 1.0, clock)
    for _ in range(3):
        clock.seconds += 1
        monitor()
    assert [what for what, _ in log.lines] == ["health", "health_file_failed", "health", "health"]


def test_percentile_matches_numpy() -> None:
    rng = np.random.default_rng(1)
    for size in (1, 2, 7, 4096):
        values = rng.exponential(0.001, size).tolist()
        for q in (50, 99, 100):
            assert percentile(values, q) == pytest.approx(np.percentile(values, q))
    assert percentile([], 99) is None


def test_rss_is_the_current_resident_size() -> None:
    before = rss_mb()
    grown = np.ones(40 * 1024 * 1024, dtype=np.uint8)  # 40 MiB, touched
    after = rss_mb()
    assert before is not None and after is not None and before > 1
    assert after - before > 30
    del grown
    after_free = rss_mb()
    assert after_free is not None and after - after_free > 30  # the size now, not the peak


def test_the_event_log_is_json_lines_with_what_and_at_first(tmp_path: Path) -> None:
    path = tmp_path / "continuo.log"
    log = EventLog(path)
    log("health", notes_sent=3, text="100% sure")
    log("end")
    log.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [list(line)[:2] for line in lines] == [["what", "at"], ["what", "at"]]
    assert lines[0]["text"] == "100% sure" and lines[1]["what"] == "end"
    EventLog(None)("anything")  # writes nothing, fails in nothing


def test_the_event_log_rotates_keeping_three_old_files(tmp_path: Path) -> None:
    path = tmp_path / "continuo.log"
    log = EventLog(path, max_bytes=2000)
    for number in range(400):  # about 60 bytes a line: some 12 rotations
        log("note", number=number)
        assert path.stat().st_size > 0  # flushed line by line
    log.close()
    files = sorted(tmp_path.iterdir())
    assert [file.name for file in files] == ["continuo.log", "continuo.log.1", "continuo.log.2", "continuo.log.3"]
    assert KEPT_FILES == 3
    numbers = []
    for file in [*reversed(files[1:]), files[0]]:  # oldest first: .3 .2 .1, then the current file
        assert file.stat().st_size <= 2000
        numbers += [json.loads(line)["number"] for line in file.read_text().splitlines()]
    assert numbers == list(range(numbers[0], 400)) and numbers[0] > 0  # the newest lines, in order, none torn


def test_a_new_run_appends_to_the_log(tmp_path: Path) -> None:
    path = tmp_path / "continuo.log"
    for run in range(2):
        log = EventLog(path)
        log("start", run=run)
        log.close()
    assert [json.loads(line)["run"] for line in path.read_text().splitlines()] == [0, 1]
