"""The engine's snapshot: an immutable picture of everything it owns, replaced whole after each round."""

from __future__ import annotations

from typing import TYPE_CHECKING

from continuo.live.engine.commands import Snapshot

if TYPE_CHECKING:
    from continuo.live.engine.engine import Engine


def picture(engine: Engine) -> Snapshot:
    """The engine as it stands, for readers on any thread (built on the engine's thread)."""
    settings = engine.generator.settings
    return Snapshot(
        model=engine.models.model.info.name,
        tempo=engine.clock.bpm,
        temperature=settings.temperature,
        top_p=settings.top_p,
        velocity=engine.player.velocity,
        mode=engine.mode.name,
        mode_status=engine.mode.status,
        transport=engine.transport.state,
        notes_sent=engine.scheduler.notes_sent,
        notes_held=engine.scheduler.held,
        late_sends=engine.scheduler.lateness.late_sends,
        recent=engine.sent.recent(),
        loop_recoveries=0 if engine.generator.guard is None else engine.generator.guard.recoveries,
        stalls=engine.stall_watch.stalls,
        port_lost=engine.port_lost,
        last_change=engine.last_change,
        running=engine.running,
    )
