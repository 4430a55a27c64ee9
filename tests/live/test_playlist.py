"""`--playlist` and `--switch-every`: parsing, its one-line errors, and the duty that rotates the entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from continuo.live.engine.commands import Command, SwitchModel
from continuo.live.errors import ContinuoError
from continuo.live.model.model_file import shipped_models
from continuo.live.runner.playlist import (
    Playlist,
    PlaylistDuty,
    PlaylistEntry,
    check_opening,
    parse_playlist,
    parse_switch_every,
    starting_model,
)
from tests.live.fakes import register_engine, register_of


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10m", 600), ("90s", 90), ("1h", 3600), ("1h30m", 5400), ("1h0m30s", 3630), ("45", 45), ("2.5m", 150)],
)
def test_switch_every_reads_hours_minutes_and_seconds(text: str, seconds: float) -> None:
    assert parse_switch_every(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "10min", "1h30", "30m1h", "-5s", "ten", "0s", "0", "0h0m"])
def test_a_bad_switch_every_is_one_line_naming_the_flag_and_the_text(text: str) -> None:
    with pytest.raises(ContinuoError) as raised:
        parse_switch_every(text)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("--switch-every")
    assert repr(text) in message


def test_a_playlist_keeps_its_entries_in_order_with_their_seed_composers() -> None:
    playlist = parse_playlist(("bach", "palestrina@bach", " mozart @ haydn "), "10m")
    assert playlist == Playlist(
        (PlaylistEntry("bach", None), PlaylistEntry("palestrina", "bach"), PlaylistEntry("mozart", "haydn")), 600.0
    )
    assert playlist.opening == PlaylistEntry("bach", None)


def test_a_model_path_may_be_an_entry(tmp_path: Path) -> None:
    path = str(shipped_models()["mozart"])
    playlist = parse_playlist(("bach", f"{path}@haydn"), "1m")
    assert playlist is not None and playlist.entries[1] == PlaylistEntry(path, "haydn")


def test_no_playlist_is_none() -> None:
    assert parse_playlist((), None) is None


@pytest.mark.parametrize(
    ("entries", "switch_every", "expected"),
    [
        (("bach", "mozart"), None, "--playlist needs --switch-every"),
        ((), "10m", "--switch-every 10m only applies to a --playlist"),
        (("bach",), "10m", "--playlist needs at least two entries to rotate, got 'bach'"),
        (("bach@", "mozart"), "10m", "--playlist entry 'bach@' has an empty part"),
        (("bach", "@haydn"), "10m", "--playlist entry '@haydn' has an empty part"),
        (("bach", "mahler"), "10m", "--playlist entry 'mahler': unknown model 'mahler': shipped models are bach"),
        (("bach", "mozart@nobody"), "10m", "--playlist entry 'mozart@nobody': no seed bank for composer 'nobody'"),
        (("bach", "x.onnx@haydn"), "10m", "--playlist entry 'x.onnx@haydn': model file x.onnx does not exist"),
        (("bach", "mozart"), "soon", "--switch-every: expected a time such as 90s, 10m, 1h or 1h30m, got 'soon'"),
    ],
)
def test_a_bad_playlist_is_one_line_naming_the_flag_and_the_entry(
    entries: tuple[str, ...], switch_every: str | None, expected: str
) -> None:
    with pytest.raises(ContinuoError) as raised:
        parse_playlist(entries, switch_every)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(expected)


def test_the_first_entry_starts_the_run_and_other_opening_choices_are_refused() -> None:
    playlist = parse_playlist(("mozart@haydn", "bach"), "10m")
    assert playlist is not None
    assert starting_model(("mozart@haydn", "bach")) == "mozart"
    assert starting_model(()) is None
    check_opening(playlist, "mozart", None, None)
    check_opening(playlist, str(shipped_models()["mozart"]), None, None)  # the same model by its path
    with pytest.raises(ContinuoError, match=r"^--model bach contradicts --playlist, which starts with .*mozart"):
        check_opening(playlist, "bach", None, None)
    with pytest.raises(ContinuoError, match=r"^--seed-composer contradicts --playlist entry mozart@haydn"):
        check_opening(playlist, "mozart", "bach", None)
    with pytest.raises(ContinuoError, match=r"^--seed-file contradicts --playlist entry mozart@haydn"):
        check_opening(playlist, "mozart", None, Path("phrase.mid"))
    unseeded = parse_playlist(("mozart", "bach@bach"), "10m")
    assert unseeded is not None
    check_opening(unseeded, "mozart", "bach", None)  # the first entry leaves the opening seed to the seed flags


class FakeClock:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def rotating(entries: tuple[str, ...], every: str) -> tuple[PlaylistDuty, FakeClock, list[Command], list[Any]]:
    playlist = parse_playlist(entries, every)
    assert playlist is not None
    clock, submitted, logged = FakeClock(), list[Command](), list[Any]()
    duty = PlaylistDuty(submitted.append, playlist, lambda what, **fields: logged.append((what, fields)), clock)
    return duty, clock, submitted, logged


def test_the_duty_switches_once_per_interval_in_order_and_cycles_back_to_the_first() -> None:
    duty, clock, submitted, logged = rotating(("bach", "palestrina@bach", "mozart@haydn"), "10s")
    duty()  # the first call starts the first entry's turn
    for _ in range(99):  # rounds every 0.1 s until just before the turn ends
        clock.seconds += 0.1
        duty()
    assert submitted == [] and logged == []
    switch_times = []
    for _ in range(1000):  # 100 s more in rounds of 0.1 s
        clock.seconds += 0.1
        before = len(submitted)
        duty()
        if len(submitted) > before:
            switch_times.append(clock.seconds)
    order = [
        SwitchModel("palestrina", seed_composer="bach", at_phrase_end=True),
        SwitchModel("mozart", seed_composer="haydn", at_phrase_end=True),
        SwitchModel("bach", seed_composer=None, at_phrase_end=True),
    ]
    assert submitted == (order * 4)[:10]
    assert [t - 1000 for t in switch_times] == pytest.approx([10.0 * k for k in range(1, 11)], abs=0.11)
    assert logged[:4] == [
        ("playlist", {"entry": 1, "model": "palestrina", "seed_composer": "bach"}),
        ("playlist", {"entry": 2, "model": "mozart", "seed_composer": "haydn"}),
        ("playlist", {"entry": 0, "model": "bach", "seed_composer": None}),
        ("playlist", {"entry": 1, "model": "palestrina", "seed_composer": "bach"}),
    ]


def test_the_turns_do_not_drift_with_late_rounds_and_a_stall_does_not_burst() -> None:
    duty, clock, submitted, _ = rotating(("bach", "mozart"), "10s")
    duty()
    clock.seconds += 10.7  # a late round: the switch goes now, the next turn still ends at 20 s
    duty()
    clock.seconds = 1019.9
    duty()
    assert len(submitted) == 1
    clock.seconds = 1020.0
    duty()
    assert len(submitted) == 2
    clock.seconds = 1075.0  # a stall over several turns: one switch, and the next turn a full interval later
    duty()
    duty()
    assert len(submitted) == 3
    clock.seconds = 1084.9
    duty()
    assert len(submitted) == 3
    clock.seconds = 1085.0
    duty()
    assert len(submitted) == 4


def test_each_turn_of_a_playlist_is_heard_from_its_own_model() -> None:
    """The duty and the engine on one fake clock, in rounds as the engine's loop runs them: the notes the port
    hears change from one model's register to the other's once per turn, never before the turn is up."""
    eng, port, time = register_engine()
    playlist = Playlist((PlaylistEntry("low", None), PlaylistEntry("high", None)), 10.0)
    duty = PlaylistDuty(eng.submit, playlist, now=time)
    start, changes, sent = time.seconds, list[tuple[float, str]](), 0
    for _ in range(350):  # 35 s in rounds of 0.1 s
        duty()
        eng.apply_queued(0)
        eng.player.schedule_until(eng.clock.beat_at(time.seconds) + 0.5)
        eng.scheduler.send_due()
        for message in port.sent[sent:]:
            register = register_of(message.note) if message.type == "note_on" else None
            if register is not None and (not changes or changes[-1][1] != register):
                changes.append((time.seconds - start, register))
        sent = len(port.sent)
        time.seconds += 0.1
    assert [register for _, register in changes] == ["low", "high", "low", "high"]
    for (heard_at, _), turn in zip(changes[1:], (10.0, 20.0, 30.0)):
        assert turn <= heard_at < turn + 10.0
