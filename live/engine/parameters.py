"""SetParameter applied: the sampling settings, the velocity and the tempo, each with what it says it did."""

from __future__ import annotations

from continuo.live.engine.generator import Generator
from continuo.live.engine.player import Player
from continuo.live.engine.sampler import SamplingSettings
from continuo.live.timing.clock import Clock


def set_parameter(name: str, value: float, generator: Generator, player: Player, clock: Clock) -> tuple[str, dict]:
    """Change one checked parameter; returns the change's description and its fields for the log."""
    settings = generator.settings
    if name == "temperature":
        generator.settings = SamplingSettings(value, settings.top_p)
        return f"temperature {value:.2f}", {"temperature": value}
    if name == "top_p":
        generator.settings = SamplingSettings(settings.temperature, value)
        return f"top-p {value:.2f}", {"top_p": value}
    if name == "velocity":
        player.velocity = round(value)
        return f"velocity {round(value)}", {"velocity": round(value)}
    if clock.follows_transport:
        return f"tempo {value:.0f} BPM refused: the DAW's MIDI clock sets the tempo", {}
    clock.set_tempo(value)
    return f"tempo {value:.0f} BPM", {"tempo": value}
