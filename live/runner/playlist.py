"""`--playlist` and `--switch-every`: models taking turns over a long run, each switched in at a phrase end.

`parse_playlist` checks the whole list before anything opens (every model file, every seed bank), so a
typo in the fifth entry fails at start and not hours into an installation. `PlaylistDuty` runs on the
engine's thread between rounds and, each time an entry's time is up, submits the next entry as a
`SwitchModel` command that waits for the music's next phrase end: the engine, which owns the notes,
decides the moment, so a switch never cuts a note or leaves a gap.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from continuo.live.engine.commands import Command, SwitchModel
from continuo.live.engine.modes import Log, no_log
from continuo.live.errors import ContinuoError
from continuo.live.model.model_file import resolve_model
from continuo.live.model.seeds import seed_composers

SEED_MARK = "@"  # MODEL@SEED-COMPOSER
UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0}
_NUMBER = r"\d+(?:\.\d+)?"
# Hours, minutes and seconds, each optional but in that order ("1h30m", "90s", "2.5m"); a bare number is seconds.
_DURATION = re.compile(f"(?:({_NUMBER})h)?(?:({_NUMBER})m)?(?:({_NUMBER})s)?")


@dataclass(frozen=True)
class PlaylistEntry:
    model: str  # a shipped name or an .onnx path, as given
    seed_composer: str | None  # reseed from this composer's bank on switching in; None: keep the window


@dataclass(frozen=True)
class Playlist:
    """A checked playlist: the first entry starts the run, each plays `switch_seconds`, then the next, cycling."""

    entries: tuple[PlaylistEntry, ...]
    switch_seconds: float

    @property
    def opening(self) -> PlaylistEntry:
        return self.entries[0]


def parse_switch_every(text: str) -> float:
    """'10m', '90s', '1h', '1h30m' or a bare number of seconds -> seconds (above 0)."""
    compact = text.strip().lower().replace(" ", "")
    if re.fullmatch(_NUMBER, compact):
        compact += "s"
    match = _DURATION.fullmatch(compact)
    if not compact or match is None or not any(match.groups()):
        raise ContinuoError(f"--switch-every: expected a time such as 90s, 10m, 1h or 1h30m, got {text!r}")
    seconds = sum(float(amount) * unit for amount, unit in zip(match.groups(), UNIT_SECONDS.values()) if amount)
    if seconds <= 0:
        raise ContinuoError(f"--switch-every must be above 0 seconds, got {text!r}")
    return seconds


def split_entry(entry: str) -> tuple[str, str | None]:
    """'bach@haydn' -> ('bach', 'haydn'); 'bach' -> ('bach', None). The last @ splits, so a model path may hold
    an @ when a seed composer follows it. Parts are not checked here (see `parse_playlist`)."""
    model, mark, composer = entry.rpartition(SEED_MARK)
    if not mark:
        return entry.strip(), None
    return model.strip(), composer.strip()


def starting_model(entries: Sequence[str]) -> str | None:
    """The model a run with this playlist starts with (its first entry's), for a request that names none."""
    return split_entry(entries[0])[0] if entries else None


def _entry(text: str) -> PlaylistEntry:
    model, composer = split_entry(text)
    if not model or composer == "":
        raise ContinuoError(f"--playlist entry {text!r} has an empty part: write MODEL or MODEL@SEED-COMPOSER")
    try:
        resolve_model(model)
    except ContinuoError as error:
        raise ContinuoError(f"--playlist entry {text!r}: {error}") from None
    if composer is not None:
        banks = seed_composers()
        if composer not in banks:
            known = ", ".join(sorted(banks)) or "none shipped"
            raise ContinuoError(
                f"--playlist entry {text!r}: no seed bank for composer {composer!r}: banks exist for {known}"
            )
    return PlaylistEntry(model, composer)


def parse_playlist(entries: Sequence[str], switch_every: str | None) -> Playlist | None:
    """Check `--playlist` (MODEL or MODEL@SEED-COMPOSER entries) with `--switch-every`; None without a playlist.

    Each model must exist and each seed composer have a seed bank; raises ContinuoError (one line) otherwise."""
    if not entries:
        if switch_every is not None:
            raise ContinuoError(f"--switch-every {switch_every} only applies to a --playlist: give one, or drop it")
        return None
    if switch_every is None:
        raise ContinuoError("--playlist needs --switch-every: how long each entry plays (90s, 10m, 1h)")
    if len(entries) < 2:
        raise ContinuoError(f"--playlist needs at least two entries to rotate, got {','.join(entries)!r}")
    seconds = parse_switch_every(switch_every)
    return Playlist(tuple(_entry(text) for text in entries), seconds)


def check_opening(playlist: Playlist, model: str, seed_composer: str | None, seed_file: Path | None) -> None:
    """With a playlist its first entry starts the run: `--model`, if given, must name that same model, and
    `--seed-composer`/`--seed-file` may choose the opening seed only when the first entry does not."""
    opening = playlist.opening
    if resolve_model(model) != resolve_model(opening.model):
        raise ContinuoError(
            f"--model {model} contradicts --playlist, which starts with its first entry ({opening.model}): drop --model"
        )
    if opening.seed_composer is not None and (seed_composer is not None or seed_file is not None):
        flag = "--seed-composer" if seed_composer is not None else "--seed-file"
        raise ContinuoError(
            f"{flag} contradicts --playlist entry {opening.model}{SEED_MARK}{opening.seed_composer}, "
            f"which already seeds the start: drop one"
        )


class PlaylistDuty:
    """Every `switch_seconds` (from its first call), submit the next entry's switch, at a phrase end; cycles.

    Called with no arguments on the engine's thread between rounds. The times are kept on a fixed grid from
    the first call, so the entries' turns do not drift over a long run; after a stall longer than a turn the
    grid restarts from now instead of submitting the missed switches in a burst."""

    def __init__(
        self,
        submit: Callable[[Command], None],
        playlist: Playlist,
        log: Log = no_log,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.submit, self.playlist, self.log, self.now = submit, playlist, log, now
        self.index = 0  # the entry playing (or about to, once the engine reaches a phrase end)
        self.due: float | None = None  # when the next switch is submitted; None before the first call

    def __call__(self) -> None:
        now, interval = self.now(), self.playlist.switch_seconds
        if self.due is None:
            self.due = now + interval
            return
        if now < self.due:
            return
        self.index = (self.index + 1) % len(self.playlist.entries)
        entry = self.playlist.entries[self.index]
        self.submit(SwitchModel(entry.model, seed_composer=entry.seed_composer, at_phrase_end=True))
        self.log("playlist", entry=self.index, model=entry.model, seed_composer=entry.seed_composer)
        self.due += interval
        if self.due <= now:
            self.due = now + interval
