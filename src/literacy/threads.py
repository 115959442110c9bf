"""Thread pools that a stop signal cannot wedge.

CPython runs a Python signal handler between bytecodes, and the command
line's handlers raise (KeyboardInterrupt, ``cli.Terminated``) to unwind a
command through its cleanups. Landing inside ``concurrent.futures``' own
bookkeeping (the shutdown locks ``submit`` and ``shutdown`` take, a worker
thread being started), such an exception can leave a lock held, and the
cleanup or the interpreter's exit then waits for ever (seen once in CI: a run
stopped by SIGINT that never exited). So the main thread holds SIGINT and
SIGTERM back while it hands work to a pool or shuts one down; a signal that
arrives meanwhile is delivered the moment they are let through again, and the
long waits (results, joins) stay interruptible.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait (in the main thread) until the block is done."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def submit(pool: ThreadPoolExecutor, function: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
    with signals_held():
        return pool.submit(function, *args, **kwargs)


def shut(pool: ThreadPoolExecutor) -> None:
    """Shut the pool down and wait for its threads: the bookkeeping with the
    signals held, the wait with them let through."""
    with signals_held():
        pool.shutdown(wait=False)
    pool.shutdown(wait=True)  # only joins now (the pool is already shut)


@contextmanager
def pool_of(workers: int, name: str) -> Iterator[ThreadPoolExecutor]:
    """``with ThreadPoolExecutor(...)``, shut down as :func:`shut` does."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
    try:
        yield pool
    finally:
        shut(pool)
