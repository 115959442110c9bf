"""The one exception type for failures a user can cause.

The CLI prints its message as one plain sentence and exits 1; the Python API
lets it propagate so that pipelines can catch it.
"""

from __future__ import annotations


class LiteracyError(Exception):
    """A problem with the user's input, files or settings, stated plainly."""

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details or [])

    def __str__(self) -> str:
        if not self.details:
            return self.message
        return "\n".join([self.message, *("  " + line for line in self.details)])
