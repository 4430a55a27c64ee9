"""Health figures of a long run: a "health" line in the log every interval, and --health-file for monitors.

A Health object is one of the session's duties: called with no arguments on the engine's thread between
generation rounds, it does nothing until its interval has passed, so it must stay cheap. Each record reads
the engine's snapshot, sorts the scheduler's recent lateness (a few thousand floats) for its p99, and reads
the resident set size from /proc: no subprocess, no thread, nothing that grows with the length of the run.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from continuo.live.engine.commands import Snapshot
from continuo.live.files import write_atomically

MS = 1000.0
MB = 1024.0 * 1024.0


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) of `values`, interpolated between ranks as numpy's default; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _page_size() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows)
        return None


_PAGE_SIZE = _page_size()


def rss_mb() -> float | None:
    """The process's resident set size now (Linux /proc), else its peak (`resource`), else None (Windows)."""
    if _PAGE_SIZE is not None:
        try:
            with open("/proc/self/statm", "rb") as statm:  # size resident shared ... in pages
                return int(statm.read().split()[1]) * _PAGE_SIZE / MB
        except (OSError, IndexError, ValueError):
            pass
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / MB if sys.platform == "darwin" else peak / 1024


class Health:
    """Every `interval` seconds of `now`, one record: to `log` as a "health" line, and to `path` as JSON."""

    def __init__(
        self,
        snapshot: Callable[[], Snapshot],
        recent_lateness: Callable[[], list[float]],
        reconnects: Callable[[], int],
        log: Callable[..., None],
        path: Path | None,
        interval: float,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        if not interval > 0:
            raise ValueError(f"the health interval must be above 0 seconds, got {interval}")
        self.snapshot, self.recent_lateness, self.reconnects = snapshot, recent_lateness, reconnects
        self.log, self.path, self.interval, self.now = log, path, interval, now
        self.started = now()
        self.due = self.started + interval
        self.last: dict[str, Any] | None = None  # the latest record
        self.file_failed = False  # said once in the log; the music does not stop for a monitoring file

    def __call__(self) -> None:
        """Between rounds: a record if the interval has passed since the last one, else nothing."""
        now = self.now()
        if now < self.due:
            return
        # Keep the cadence; after a stall longer than an interval, one record, not a burst of them.
        self.due += self.interval
        if self.due <= now:
            self.due = now + self.interval
        self.report(now)

    def final(self) -> dict[str, Any]:
        """A last record now, whatever the interval: at the end of the run."""
        return self.report(self.now())

    def record(self, now: float) -> dict[str, Any]:
        snapshot = self.snapshot()
        p99 = percentile(self.recent_lateness(), 99)
        rss = rss_mb()
        return {
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "uptime_s": round(now - self.started, 1),
            "notes_sent": snapshot.notes_sent,
            "notes_held": snapshot.notes_held,
            "late_sends": snapshot.late_sends,
            "late_p99_ms": None if p99 is None else round(p99 * MS, 3),
            "rss_mb": None if rss is None else round(rss, 1),
            "reconnects": self.reconnects(),
            "loop_recoveries": snapshot.loop_recoveries,
            "stalls": snapshot.stalls,
            "model": snapshot.model,
            "tempo": snapshot.tempo,
        }

    def report(self, now: float) -> dict[str, Any]:
        figures = self.record(now)
        self.last = figures
        # The log line's own "at" is monotonic seconds, as every log entry's: the wall time goes as "utc".
        wall, rest = figures["at"], {key: value for key, value in figures.items() if key != "at"}
        self.log("health", utc=wall, **rest)
        if self.path is not None:
            text = json.dumps(figures) + "\n"
            try:
                write_atomically(self.path, lambda partial: partial.write_text(text))
                self.file_failed = False
            except OSError as error:
                if not self.file_failed:
                    self.log("health_file_failed", path=str(self.path), error=error.strerror or str(error))
                self.file_failed = True
        return figures
