"""Run the literacy command from a clone: ``python cli.py --help``.

The installed ``literacy`` command is the same click group; this file only
makes the source tree importable when the package is not installed.
"""

import sys
from pathlib import Path

try:
    from literacy.cli import entry
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
    from literacy.cli import entry

if __name__ == "__main__":
    entry()
