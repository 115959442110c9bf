"""Reading exports (every format and platform) and writing the toolkit's tables."""

from __future__ import annotations

from importlib import import_module
from typing import Any

# PEP 562: a name is imported when first used, so that a command that only
# reads a table (`literacy estimate`) does not import the platform adapters,
# the instrument model and pydantic (0.2 s; issue 15).
_WHERE = {
    "FILE_FORMATS": "files", "iter_file": "files", "read_file": "files",
    "PLATFORMS": "platforms", "ColumnMapping": "platforms", "adapt": "platforms", "detect_platform": "platforms",
    "plan_adapter": "platforms", "read_mapping": "platforms",
    "ReadOptions": "read", "iter_read": "read", "read": "read",
    "OUTPUT_FORMATS": "tables", "TableSink": "tables", "write_frame": "tables", "write_json": "tables",
    "write_table": "tables",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'literacy.io' has no attribute {name!r}")
    value = getattr(import_module(f"literacy.io.{_WHERE[name]}"), name)
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
