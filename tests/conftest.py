"""A time limit on every test, by its marker (pytest-timeout).

A JACK client that hangs, a thread that never ends or a subprocess that never answers then fails its test
with a traceback within minutes, and the rest of the suite still runs, instead of the whole run waiting
until CI's own limit kills it with nothing said. A test that needs more sets `@pytest.mark.timeout(...)`.
"""

from __future__ import annotations

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
