"""The approach of most MIDI-generator demos, for comparison: generate a note, send it, sleep its shift.

Same model, same generator and seed as `continuo play`; the only difference is timing by
`time.sleep(shift)` after each step, so inference time and sleep overshoot add up note after note.

    python -m benchmarks.naive_player PORT SECONDS BPM OUT.json   (OUT: the intended onset of each note, in s)
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np


def main() -> None:
    import rtmidi

    from continuo.live.engine.generator import Generator
    from continuo.live.model.model_file import load_model
    from continuo.live.model.seeds import seed_from_bank

    port, seconds, bpm, out = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    os.environ.setdefault("JACK_NO_START_SERVER", "1")
    model = load_model("bach")
    codec = model.info.codec
    _, seed = seed_from_bank("bach", codec, model.info.window, np.random.default_rng(1))
    generator = Generator(model, model.info.window, seed, seed=1, pitch_range=model.info.pitch_range)
    client = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="naive")
    client.open_port(client.get_ports().index(port))
    intended, onset = [], 0.0
    started = time.monotonic()
    while onset < seconds:
        event = generator.next_event()
        client.send_message([0x90, event.pitch, 80])
        intended.append(onset)
        client.send_message([0x80, event.pitch, 0])  # off at once: the naive loop holds no notes
        shift = codec.shifts[event.shift] * 60 / bpm
        onset += shift
        time.sleep(shift)
    with open(out, "w") as file:
        json.dump(intended, file)
    del started
    os._exit(0)  # never close an rtmidi JACK client at exit: libjack can abort in it


if __name__ == "__main__":
    main()
