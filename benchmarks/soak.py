"""A long `continuo play` on a real JACK port with faults on a schedule: `python -m benchmarks.soak --minutes 60`.

A private JACK server (dummy driver), `continuo play --backend jack --tempo 160 --input-name Keys` and a
MonotonicReader process connected to `Continuo:Continuo`. On a schedule proportional to the length, the
harness restarts the reader (the synth quits and comes back), SIGKILLs the input relay (the engine's child
process holding `Keys:Keys`) and kills and restarts the JACK server, and times each recovery. From outside,
every 10 s, it reads the engine's VmRSS from /proc (the engine's own health lines are kept too). At the end,
Ctrl-C; the engine's --timing-report gives every note-on's send lateness, and benchmarks/soak_report.py
judges the run against the issue's bounds, writes the JSON and draws the plot.

    python -m benchmarks.soak --minutes 60            (results: benchmarks/results/soak.json, plots/soak.png)
    python -m benchmarks.soak --minutes 3 --out DIR   (the CI version: one fault of each kind)

The CPU lock (/tmp/continuo-cpu.lock, shared with the timing tests on this machine) is held while the
lateness criterion measures: the first and the last ten minutes (the whole run when it is shorter than
twenty), so that other people's test runs do not load the windows being compared.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from benchmarks.jack_clients import JackServer, MonotonicReader, continuo, start_server
from benchmarks.soak_report import ROOT, finish, segment_summary

BPM = 160.0
OUTPUT = "Continuo:Continuo"
INPUT = "Keys:Keys"
RSS_EVERY = 10.0  # seconds between the harness's own VmRSS samples
HEALTH_EVERY = 10.0  # seconds between the engine's health lines
BACK_SECONDS = 10.0  # the bound on a recovery
WAIT_SECONDS = 20.0  # how long the harness waits for a recovery before calling it failed
CPU_LOCK = Path("/tmp/continuo-cpu.lock")
WINDOW_SECONDS = 600.0  # the lateness windows compared: first and last ten minutes


def schedule(minutes: float) -> list[tuple[float, str]]:
    """(second, fault) pairs: from 10 minutes up, the hour's pattern scaled to the length (readers at 5, 15, ...
    55, relays at 20 and 40, JACK at 30 of 60); below, one of each (reader, relay, JACK at 2/9, 4/9, 6/9)."""
    if minutes >= 10:
        pattern = [(at, "reader") for at in (5, 15, 25, 35, 45, 55)] + [(20, "relay"), (40, "relay"), (30, "jack")]
        return sorted((at / 60 * minutes * 60, kind) for at, kind in pattern)
    return [(minutes * 60 * k / 9, kind) for k, kind in ((2, "reader"), (4, "relay"), (6, "jack"))]


def lock_windows(seconds: float) -> list[tuple[float, float]]:
    """When to hold the CPU lock, in seconds of the run: the lateness windows, or all of a short run."""
    if seconds < 2 * WINDOW_SECONDS:
        return [(0.0, seconds)]
    return [(0.0, WINDOW_SECONDS), (seconds - WINDOW_SECONDS - 60, seconds)]  # a minute early for the engine to settle


class CpuLock:
    """fcntl.flock on the shared lock file, taken and given back by the schedule; when each hold began."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.file: IO[str] | None = None
        self.held: list[list[float]] = []

    def take(self, now: float) -> None:
        if self.path is None or self.file is not None:
            return
        self.file = self.path.open("a")
        fcntl.flock(self.file, fcntl.LOCK_EX)  # waits for a test run in progress to finish
        self.held.append([round(now, 1), round(time.monotonic() - now, 1)])  # [asked at, waited]

    def give(self) -> None:
        if self.file is not None:
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()
            self.file = None


