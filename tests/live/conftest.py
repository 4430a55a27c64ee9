"""Fixtures for the live engine's tests."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.jack_clients import JackServer
from tests.live.jack import start_server


def children() -> set[int]:
    """This process's children now (from /proc: no dependency for it)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended while we looked
            continue
        if int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


@pytest.fixture(autouse=True)
def nothing_left_running() -> Iterator[None]:
    """A process a test started and left running (the test failed before it ended) is killed after the test: an
    engine left sending into a dead server spins a core and would make every later timing test fail."""
    before = children()
    yield
    for pid in children() - before:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def jack_server() -> Iterator[JackServer]:
    """A private JACK server on the dummy driver, stopped after the test."""
    server = start_server()
    yield server
    server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """A JACK test that fails says which clients jackd logged late, the witnesses among them: where a witness
    missed a cycle, what it heard cannot convict the engine of a lost or stuck note."""
    report: pytest.TestReport = yield
    server = getattr(item, "funcargs", {}).get("jack_server")
    if report.when == "call" and report.failed and isinstance(server, JackServer):
        late = dict(server.late_clients()) or "none"
        title = "JACK clients jackd logged late (cycles not finished; a client that exits adds a few as it goes)"
        report.sections.append((title, str(late)))
    return report
