"""Onset timing of a real `continuo play` process, witnessed twice.

The engine's own `--timing-report` says how late each note-on left the scheduler (monotonic
clock, microseconds). At the port, a private JACK server (dummy driver, 48 kHz, 64-frame periods:
events land on a 1.33 ms grid) and `jack_midi_dump -a` give the frame at which every note-on
arrived; the `--record` file gives the beat each was scheduled for. The error of note i is its
arrival minus its scheduled time, both measured from the first note, so any drift over the run
shows as errors growing with time.

    python -m benchmarks.live_timing --minutes 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np

from benchmarks.jack_clients import JackServer, MonotonicReader, Reader, continuo, recorded_messages, start_server
from continuo.live.midi_io.jack_server import PERIOD, SAMPLE_RATE
from continuo.live.midi_io.ports import DEFAULT_PORT_NAME

RESULTS = Path(__file__).parent / "results"


def _errors_ms(arrived: np.ndarray, scheduled: np.ndarray) -> np.ndarray:
    """Arrival minus schedule, both from the first note this witness saw (it may have joined late)."""
    scheduled = scheduled[len(scheduled) - len(arrived) :]
    return ((arrived - arrived[0]) - (scheduled - scheduled[0])) * 1000


def _summary(error_ms: np.ndarray) -> dict[str, Any]:
    tenth = max(1, len(error_ms) // 10)
    absolute = np.abs(error_ms)
    return {
        "notes": len(error_ms),
        "abs_error_ms": {q: float(np.percentile(absolute, v)) for q, v in (("p50", 50), ("p99", 99))}
        | {"max": float(absolute.max())},
        "drift_ms": {
            "first_tenth_mean": float(error_ms[:tenth].mean()),
            "last_tenth_mean": float(error_ms[-tenth:].mean()),
            "last_note": float(error_ms[-1]),
        },
    }


def with_samples(error_ms: np.ndarray) -> dict[str, Any]:
    """The summary plus every note's signed error (ms, to the microsecond) for the histogram."""
    return _summary(error_ms) | {"error_samples_ms": [round(float(value), 3) for value in error_ms]}


def measure(minutes: float, bpm: float, seed: int) -> dict[str, Any]:
    server = start_server()
    try:
        with TemporaryDirectory() as folder:
            monotonic = MonotonicReader(server, Path(folder))
            frames = Reader(server, Path(folder), "witness")
            record, lateness = Path(folder) / "take.mid", Path(folder) / "lateness.json"
            command = continuo(
                "play", "--output-port", monotonic.port, "--record", str(record), "--tempo", f"{bpm:g}",
                "--timing-report", str(lateness), "--seed", str(seed), "--duration", f"{minutes * 60:g}", "--quiet",
            )  # fmt: skip
            engine = subprocess.Popen(command, env=server.env)
            port = next(p for p in _wait_for_engine_port(server) if p)
            server.connect(port, frames.port)  # joins a few notes late; compared on what it saw
            engine.wait(timeout=minutes * 60 + 120)
            time.sleep(0.2)
            frames.stop()
            by_clock = np.array([t for t, m in monotonic.stop() if m.type == "note_on" and m.velocity > 0])
            by_frames = np.array([r.seconds for r in frames.received() if r.message.type == "note_on"])
            scheduled = np.array([b * 60 / bpm for b, m in recorded_messages(record) if m.type == "note_on"])
            sent = json.loads(lateness.read_text())["send_lateness_ms"]
    finally:
        server.stop()
    if len(by_clock) != len(scheduled):
        raise SystemExit(f"the monotonic witness saw {len(by_clock)} note-ons, the recording has {len(scheduled)}")
    return {
        "minutes": minutes,
        "bpm": bpm,
        "engine_send_lateness_ms": sent,
        "port_monotonic_witness": with_samples(_errors_ms(by_clock, scheduled)),
        "port_jack_frames_witness": _summary(_errors_ms(by_frames, scheduled))
        | {"period_ms": PERIOD / SAMPLE_RATE * 1000},
        "load_average": os.getloadavg(),
    }


def _wait_for_engine_port(server: JackServer) -> Iterator[str | None]:
    """The engine's own output port, once it exists (its JACK client is named Continuo)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [p for p in server.ports() if p.startswith(f"{DEFAULT_PORT_NAME}:")]
        yield found[0] if found else None
        time.sleep(0.01)
    raise SystemExit("the engine's JACK port never appeared")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--bpm", type=float, default=132.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = measure(args.minutes, args.bpm, args.seed)
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()}
    result["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    RESULTS.mkdir(exist_ok=True)
    stamp = result["date"][:16].replace(":", "")  # 2026-12-01T0215: a second run never overwrites the first
    target = RESULTS / f"live-timing-{stamp}-{args.minutes:g}min.json"
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"saved {target}")


if __name__ == "__main__":
    main()
