"""Fixtures for the live engine's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.jack_clients import JackServer
from tests.live.jack import start_server


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
