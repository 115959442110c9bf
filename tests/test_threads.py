"""A stop signal never lands inside a thread pool's bookkeeping (literacy.threads)."""

from __future__ import annotations

import os
import signal
import time

from literacy.threads import deferrable, pool_of, signals_held, submit


def test_a_stop_signal_waits_for_the_pool_handoff_then_arrives():
    seen: list[str] = []
    previous = signal.signal(signal.SIGTERM, deferrable(lambda *_: seen.append("signal")))
    try:
        with signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            seen.append("handoff done")
        time.sleep(0.05)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert seen == ["handoff done", "signal"]


def test_the_pool_runs_the_work_and_is_shut_after():
    with pool_of(2, "test") as pool:
        futures = [submit(pool, pow, n, 2) for n in range(5)]
    assert [f.result() for f in futures] == [0, 1, 4, 9, 16]
    assert pool._shutdown  # the executor's own flag: shut, no thread left running
