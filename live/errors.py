"""User-facing errors and the exit codes every command shares.

The CLI prints a ContinuoError's message as one line and exits EXIT_USAGE.
"""

from __future__ import annotations

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class ContinuoError(Exception):
    """A user mistake or bad input (file, flag, folder); never a bug in Continuo."""
