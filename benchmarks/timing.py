"""How a measurement times its work: the best of a few calls, with BLAS on a given thread count."""

from __future__ import annotations

import contextlib
import time


def blas_limit(threads: int | None):
    """A context limiting BLAS to `threads` threads; a no-op for None or without threadpoolctl
    (blas_threads() then reports None, so a result never claims a limit it did not have)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    if threads is None:
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


def blas_threads() -> int | None:
    """How many threads BLAS would use now (None if threadpoolctl is not installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    blas = [lib for lib in threadpool_info() if lib.get("user_api") == "blas"]
    return blas[0]["num_threads"] if blas else None


def best_of(function, repeats: int) -> float:
    """The shortest of `repeats` timed calls, in seconds: the least disturbed by other work."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best
