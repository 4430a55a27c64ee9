"""What reading MIDI input without a callback costs: `python -m benchmarks.input_latency`.

One private JACK server (dummy driver); a sender process plays a fast performer's stream (note-ons and
note-offs at irregular, exponential gaps, seeded) into two witness processes at once
(benchmarks/monotonic_reader.py): the queued reader, which reads the way the engine's input relay does
(RtMidi's queue emptied every millisecond by a Python thread, live/midi_io/queued_input.py), and the
callback reader, the old way (a Python callback in JACK's process thread). A phase on a quiet machine,
then one beside a process spinning on every core. Each message is matched to its send by its bytes
(unique in the stream), and three times are compared on CLOCK_MONOTONIC: when the sender wrote it, the
arrival stamp the reader gave it, and when the reader's Python code had it in hand.

    python -m benchmarks.input_latency   (benchmarks/results/input-latency.json, plots/input-latency.png)

Run it under the machine's CPU lock, one JACK server at a time: `flock -x /tmp/continuo-cpu.lock ...`.
`--send SCORE SENT` is the sender's own process (started by the benchmark, not by hand).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import busy_neighbour
from benchmarks.jack_clients import ROOT, JackServer, MonotonicReader, start_server

RESULTS = ROOT / "benchmarks" / "results" / "input-latency.json"  # rendered in BENCHMARKS.md by input_latency_report
PLOT = ROOT / "benchmarks" / "plots" / "input-latency.png"
MESSAGES = 2000
RATE = 100.0  # messages a second on average
SEED = 7
PITCHES, VELOCITIES = range(36, 97), range(30, 121)  # five octaves, mf-ish dynamics: 5 551 distinct note-ons
READERS = ("queued", "callback")  # the engine's way, the old way
Score = list[tuple[float, list[int]]]  # (seconds after "go", bytes)


def performance(messages: int = MESSAGES, rate: float = RATE, seed: int = SEED) -> Score:
    """Note-ons at exponential gaps (a Poisson stream: runs, near-chords and pauses), each held 30-300 ms and
    released by a note-off; each (pitch, velocity) is used once, so a message's bytes say which it is."""
    rng = np.random.default_rng(seed)
    notes = messages // 2
    onsets = np.cumsum(rng.exponential(2 / rate, notes))  # two messages a note: `rate` messages a second
    held = rng.uniform(0.03, 0.3, notes)
    keys = rng.choice(len(PITCHES) * len(VELOCITIES), notes, replace=False)
    score: Score = []
    for on, length, key in zip(onsets, held, keys):
        pitch, velocity = PITCHES[key // len(VELOCITIES)], VELOCITIES[key % len(VELOCITIES)]
        score += [(float(on), [0x90, pitch, velocity]), (float(on + length), [0x80, pitch, velocity])]
    return sorted(score, key=lambda item: item[0])


def send(score_path: str, sent_path: str, client: str) -> None:
    """The sender's process: open `client:out`, say "ready", play the score on a line from stdin, write the
    monotonic time just before each message went into RtMidi's output ring (JACK sends it in its next cycle)."""
    import rtmidi

    os.environ.setdefault("JACK_NO_START_SERVER", "1")
    score = json.loads(Path(score_path).read_text())
    out = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name=client)
    out.open_virtual_port("out")
    print("ready", flush=True)
    sys.stdin.readline()
    start, sent = time.monotonic(), []
    for at, data in score:
        while (left := start + at - time.monotonic()) > 0:
            time.sleep(min(left, 0.002))  # sleeps, no spin: the send time is stamped, not assumed
        sent.append(time.monotonic())
        out.send_message(data)
    time.sleep(0.1)  # the last messages leave in JACK's next cycles
    Path(sent_path).write_text(json.dumps(sent))
    print("done", flush=True)
    sys.stdin.readline()  # a client leaving makes jackd log late cycles: leave only once they are counted
    out.close_port()


def percentiles(seconds: list[float]) -> dict[str, float]:
    values = np.asarray(seconds) * 1000
    found = {"min": float(values.min())} | {f"p{q}": float(np.percentile(values, q)) for q in (50, 90, 99)}
    return {key: round(value, 3) for key, value in (found | {"max": float(values.max())}).items()}


def measure(score: Score, sent: list[float], heard: dict[str, list[tuple[float, list[int], float]]]) -> dict[str, Any]:
    """Per reader: messages heard, and per message (a) stamp - send, (b) in hand - send, (c) in hand - stamp;
    for the queued reader also its stamp minus the callback reader's (taken in JACK's cycle) for the same message."""
    which = {tuple(data): index for index, (_, data) in enumerate(score)}
    stamps = {name: {which[tuple(d)]: (s, h) for s, d, h in got if tuple(d) in which} for name, got in heard.items()}
    readers: dict[str, Any] = {}
    for name, got in stamps.items():
        readers[name] = {
            "heard": len(got),
            "unknown": len(heard[name]) - len(got),  # bytes the sender never sent: should be 0
            "stamp_minus_send_ms": percentiles([stamp - sent[i] for i, (stamp, _) in got.items()]),
            "in_hand_minus_send_ms": percentiles([hand - sent[i] for i, (_, hand) in got.items()]),
            "in_hand_minus_stamp_ms": percentiles([hand - stamp for stamp, hand in got.values()]),
            "in_hand_minus_send_samples_ms": [round((hand - sent[i]) * 1000, 3) for i, (_, hand) in got.items()],
        }
    both = stamps["queued"].keys() & stamps["callback"].keys()
    del readers["callback"]["in_hand_minus_stamp_ms"]  # the callback stamps the moment it has the message: 0
    readers["queued"]["stamp_minus_callback_stamp_ms"] = percentiles(
        [stamps["queued"][i][0] - stamps["callback"][i][0] for i in both]
    )
    return {"sent": len(sent), "readers": readers}


