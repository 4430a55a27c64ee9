"""The CC map: which controller on the input port steers which engine parameter, over what range.

The map is data: by default CC1 (mod wheel) sets the temperature from 0.1 to 3.0 and CC74
(brightness) the top-p from 0.05 to 1.0. `--cc-map FILE` replaces it with a JSON object such as
``{"1": {"parameter": "temperature", "min": 0.1, "max": 3.0}, "11": {"parameter": "velocity",
"min": 30, "max": 120}}``. CC123 (All Notes Off) and CC120 (All Sound Off) received are a panic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from continuo.live.engine.commands import PARAMETER_RANGES
from continuo.live.errors import ContinuoError
from continuo.live.music.midi import MAX_DATA


@dataclass(frozen=True)
class CCMapping:
    parameter: str
    low: float
    high: float

    def value(self, cc_value: int) -> float:
        return self.low + (self.high - self.low) * cc_value / MAX_DATA


DEFAULT_CC_MAP: dict[int, CCMapping] = {1: CCMapping("temperature", 0.1, 3.0), 74: CCMapping("top_p", 0.05, 1.0)}


def load_cc_map(path: Path) -> dict[int, CCMapping]:
    """Read a --cc-map file; every mistake is named with the entry it is in."""
    try:
        raw = json.loads(path.read_text())
    except OSError as error:
        raise ContinuoError(f"--cc-map {path}: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise ContinuoError(f"--cc-map {path}: not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(raw, dict):
        raise ContinuoError(f"--cc-map {path}: expected a JSON object of CC number -> mapping")
    mapping: dict[int, CCMapping] = {}
    for key, entry in raw.items():
        where = f"--cc-map {path}, entry {key!r}"
        if not str(key).isdigit() or not 0 <= int(key) <= 119:
            raise ContinuoError(f"{where}: the key must be a CC number from 0 to 119")
        if not isinstance(entry, dict) or entry.get("parameter") not in PARAMETER_RANGES:
            raise ContinuoError(f"{where}: 'parameter' must be one of {', '.join(PARAMETER_RANGES)}")
        parameter = entry["parameter"]
        allowed_low, allowed_high = PARAMETER_RANGES[parameter]
        try:
            low, high = float(entry.get("min", allowed_low)), float(entry.get("max", allowed_high))
        except (TypeError, ValueError):
            raise ContinuoError(f"{where}: 'min' and 'max' must be numbers") from None
        if not (allowed_low <= min(low, high) and max(low, high) <= allowed_high):
            raise ContinuoError(f"{where}: {parameter} must stay within {allowed_low:g}-{allowed_high:g}")
        mapping[int(key)] = CCMapping(parameter, low, high)
    return mapping
