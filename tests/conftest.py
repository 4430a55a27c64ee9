"""A time limit on every test, by its marker (pytest-timeout).

A JACK client that hangs, a thread that never ends or a subprocess that never answers then fails its test
with a traceback within minutes, and the rest of the suite still runs, instead of the whole run waiting
until CI's own limit kills it with nothing said. A test that needs more sets `@pytest.mark.timeout(...)`.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

# Seconds; each limit is several times the longest such test seen on this 2-core machine.
TIME_LIMITS = {"jack": 240, "slow": 900}
FAST_LIMIT = 120  # unmarked tests: seconds at most, but a few build models or parse corpora


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is not None:
            continue
        marked = [TIME_LIMITS[marker.name] for marker in item.iter_markers() if marker.name in TIME_LIMITS]
        item.add_marker(pytest.mark.timeout(max(marked, default=FAST_LIMIT)))


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
