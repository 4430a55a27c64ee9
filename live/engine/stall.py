"""The generation watchdog: notices when the music has run past the last note the player placed.

Normally the player keeps notes placed a lookahead ahead of the music. If the last note placed lies in
the past for STALL_SECONDS while the player should be playing, generation has stalled: a model stuck
on one onset (zero shifts forever: one endless chord), or inference slower than the music. The engine
then panics, reseeds the window and plays on (live/engine/engine.py).
"""

from __future__ import annotations

from continuo.live.engine.player import Player
from continuo.live.timing.clock import Clock

STALL_SECONDS = 1.0


class StallWatch:
    def __init__(self, player: Player, clock: Clock, stall_seconds: float = STALL_SECONDS) -> None:
        self.player, self.clock, self.stall_seconds = player, clock, stall_seconds
        self._behind_since: float | None = None
        self.stalls = 0

    def check(self, now: float) -> float | None:
        """After a round: how far (seconds) the last placed note lies behind `now`, once that is a stall."""
        player = self.player
        due = None if player.next_onset is None else self.clock.seconds_at(player.next_onset)
        if not player.active or player.finished or due is None or due >= now:
            self._behind_since = None
            return None
        if self._behind_since is None:
            self._behind_since = now
            return None
        if now - self._behind_since < self.stall_seconds:
            return None
        self._behind_since = None
        self.stalls += 1
        return now - due
