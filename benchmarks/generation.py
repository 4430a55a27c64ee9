"""Offline generation speed: events per second of `continuo generate`'s engine."""

from __future__ import annotations

import time
from typing import Any

from continuo.live.offline.generate import GenerateRequest, generate


def run(events: int) -> dict[str, Any]:
    generate(GenerateRequest(seed=0, events=50))  # load the model and warm the session
    started = time.perf_counter()
    result = generate(GenerateRequest(seed=1, events=events))
    seconds = time.perf_counter() - started
    return {"events": len(result.events), "seconds": round(seconds, 3), "events_per_s": round(events / seconds, 1)}
