"""Reading exports (every format and platform) and writing the toolkit's tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from literacy.io.files import FILE_FORMATS, iter_file, read_file
from literacy.io.read import ReadOptions, iter_read, read
from literacy.io.tables import OUTPUT_FORMATS, TableSink, write_frame, write_json, write_table
from literacy.lazy import bind_on_first_use

if TYPE_CHECKING:
    from literacy.io.platforms import PLATFORMS, ColumnMapping, adapt, detect_platform, plan_adapter, read_mapping

# PEP 562: the platform adapters (with the instrument model and pydantic, 0.2 s)
# are imported when first used, so that a command that only reads a table
# (`literacy estimate`) does not import them (issue 15). ``read`` and the
# other names are bound eagerly: ``literacy.io.read`` is also a module name,
# and the function must win over the submodule.
_LAZY = ("PLATFORMS", "ColumnMapping", "adapt", "detect_platform", "plan_adapter", "read_mapping")
__getattr__ = bind_on_first_use(globals(), dict.fromkeys(_LAZY, "literacy.io.platforms"), "literacy.io")


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
