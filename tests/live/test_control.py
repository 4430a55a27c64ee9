"""The CC map file and the input listener: what a performer's controller becomes, and every mistake in a
map named with its entry before anything opens."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import pytest

from continuo.live.engine.commands import Command, Panic, PerformerNote, SelectProgram, SetParameter
from continuo.live.errors import ContinuoError
from continuo.live.interaction.control import DEFAULT_CC_MAP, CCMapping, load_cc_map
from continuo.live.interaction.listener import PerformerListener


def write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "map.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_a_map_loads_with_its_ranges(tmp_path: Path) -> None:
    path = write(tmp_path, {"11": {"parameter": "velocity", "min": 30, "max": 120}, "1": {"parameter": "tempo"}})
    assert load_cc_map(path) == {11: CCMapping("velocity", 30.0, 120.0), 1: CCMapping("tempo", 20.0, 400.0)}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not JSON"),
        ([1, 2], "expected a JSON object"),
        ({"x": {"parameter": "tempo"}}, "entry 'x': the key must be a CC number from 0 to 119"),
        ({"120": {"parameter": "tempo"}}, "the key must be a CC number"),
        ({"1": {"parameter": "loudness"}}, "'parameter' must be one of temperature, top_p, velocity, tempo"),
        ({"1": {"parameter": "temperature", "min": "low"}}, "'min' and 'max' must be numbers"),
        ({"1": {"parameter": "temperature", "min": 0.1, "max": 50}}, "temperature must stay within 0.05-10"),
        ({"1": {"parameter": "velocity", "min": 0, "max": 100}}, "velocity must stay within 1-127"),
    ],
)
def test_every_mistake_in_a_map_is_named_with_its_entry(tmp_path: Path, content: object, expected: str) -> None:
    with pytest.raises(ContinuoError, match=expected.replace("(", r"\(")):
        load_cc_map(write(tmp_path, content))


def heard(*messages: mido.Message, channel: int | None = None) -> list[Command]:
    commands: list[Command] = []
    listener = PerformerListener(commands.append, channel)
    for index, message in enumerate(messages):
        listener(10.0 + index, message)
    assert listener.received == len(messages)
    return commands


def test_the_listener_turns_messages_into_commands() -> None:
    cc1 = DEFAULT_CC_MAP[1]
    assert heard(
        mido.Message("note_on", note=60, velocity=90),
        mido.Message("note_on", note=60, velocity=0),
        mido.Message("note_off", note=62),
        mido.Message("control_change", control=1, value=127),
        mido.Message("control_change", control=123),
        mido.Message("control_change", control=120),
        mido.Message("control_change", control=7, value=5),  # not in the map: nothing
        mido.Message("program_change", program=3),
        mido.Message("pitchwheel", pitch=100),  # nothing either
    ) == [
        PerformerNote(60, 90, 10.0),
        PerformerNote(60, 0, 11.0),
        PerformerNote(62, 0, 12.0),
        SetParameter("temperature", cc1.high),
        Panic(),
        Panic(),
        SelectProgram(3),
    ]


def test_an_input_channel_keeps_only_its_channel() -> None:
    messages = [mido.Message("note_on", note=60, velocity=90, channel=c) for c in (0, 3)] + [mido.Message("clock")]
    assert heard(*messages, channel=3) == [PerformerNote(60, 90, 11.0)]
