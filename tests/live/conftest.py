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