@dataclass
class Run:
    server: JackServer
    work: Path
    engine: subprocess.Popen[bytes]
    started: float  # monotonic second of the engine's start: every time below is relative to it
    reader: MonotonicReader | None = None
    reader_since: float = 0.0
    readers: int = 0
    segments: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    rss: list[list[float]] = field(default_factory=list)

    def t(self) -> float:
        return time.monotonic() - self.started

    def listen(self) -> None:
        """A new reader on the output: a synth that (re)starts and is connected."""
        self.readers += 1
        self.reader = MonotonicReader(self.server, self.work, f"reader{self.readers}")
        self.server.connect(OUTPUT, self.reader.port)
        self.reader_since = self.t()

    def stop_reader(self, ended_by: str, cut_at: float | None) -> dict[str, Any]:
        """Stop the reader and judge what it heard (`cut_at`: when its listening ended, None at the run's end)."""
        assert self.reader is not None
        heard = [(stamp - self.started, message) for stamp, message in self.reader.stop()]
        summary = segment_summary(heard, self.reader_since, cut_at, BPM)
        summary |= {"ended_by": ended_by, "witness_late": self.reader.late}  # its own cycles jackd saw unfinished
        summary["arrival_corrections"] = self.reader.corrections()  # where the witness's own time mapping was off
        self.segments.append(summary)
        self.reader = None
        return summary

    def log_texts(self) -> list[str]:
        path = self.work / "log.jsonl"
        if not path.exists():
            return []
        entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [str(entry.get("text")) for entry in entries if entry.get("what") == "connection"]


def sample_rss(run: Run, done: threading.Event) -> None:
    """VmRSS of the engine process every RSS_EVERY seconds, read from /proc as any monitor would."""
    status = Path(f"/proc/{run.engine.pid}/status")
    while not done.wait(0 if not run.rss else RSS_EVERY - (run.t() - run.rss[-1][0])):
        try:
            line = next(row for row in status.read_text().splitlines() if row.startswith("VmRSS:"))
        except (OSError, StopIteration):
            return
        run.rss.append([round(run.t(), 1), round(int(line.split()[1]) / 1024, 2)])


