"""Memory: resident set size of a playing `continuo play` process over time (a leak would show as growth)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def run(checkpoints_s: tuple[float, ...]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        command = [
            sys.executable, "-m", "continuo.live", "play", "--output", "none", "--record",
            str(Path(folder) / "take.mid"), "--seed", "1", "--tempo", "200", "--quiet",
            "--duration", str(max(checkpoints_s) + 5),
        ]  # fmt: skip
        process = subprocess.Popen(command)
        started = time.monotonic()
        found = {}
        for checkpoint in sorted(checkpoints_s):
            time.sleep(max(0.0, started + checkpoint - time.monotonic()))
            found[f"rss_mb_at_{checkpoint:g}s"] = round(_rss_mb(process.pid), 1)
        process.wait(timeout=60)
    return found
