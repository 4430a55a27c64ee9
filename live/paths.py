"""Output paths, checked before any work: a take or a render that cannot be written fails at once."""

from __future__ import annotations

import os
from pathlib import Path

from continuo.live.errors import ContinuoError


def check_writable(path: Path, flag: str) -> None:
    """One line naming the flag and what is wrong: no folder, no permission, or a folder in the way."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ContinuoError(f"{flag} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ContinuoError(f"{flag} {path}: folder {folder} is not writable")
    if path.is_dir():
        raise ContinuoError(f"{flag} {path} is a folder, not a file")
