"""A JACK MIDI reader that stamps each message with the monotonic clock on arrival, losing none.

JACK's dummy driver keeps time with its own frame counter, which loses time when the machine is
busy; this witness shares the engine's clock (CLOCK_MONOTONIC) instead, so it can judge drift. It
reads the way the engine's input does (live/midi_io/queued_input.py): RtMidi queues every event in C
and a thread of ours empties the queue, so no Python runs in JACK's thread and a busy interpreter
cannot make JACK drop an event for this client.

    python -m benchmarks.monotonic_reader OUT.json [CLIENT] [--callback]
        (port `CLIENT:in`, default `monotonic:in`; SIGTERM writes OUT.json)

`--callback` reads the way this witness did before it was measured losing events: a Python callback
in JACK's thread stamping with time.monotonic(). It is kept only so a test can show that loss beside
the queued reader on the same stream (tests/live/test_witness_jack.py).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time


def main() -> None:
    from continuo.live.midi_io.ports import rtmidi_module
    from continuo.live.midi_io.queued_input import QUEUE_SIZE, QueuedInput
    from continuo.live.runner.signals import stop_on_signals

    os.environ.setdefault("JACK_NO_START_SERVER", "1")
    rtmidi = rtmidi_module()  # JACK's or PipeWire's libjack, as the engine chooses
    arguments = [argument for argument in sys.argv[1:] if argument != "--callback"]
    client = arguments[1] if len(arguments) > 1 else "monotonic"
    stamps: list[tuple[float, list[int], float]] = []  # (arrival, bytes, when this process had it in hand)
    reader = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name=client, queue_size_limit=QUEUE_SIZE)
    reader.ignore_types(sysex=False, timing=False, active_sense=False)
    queued = None
    if "--callback" in sys.argv:
        reader.set_callback(lambda event, _: stamps.append((now := time.monotonic(), list(event[0]), now)))
    else:
        queued = QueuedInput(reader, lambda stamp, data: stamps.append((stamp, data, time.monotonic())))
    reader.open_virtual_port("in")
    if queued is not None:
        queued.start()
    done = threading.Event()
    # The watcher thread sets `done`, never a signal handler: that can hang inside done.wait() (live/runner/signals.py).
    with stop_on_signals(done.set):
        print("ready", flush=True)
        done.wait()
    if queued is not None:
        queued.stop()  # one last drain: what JACK delivered before the signal is in
    with open(arguments[0], "w") as out:
        json.dump(stamps, out)
    if queued is not None:  # how often the polls' bounds corrected the chained arrival times, by how much; priority
        clock: dict[str, float] = {"messages": queued.received, "corrected": queued.clock.corrected}
        clock["largest_correction_ms"] = queued.clock.largest_correction * 1000
        clock["realtime_poll"] = queued.realtime
        with open(arguments[0] + ".clock", "w") as out:
            json.dump(clock, out)
    os._exit(0)  # never close an rtmidi JACK client at exit: libjack can abort in it


if __name__ == "__main__":
    main()
