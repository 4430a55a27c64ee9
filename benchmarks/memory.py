"""Memory and long-run drift of a playing `continuo play` on a real (JACK dummy) port.

RSS is read at the checkpoints (a leak would show as growth); the engine's --timing-report gives how
late each note-on left over the whole run, so drift shows as the last tenth's lateness above the first's.
Run without a recording, and recording in one-minute parts (an installation's way: memory holds one
part, so RSS must stay flat there too).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.jack_clients import start_server


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


# Two probes run side by side; their JACK servers and clients starting in the same instant once left one
# `continuo play` unable to reach its server, so each waits for the other's port to be up before starting.
_STARTING = threading.Lock()


def run(checkpoints_s: tuple[float, ...], part_minutes: float | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "timing.json"
        command = [
            sys.executable, "-m", "continuo.live", "play", "--seed", "1", "--tempo", "200", "--quiet",
            "--timing-report", str(report), "--duration", str(max(checkpoints_s) + 5),
        ]  # fmt: skip
        if part_minutes is not None:
            command += ["--record", str(Path(folder) / "take.mid"), "--record-part-minutes", f"{part_minutes:g}"]
        with _STARTING:
            server = start_server()
            process = subprocess.Popen(command, env=server.env)
            started = time.monotonic()
            try:
                server.wait_for_port("Continuo:Continuo", timeout=30)
            except AssertionError:
                process.kill()
                server.stop()
                raise
        # RSS (and the machine's 1-minute load average) every `interval` seconds for the plot, plus the
        # checkpoints themselves, which the table quotes.
        interval = max(0.5, max(checkpoints_s) / 120)
        times = sorted(
            {*checkpoints_s, *(round(i * interval, 3) for i in range(int(max(checkpoints_s) / interval) + 1))}
        )
        series: dict[str, list[float]] = {"seconds": [], "rss_mb": [], "load_1min": []}
        try:
            for moment in times:
                time.sleep(max(0.0, started + moment - time.monotonic()))
                rss = round(_rss_mb(process.pid), 1)
                series["seconds"].append(round(time.monotonic() - started, 1))
                series["rss_mb"].append(rss)
                series["load_1min"].append(round(os.getloadavg()[0], 2))
                if moment in checkpoints_s:
                    found[f"rss_mb_at_{moment:g}s"] = rss
            found["rss_series"] = series
            if process.wait(timeout=60) != 0:
                raise RuntimeError(f"continuo play exited {process.returncode}: its figures would mean nothing")
        finally:
            if process.poll() is None:
                process.kill()
            server.stop()
        late = np.asarray(json.loads(report.read_text())["samples_ms"])
        if part_minutes is not None:
            found["parts_written"] = len(list(Path(folder).glob("take-*.mid")))
    tenth = max(1, len(late) // 10)
    found["send_lateness_over_run"] = {
        "notes": len(late),
        "p99_ms": float(np.percentile(late, 99)),
        "first_tenth_mean_ms": float(late[:tenth].mean()),
        "last_tenth_mean_ms": float(late[-tenth:].mean()),
    }
    return found
