"""The committed files the model card is made from, besides each model file's own metadata.

`models/reports/` holds, per model NAME:
- `NAME.json`: its musical report (`continuo report --json`);
- `NAME.seeds.json`: its recipe trained on several seeds (`continuo evaluate --run ... --json`);
- `NAME.format1.json`, `NAME.format1.seeds.json`: the same reports of the model's earlier format-1 run, kept
  from the commit that shipped it (each records that commit under "source");
- `NAME.near_copies.json`: the test split with and without the near-copies of training pieces.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Reports = Mapping[str, Mapping[str, Any]]

SUFFIXES = {
    "reports": ".json",
    "spreads": ".seeds.json",
    "format1_reports": ".format1.json",
    "format1_spreads": ".format1.seeds.json",
    "near_copies": ".near_copies.json",
}


@dataclass(frozen=True)
class Artifacts:
    reports: Reports = field(default_factory=dict)
    spreads: Reports = field(default_factory=dict)
    format1_reports: Reports = field(default_factory=dict)
    format1_spreads: Reports = field(default_factory=dict)
    near_copies: Reports = field(default_factory=dict)


def _entries() -> list[tuple[str, str]]:
    from importlib import resources

    folder = resources.files("continuo.models") / "reports"
    if not folder.is_dir():
        return []
    return [(entry.name, entry.read_text()) for entry in folder.iterdir() if entry.name.endswith(".json")]


def read_reports(suffix: str, entries: list[tuple[str, str]] | None = None) -> dict[str, dict[str, Any]]:
    """The files named NAME + suffix, by NAME; a NAME holds no dot, so "bach.seeds.json" is not read as the
    ".json" report of a model called "bach.seeds"."""
    found = {}
    for file_name, text in _entries() if entries is None else entries:
        name = file_name.removesuffix(suffix)
        if file_name.endswith(suffix) and "." not in name:
            found[name] = json.loads(text)
    return found


def shipped_artifacts(folder: Path | None = None) -> Artifacts:
    """Every artifact in the installed package's models/reports, or in `folder` when given."""
    if folder is None:
        entries = _entries()
    else:
        entries = [(path.name, path.read_text()) for path in sorted(folder.glob("*.json"))]
    return Artifacts(**{key: read_reports(suffix, entries) for key, suffix in SUFFIXES.items()})
