"""--log: what the engine heard and decided, one JSON object per line, rotated by size for long runs.

Each line starts with "what" (the kind of entry) and "at" (time.monotonic() seconds: the clocks' own time
base, so entries line up with beats and the scheduler's deadlines) and is flushed as it is written, so a
reader (or a crash) never sees half a line. Once the file would pass `max_bytes` it is renamed to
FILE.1 (FILE.1 to FILE.2, ... the oldest of KEPT_FILES dropped) and a new FILE started: an installation
that runs for weeks keeps at most (KEPT_FILES + 1) * max_bytes of log. A new run appends to the file
its previous run left, so the end of a run that was killed stays readable after the restart.
"""

from __future__ import annotations

import json
import logging
import time
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

KEPT_FILES = 3  # FILE.1 ... FILE.3 beside the current FILE
BYTES_PER_MB = 1024 * 1024  # --log-max-mb counts these, as the health figures' rss_mb does
DEFAULT_MAX_BYTES = 10 * BYTES_PER_MB  # --log-max-mb's default


class EventLog:
    """`log(what, **fields)` writes one line to `path`; EventLog(None) writes nothing."""

    def __init__(self, path: Path | None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.handler: RotatingFileHandler | None = None
        if path is None:
            return
        # The standard library's rotation, through a logger of this log's own: never registered with the
        # logging module (nothing else can add handlers to it or reach it), and not propagating to the root
        # logger, so no other logging configuration sees or reformats these lines.
        self.handler = RotatingFileHandler(path, maxBytes=max(1, max_bytes), backupCount=KEPT_FILES, encoding="utf-8")
        self.handler.setFormatter(logging.Formatter("%(message)s"))
        self.logger = logging.Logger(f"continuo.events.{path}", logging.INFO)
        self.logger.propagate = False
        self.logger.addHandler(self.handler)

    def __call__(self, what: str, **fields: Any) -> None:
        if self.handler is not None:
            # Passed as the message's argument, so a "%" in a field is never taken for a format.
            self.logger.info("%s", json.dumps({"what": what, "at": time.monotonic(), **fields}))

    def close(self) -> None:
        if self.handler is not None:
            self.logger.removeHandler(self.handler)
            self.handler.close()
            self.handler = None
