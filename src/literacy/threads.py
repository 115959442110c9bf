"""Thread pools that a stop signal cannot wedge.

CPython runs a Python signal handler between bytecodes, and the command
line's handlers raise (KeyboardInterrupt, ``cli.Terminated``) to unwind a
command through its cleanups. Landing inside ``concurrent.futures``' own
bookkeeping (the shutdown locks ``submit`` and ``shutdown`` take, a worker
thread being started), such an exception can leave a lock held, and the
cleanup or the interpreter's exit then waits for ever (seen once in CI: a run
stopped by SIGINT that never exited). So the command line's handlers are
`deferrable`: while the main thread hands work to a pool or shuts one down, a
signal is noted and raised again the moment that is done; the long waits
(results, joins) stay interruptible.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
Handler = Callable[[int, Any], None]
# Signal handlers run in the main thread, whichever thread the kernel gave
# the signal to (so masking it in the main thread alone holds nothing back):
# a handler made with `deferrable` notes the signal while the main thread is
# in `signals_held` and it is raised again on the way out.
_held = 0
_pending: list[int] = []


def deferrable(handler: Handler) -> Handler:
    """The handler, put off while the main thread is inside :func:`signals_held`."""

    def run(number: int, frame: Any) -> None:
        if _held:
            _pending.append(number)
            return
        handler(number, frame)

    return run


@contextmanager
def signals_held() -> Iterator[None]:
    """Signals for `deferrable` handlers wait until the block is done."""
    global _held
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers run in the main thread only: nothing can land here
        return
    _held += 1
    try:
        yield
    finally:
        _held -= 1
        if not _held and _pending:
            number = _pending[0]
            _pending.clear()
            signal.raise_signal(number)


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


# How long a failed or stopped command lets a background write finish before
# its cleanups (removing temporaries) go on.
WRITER_GRACE_SECONDS = 10.0


class Background:
    """Jobs run one after another in one background thread, in the order
    given: a table is written while the main thread computes the next."""

    def __init__(self, name: str) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.jobs: list[Future[Any]] = []

    def submit(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        job = submit(self.pool, function, *args, **kwargs)
        self.jobs.append(job)
        return job

    def wait(self) -> None:
        """Every job handed over so far done (a failure raised here)."""
        for job in self.jobs:
            job.result()
        self.jobs.clear()


@contextmanager
def background(name: str) -> Iterator[Background]:
    """A :class:`Background` for the block. On the way out the jobs are
    waited for; after a failure or a stop signal the jobs not started are
    cancelled and the running one gets ``WRITER_GRACE_SECONDS``, never for
    ever: CI once caught a writer stuck on an import lock the interrupted
    main thread had left taken, and the main thread joining it (``cli.entry``
    then ends the process at once)."""
    jobs = Background(name)
    try:
        yield jobs
    except BaseException:
        with signals_held():
            jobs.pool.shutdown(wait=False, cancel_futures=True)
        wait(jobs.jobs, timeout=WRITER_GRACE_SECONDS)
        raise
    shut(jobs.pool)
