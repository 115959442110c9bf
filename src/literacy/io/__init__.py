"""Reading exports (every format and platform) and writing the toolkit's tables."""

from literacy.io.files import FILE_FORMATS, iter_file, read_file
from literacy.io.platforms import PLATFORMS, ColumnMapping, adapt, detect_platform, plan_adapter, read_mapping
from literacy.io.read import ReadOptions, iter_read, read
from literacy.io.tables import OUTPUT_FORMATS, TableSink, write_frame, write_json, write_table

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