def phase(server: JackServer, work: Path, name: str, score: Score, busy: bool) -> dict[str, Any]:
    """Both readers and a sender of their own (fresh client names: JACK may not have freed the last ones)."""
    folder = work / name
    folder.mkdir(parents=True)
    (folder / "score.json").write_text(json.dumps(score))
    readers: dict[str, MonotonicReader] = {}
    files = [str(folder / "score.json"), str(folder / "sent.json")]
    sender = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.input_latency", "--send", *files, "--client", f"{name}-sender"],
        env=server.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert sender.stdin is not None and sender.stdout is not None
    try:
        for kind in READERS:
            readers[kind] = MonotonicReader(server, folder, f"{name}-{kind}", callback=kind == "callback")
        assert sender.stdout.readline().strip() == "ready", "the sender did not start"
        server.wait_for_port(f"{name}-sender:out")
        for reader in readers.values():
            server.connect(f"{name}-sender:out", reader.port)
        late_before, load_before, steal_before = server.late_clients(), os.getloadavg()[0], stolen_seconds()
        neighbour: AbstractContextManager[Any] = busy_neighbour() if busy else nullcontext()
        with neighbour:
            time.sleep(1.0)  # the neighbour's processes up and spinning before the first note
            sender.stdin.write("go\n")
            sender.stdin.flush()
            assert sender.stdout.readline().strip() == "done", "the sender failed"
            time.sleep(0.3)
            # Cycles jackd saw unfinished while the stream played, by client; counted before any client leaves,
            # since a witness ends with os._exit and jackd logs its last cycles as unfinished before it notices.
            late = server.late_clients() - late_before
            load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            steal = round(stolen_seconds() - steal_before, 2)
            heard = {kind: reader.stop_handled() for kind, reader in readers.items()}  # under load: a last drain
        corrections = readers["queued"].corrections()  # where the polls' bounds moved a chained arrival time
        sender.stdin.close()
        sender.wait(timeout=10)
    finally:  # on a failure, no process of ours is left waiting for a signal from a server that is gone
        for process in [sender, *(reader.process for reader in readers.values())]:
            if process.poll() is None:
                process.kill()
    sent: list[float] = json.loads((folder / "sent.json").read_text())
    found = measure(score, sent, heard)
    found["readers"]["queued"]["chain_corrections"] = corrections
    return found | {"late_clients": dict(sorted(late.items())), "load_1min": load, "steal_s": steal}


def stolen_seconds() -> float:
    """CPU time the hypervisor gave to others while this machine's virtual CPUs wanted it (/proc/stat's steal),
    summed over the CPUs: on a VM, a stall no priority of ours can prevent."""
    return int(Path("/proc/stat").read_text().split()[8]) / os.sysconf("SC_CLK_TCK")


def run(work: Path, score: Score) -> dict[str, Any]:
    from benchmarks.soak_report import machine
    from continuo.live.midi_io.jack_server import PERIOD, SAMPLE_RATE
    from continuo.live.midi_io.queued_input import POLL_SECONDS

    server = start_server()
    try:
        phases = {name: phase(server, work, name, score, busy) for name, busy in (("quiet", False), ("busy", True))}
    finally:
        shutil.copy(server.log, work / "jackd.log")  # which cycles were late, kept beside the readers' files
        server.stop()
    return {
        "messages": len(score),
        "rate_per_s": RATE,
        "seed": SEED,
        "seconds": round(score[-1][0], 1),
        "poll_ms": POLL_SECONDS * 1000,
        "jack": {"sample_rate": SAMPLE_RATE, "period_frames": PERIOD},
        "neighbour_processes": os.cpu_count() or 2,  # busy_neighbour's default: one spinning process per core
        "phases": phases,
        "machine": machine(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--send", nargs=2, metavar=("SCORE", "SENT"), help=argparse.SUPPRESS)
    parser.add_argument("--client", default="sender", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="folder for input-latency.json and .png (default: the committed ones)")
    args = parser.parse_args()
    if args.send:
        score_path, sent_path = args.send
        send(score_path, sent_path, args.client)
        return 0
    out, plot = (RESULTS, PLOT) if args.out is None else (args.out / RESULTS.name, args.out / PLOT.name)
    work = Path(tempfile.mkdtemp(prefix="continuo-input-latency-"))
    result = run(work, performance())
    from benchmarks.input_latency_report import draw, headline
    from benchmarks.report import dumps

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(dumps(result))
    draw(result, plot)
    print(f"wrote {out} and {plot} (readers' files: {work})")
    print("\n".join(headline(result)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
