"""YAML data files (instruments, plans, mapping, collapse and run
configurations): found by shipped id or by path, read with one plain message
when they cannot be."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from literacy.errors import LiteracyError


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


def read_yaml(path: str | Path, *, kind: str = "file") -> Any:
    """The parsed YAML; a missing, non-UTF-8 or malformed file is one sentence
    naming the line and column of the problem."""
    path = Path(path)
    if not path.is_file():
        raise LiteracyError(f"{kind.capitalize()} {path} does not exist; check the path.")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise LiteracyError(f"{path}: the file is not UTF-8 text; save it as UTF-8.") from None
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or "syntax error"
        raise LiteracyError(f"{path}: not valid YAML{where} ({problem}).") from None
