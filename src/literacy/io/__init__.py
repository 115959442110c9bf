"""Reading exports (every format and platform) and writing the toolkit's tables."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from literacy.io.files import FILE_FORMATS, iter_file, read_file
from literacy.io.read import ReadOptions, iter_read, read
from literacy.io.tables import OUTPUT_FORMATS, TableSink, write_frame, write_json, write_table

if TYPE_CHECKING:
    from literacy.io.platforms import PLATFORMS, ColumnMapping, adapt, detect_platform, plan_adapter, read_mapping

# PEP 562: the platform adapters (with the instrument model and pydantic, 0.2 s)
# are imported when first used, so that a command that only reads a table
# (`literacy estimate`) does not import them (issue 15). ``read`` and the
# other names are bound eagerly: ``literacy.io.read`` is also a module name,
# and the function must win over the submodule.
_LAZY = {"PLATFORMS", "ColumnMapping", "adapt", "detect_platform", "plan_adapter", "read_mapping"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'literacy.io' has no attribute {name!r}")
    value = getattr(import_module("literacy.io.platforms"), name)
    globals()[name] = value
    return value


__all__ = [
    "FILE_FORMATS",
    "OUTPUT_FORMATS",
    "PLATFORMS",
    "ColumnMapping",
    "ReadOptions",
    "TableSink",
    "adapt",
    "detect_platform",
    "iter_file",
    "iter_read",
    "plan_adapter",
    "read",
    "read_file",
    "read_mapping",
    "write_frame",
    "write_json",
    "write_table",
]
