"""A test client that plays a score into a JACK port from its own process, stamping each send.

Each test gets a fresh process: libjack keeps per-process state, and one process hopping across
the private servers of successive tests lost messages now and then.

    python -m tests.live.performer_client SCORE.json OUT.json
SCORE.json is a list of [seconds after "go", [MIDI bytes]]. The client opens `performer:out`, prints
"ready", waits for a line on stdin, plays the score at those times, writes the monotonic send time of
each message to OUT.json, prints "done" and exits at the next line on stdin.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> None:
    from continuo.live.midi_io.ports import rtmidi_module

    os.environ.setdefault("JACK_NO_START_SERVER", "1")
    rtmidi = rtmidi_module()  # JACK's or PipeWire's libjack, as the engine chooses
    with open(sys.argv[1]) as source:
        score = json.load(source)
    client = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="performer")
    client.open_virtual_port("out")
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.monotonic()
    stamps = []
    for offset, data in score:
        while (remaining := start + offset - time.monotonic()) > 0:
            time.sleep(min(remaining, 0.002))
        stamps.append(time.monotonic())
        client.send_message(data)
    time.sleep(0.05)
    with open(sys.argv[2], "w") as out:
        json.dump(stamps, out)
    print("done", flush=True)
    sys.stdin.readline()  # leave when told: jackd logs a leaving client's last cycles as late, after the count
    client.close_port()
    client.delete()


if __name__ == "__main__":
    main()
