"""Names a package binds on first use (PEP 562), so that ``import literacy``
and a command's start-up import only the step modules they need (issue 15:
``literacy --help`` in under 0.3 s). One mechanism for the package and its
subpackages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def bind_on_first_use(namespace: dict[str, Any], exports: Mapping[str, str], package: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``exports[name]`` (a module
    path) when ``name`` is first asked for and keeps the value in
    ``namespace`` (the package's globals), so later lookups are plain."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(exports[name]), name)
        namespace[name] = value
        return value

    return __getattr__
