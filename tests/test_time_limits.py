"""Every test gets a time limit by its marker (tests/conftest.py), and a test past its limit fails with a traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import FAST_LIMIT, TIME_LIMITS


def limit_of(item: pytest.Item) -> float:
    marker = item.get_closest_marker("timeout")
    assert marker is not None
    return float(marker.args[0])


def test_this_test_has_the_limit_of_an_unmarked_test(request: pytest.FixtureRequest) -> None:
    assert limit_of(request.node) == FAST_LIMIT


@pytest.mark.jack
def test_a_jack_test_has_the_jack_limit(request: pytest.FixtureRequest) -> None:
    assert limit_of(request.node) == TIME_LIMITS["jack"]


def test_a_hanging_test_fails_at_its_limit_with_a_traceback_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "test_hang.py").write_text(
        textwrap.dedent(
            """
            import time
            import pytest

            @pytest.mark.timeout(1)
            def test_hangs():
                time.sleep(60)

            def test_after():
                pass
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=50,
        cwd=tmp_path,
    )
    assert "Timeout (>1.0s)" in result.stdout and "time.sleep(60)" in result.stdout, result.stdout
    assert "1 failed, 1 passed" in result.stdout, result.stdout
