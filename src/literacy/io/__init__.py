"""Reading and writing tables: the toolkit's own files and, later, platform exports."""

from literacy.io.tables import read_table, write_json, write_table

__all__ = ["read_table", "write_json", "write_table"]
