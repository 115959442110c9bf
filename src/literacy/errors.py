"""The one exception type for failures a user can cause, and the way its
messages name settings in the caller's terms.

The CLI prints a message as one plain sentence and exits 1; the Python API
lets it propagate so that pipelines can catch it. A message that tells the
user what to change names the setting as the caller spells it: the command
line's flag (``--lonely-psu remove``) when a command is running, the Python
argument (``lonely_psu="remove"``) otherwise. Each message is written once,
with both spellings side by side (:func:`spell`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_ON_COMMAND_LINE: ContextVar[bool] = ContextVar("literacy_on_command_line", default=False)


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


def spell(cli: str, python: str) -> str:
    """``cli`` while a command runs (``--force``), ``python`` otherwise (``force=True``)."""
    return cli if _ON_COMMAND_LINE.get() else python


@contextmanager
def command_line() -> Iterator[None]:
    """Messages raised inside name command-line flags (the CLI wraps every command in it)."""
    token = _ON_COMMAND_LINE.set(True)
    try:
        yield
    finally:
        _ON_COMMAND_LINE.reset(token)
