"""User-facing errors: the CLI prints their message as one line and exits 2."""

from __future__ import annotations


class ContinuoError(Exception):
    """A user mistake or bad input (file, flag, folder); never a bug in Continuo."""
