"""Shared by the benchmark scripts: wall time and peak memory of one call."""

from __future__ import annotations

import platform
import time
import tracemalloc
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def machine() -> str:
    return f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}"


def timed(label: str, action: Callable[[], T]) -> T:
    """Run ``action`` once; print seconds and the peak memory it added
    (tracemalloc, which numpy and pandas report to; it slows the call a little)."""
    tracemalloc.start()
    start = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label}: {elapsed:.2f} s, peak memory added {peak / 2**20:,.0f} MiB")
    return result
