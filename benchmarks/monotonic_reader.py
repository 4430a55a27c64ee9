"""A JACK MIDI reader that stamps each message with the monotonic clock on arrival.

JACK's dummy driver keeps time with its own frame counter, which loses time when the machine is
busy; this witness shares the engine's clock (CLOCK_MONOTONIC) instead, so it can judge drift.

    python -m benchmarks.monotonic_reader OUT.json [CLIENT]   (port `CLIENT:in`, default `monotonic:in`;
    SIGTERM writes OUT.json)
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time


def main() -> None:
    import rtmidi

    from continuo.live.runner.signals import stop_on_signals

    os.environ.setdefault("JACK_NO_START_SERVER", "1")
    stamps: list[tuple[float, list[int]]] = []
    client = sys.argv[2] if len(sys.argv) > 2 else "monotonic"
    reader = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name=client)
    reader.ignore_types(sysex=False, timing=False, active_sense=False)
    reader.set_callback(lambda event, _: stamps.append((time.monotonic(), list(event[0]))))
    reader.open_virtual_port("in")
    done = threading.Event()
    # The watcher thread sets `done`, never a signal handler: that can hang inside done.wait() (live/runner/signals.py).
    with stop_on_signals(done.set):
        print("ready", flush=True)
        done.wait()
    with open(sys.argv[1], "w") as out:
        json.dump(stamps, out)
    os._exit(0)  # never close an rtmidi JACK client at exit: libjack can abort in it


if __name__ == "__main__":
    main()
