"""Anything arriving on an input port (hypothesis-generated MIDI byte streams) is parsed or dropped,
never raised, and the engine keeps its notes balanced."""

from __future__ import annotations

import io

import mido
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from continuo.live.engine.engine import Engine
from continuo.live.engine.generator import Generator
from continuo.live.engine.modes import ModeOptions
from continuo.live.engine.options import EngineOptions
from continuo.live.engine.sampler import SamplingSettings
from continuo.live.interaction.listener import PerformerListener
from continuo.live.midi_io.input_relay import frame, read_frames
from continuo.live.model.model_file import load_model
from continuo.live.model.seeds import seed_from_bank
from tests.live.fakes import RecordingPort, fake_clock
from tests.live.streams import note_balance

data_byte = st.integers(0, 127)
status_byte = st.integers(0x80, 0xFF)
channel_message = st.builds(
    lambda status, a, b: [status, a, b][: 2 if 0xC0 <= status < 0xE0 else 3],
    st.integers(0x80, 0xEF),
    data_byte,
    data_byte,
)
sysex = st.lists(data_byte, max_size=40).map(lambda body: [0xF0, *body, 0xF7])
realtime = st.sampled_from([[0xF8], [0xFA], [0xFB], [0xFC], [0xFE], [0xFF]])
garbage = st.lists(st.integers(0, 255), min_size=0, max_size=12)
chunk = st.one_of(channel_message, sysex, realtime, garbage, st.tuples(status_byte).map(list))


def engine(mode: str) -> tuple[Engine, PerformerListener, RecordingPort]:
    model = load_model("bach")
    clock, _ = fake_clock(120)
    _, seed = seed_from_bank("bach", model.info.codec, model.info.window, np.random.default_rng(0))
    generator = Generator(model, model.info.window, seed, SamplingSettings(1.0), 0, model.info.pitch_range)
    port = RecordingPort()
    phrase = ModeOptions(phrase_gap_seconds=0.3, answer_beats=2.0, answer_events=None)
    options = EngineOptions(mode=mode, mode_options=phrase, programs=("bach",))
    engine = Engine(model, generator, clock, port, options)
    return engine, PerformerListener(engine.submit), port


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=st.lists(chunk, max_size=200), mode=st.sampled_from(["continue", "call-response", "accompany"]))
def test_any_byte_stream_is_parsed_or_counted_and_never_breaks_the_engine(chunks: list[list[int]], mode: str) -> None:
    engine_, listener, port = engine(mode)
    stream = io.BytesIO(b"".join(frame(100.0 + i * 0.001, bytes(c)) for i, c in enumerate(chunks)))
    delivered: list[mido.Message] = []

    def deliver(stamp: float, message: mido.Message) -> None:
        delivered.append(message)
        listener(stamp, message)

    count = read_frames(stream, deliver)
    assert count.frames == len(chunks) and count.frames == count.unparsed + len(delivered)
    assert listener.received == len(delivered)
    engine_.apply_queued(0)
    engine_.mode.step(engine_.clock.now())
    engine_.player.schedule_until(engine_.clock.beat_at(engine_.clock.now()) + 4)
    engine_.scheduler.panic()
    assert note_balance(port.sent) == set()
