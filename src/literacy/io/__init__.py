"""Reading and writing tables: the toolkit's own files and, later, platform exports."""

from literacy.io.tables import OUTPUT_FORMATS, read_table, write_frame, write_json, write_table

__all__ = ["OUTPUT_FORMATS", "read_table", "write_frame", "write_json", "write_table"]
