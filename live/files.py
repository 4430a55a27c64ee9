"""Files the user asked for: checked before any work, and written whole or not at all.

`check_writable` runs before a take or a render starts, so a path that cannot be written fails at once
with one line naming the flag. `written_together` hands out a partial name for each file (`NAME.partial`
beside it); only once every one is written are they renamed onto their final names, so an interrupted
write never leaves half a file, and a failed one leaves none of the files. A leftover partial name (a
process killed outright) ends in `.partial`, so nothing that reads a folder by suffix (`*.mid`, `*.onnx`)
takes it for a finished file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def partial_path(path: Path) -> Path:
    """Where `path` is written until it is complete."""
    return path.with_name(path.name + ".partial")


@contextmanager
def written_together(*paths: Path) -> Iterator[tuple[Path, ...]]:
    """The partial path of each of `paths`, to write in the block; when the block ends without an error each
    is renamed onto its path (a rename within a folder replaces the old file in one step). Whatever happens,
    no partial file is left behind."""
    partials = tuple(partial_path(path) for path in paths)
    try:
        yield partials
        for partial, path in zip(partials, paths):
            os.replace(partial, path)
    finally:
        for partial in partials:
            partial.unlink(missing_ok=True)


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """`write(partial)` writes the file's content to the partial path given; `path` appears only once it is whole."""
    with written_together(path) as (partial,):
        write(partial)
