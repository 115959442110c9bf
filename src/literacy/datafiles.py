"""YAML data files (instruments, plans, mapping, collapse and run
configurations): found by shipped id or by path, read with one plain message
when they cannot be.

Every YAML file the toolkit reads goes through :func:`read_yaml`, which is
stricter than ``yaml.safe_load`` in two ways that matter for files people
write by hand or receive from others:

* anchors and aliases (``&name`` / ``*name``) are refused: a few hundred bytes
  of nested aliases (a "billion laughs" bomb) expand to gigabytes, and no
  literacy file needs them;
* booleans are YAML 1.2's (``true``/``false`` in any case), so ``on``,
  ``off``, ``yes``, ``no``, ``y`` and ``n`` stay text: ``validation: {on: ...}``
  is a key named ``on``, not ``True``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from literacy.errors import LiteracyError

MAX_YAML_BYTES = 20 * 2**20
"""No instrument, plan or configuration comes near this (the largest shipped
file is a few dozen KiB); anything bigger is refused before it is parsed."""


def locate(id_or_path: str | Path, folder: Callable[[], Path], kind: str, ids: Callable[[], list[str]]) -> Path:
    """A user's file by path (a ``.yaml`` name or an existing file), else the
    shipped ``<folder>/<id>.yaml``. ``kind`` names the file in messages."""
    text = str(id_or_path)
    path = Path(text)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise LiteracyError(f"{kind.capitalize()} file {text} does not exist; check the path.")
        return path
    candidate = folder() / f"{text}.yaml"
    if candidate.is_file():
        return candidate
    raise LiteracyError(f"Unknown {kind} {text!r}: use one of {', '.join(ids())}, or pass the path of a YAML file.")


class _AliasFound(yaml.YAMLError):
    def __init__(self, line: int) -> None:
        super().__init__(f"anchor or alias at line {line}")
        self.line = line


class StrictLoader(yaml.SafeLoader):
    """``SafeLoader`` without anchors/aliases and with YAML 1.2 booleans."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _AliasFound(event.start_mark.line + 1)
        return super().compose_node(parent, index)


# A private copy of the resolver table: YAML 1.1's bool rule (yes/no/on/off/y/n)
# is replaced by YAML 1.2's, without touching yaml.SafeLoader itself.
StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"), list("tTfF")
)


def load_yaml_text(text: str) -> Any:
    """Parse YAML text the way :func:`read_yaml` does (raises ``yaml.YAMLError``)."""
    return yaml.load(text, Loader=StrictLoader)


def read_yaml(path: str | Path, *, kind: str = "file") -> Any:
    """The parsed YAML; a missing, oversized, non-UTF-8 or malformed file, or
    one using anchors/aliases, is one sentence naming the line of the problem."""
    path = Path(path)
    if not path.is_file():
        raise LiteracyError(f"{kind.capitalize()} {path} does not exist; check the path.")
    size = path.stat().st_size
    if size > MAX_YAML_BYTES:
        raise LiteracyError(
            f"{path} is {size / 2**20:,.0f} MiB, more than the {MAX_YAML_BYTES // 2**20} MiB literacy reads as a "
            "YAML file; check that it is the right file."
        )
    try:
        return load_yaml_text(path.read_text(encoding="utf-8"))
    except _AliasFound as exc:
        raise LiteracyError(
            f"{path} line {exc.line} uses a YAML anchor/alias (&/*), which literacy does not accept; write the "
            "value out."
        ) from None
    except UnicodeDecodeError:
        raise LiteracyError(f"{path}: the file is not UTF-8 text; save it as UTF-8.") from None
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or "syntax error"
        raise LiteracyError(f"{path}: not valid YAML{where} ({problem}).") from None