def wait_until(check: Any, timeout: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def restart_reader(run: Run, at: float) -> dict[str, Any]:
    fault_at = run.t()
    run.stop_reader("reader restart", cut_at=fault_at)
    run.listen()
    return {"kind": "reader", "scheduled_s": at, "at_s": round(fault_at, 2), "segment": run.readers}


def kill_relay(run: Run, at: float) -> dict[str, Any]:
    before = run.log_texts().count("input port back")
    children = subprocess.run(["pgrep", "-P", str(run.engine.pid)], capture_output=True, text=True).stdout.split()
    fault_at = run.t()
    subprocess.run(["kill", "-9", *children], check=True)
    said = wait_until(lambda: run.log_texts().count("input port back") > before)
    listed = said and wait_until(lambda: INPUT in run.server.ports(), timeout=5)
    fault = {"kind": "relay", "scheduled_s": at, "at_s": round(fault_at, 2), "relays_killed": len(children)}
    return fault | {"input_back": listed, "recovery_s": round(run.t() - fault_at, 2) if listed else None}


def restart_jack(run: Run, at: float) -> dict[str, Any]:
    fault_at = run.t()
    run.server.kill()  # the reader keeps listening to the end: the notes the kill cuts are counted apart
    time.sleep(1.0)
    run.stop_reader("JACK kill", cut_at=fault_at)
    run.server.restart()
    server_back = run.t()
    port_back = wait_until(lambda: OUTPUT in run.server.ports())
    port_s = round(run.t() - server_back, 2) if port_back else None
    if port_back:
        run.listen()
    fault = {"kind": "jack", "scheduled_s": at, "at_s": round(fault_at, 2), "server_back_s": round(server_back, 2)}
    input_back = wait_until(lambda: INPUT in run.server.ports())
    input_s = round(run.t() - server_back, 2) if input_back else None
    fault |= {"port_back_after_server_s": port_s, "input_back": input_back, "input_back_after_server_s": input_s}
    return fault | {"segment": run.readers if port_back else None}


FAULTS = {"reader": restart_reader, "relay": kill_relay, "jack": restart_jack}


def soak(
    minutes: float, out: Path, plot: Path, work: Path, lock: Path | None = CPU_LOCK, seed: int = 3
) -> dict[str, Any]:
    """Run the soak (its logs and readers' files in `work`); write the result JSON to `out`, the plot to `plot`."""
    seconds = minutes * 60
    work.mkdir(parents=True, exist_ok=True)
    cpu = CpuLock(lock)
    windows = lock_windows(seconds)
    cpu.take(0.0)
    server = start_server()
    command = continuo(
        *("play", "--backend", "jack", "--tempo", f"{BPM:g}", "--input-name", "Keys", "--seed", str(seed)),
        *("--log", str(work / "log.jsonl"), "--log-max-mb", "1000", "--state-dir", str(work / "state")),
        *("--health-every", f"{HEALTH_EVERY:g}", "--health-file", str(work / "health.json")),
        *("--timing-report", str(work / "timing.json"), "--quiet"),
    )
    with (work / "engine-stderr.txt").open("wb") as err:
        engine = subprocess.Popen(command, env=server.env, stdout=subprocess.DEVNULL, stderr=err)
    run = Run(server, work, engine, time.monotonic())
    done = threading.Event()
    sampler = threading.Thread(target=sample_rss, args=(run, done), daemon=True)
    try:
        server.wait_for_port(OUTPUT, timeout=60)
        run.listen()
        sampler.start()
        plan = schedule(minutes)
        while run.t() < seconds:
            inside = any(start <= run.t() < end for start, end in windows)
            cpu.take(run.t()) if inside else cpu.give()
            if engine.poll() is not None:
                raise RuntimeError(f"continuo play ended with {engine.returncode} at {run.t():.0f} s: see {err.name}")
            if plan and run.t() >= plan[0][0]:
                at, kind = plan.pop(0)
                run.faults.append(FAULTS[kind](run, round(at, 1)))
                print(f"{run.t():7.1f} s  {kind}: {run.faults[-1]}", flush=True)
            time.sleep(min(1.0, max(0.0, seconds - run.t())))
        ended = run.t()
        engine.send_signal(signal.SIGINT)
        code = engine.wait(timeout=30)
        run.stop_reader("end", cut_at=None)
    finally:
        done.set()
        if engine.poll() is None:
            engine.kill()
        if run.reader is not None:
            run.reader.process.kill()
        server.stop()
        cpu.give()
    raw: dict[str, Any] = {"minutes": minutes, "bpm": BPM, "seed": seed, "ended_s": round(ended, 1), "exit_code": code}
    raw |= {"faults": run.faults, "segments": run.segments, "rss": run.rss, "cpu_lock": cpu.held}
    (work / "raw.json").write_text(json.dumps(raw | {"started_monotonic": run.started}))  # to judge again
    return finish(raw, work, run.started, out, plot)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the run (default 60)")
    parser.add_argument("--out", type=Path, help="folder for soak.json and soak.png (default: the committed ones)")
    parser.add_argument("--no-cpu-lock", action="store_true", help="do not take /tmp/continuo-cpu.lock")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a kill ends the engine, readers and server too
    if args.out is None:
        out, plot = ROOT / "benchmarks" / "results" / "soak.json", ROOT / "benchmarks" / "plots" / "soak.png"
        work = Path(tempfile.mkdtemp(prefix="continuo-soak-"))
    else:
        out, plot, work = args.out / "soak.json", args.out / "soak.png", args.out / "work"
    result = soak(args.minutes, out, plot, work, None if args.no_cpu_lock else CPU_LOCK)
    print(f"wrote {out} and {plot} (engine log, readers: {work})")
    for name, criterion in result["criteria"].items():
        print(f"{name}: {criterion['value']} -> {'pass' if criterion['passed'] else 'FAIL'}")
    return 0 if all(criterion["passed"] for criterion in result["criteria"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
