"""The forward pass over many windows for tagging: the same blocks as before, two at a time.

WindowNetwork.scores cuts its windows into blocks of `batch` rows and runs forward() on each.
The blocks must stay exactly those: OpenBLAS's result for a row depends on where it sits in
the product it is part of, so a different cut changes the last bits of some scores (and so
printed probabilities). What may change is when each block runs: numpy releases the GIL inside
the matrix products and the element-wise functions, so blocks forwarded on threads of their own,
each product single-threaded as ner-tag runs BLAS, proceed in parallel on separate cores and
give every block's numbers bit for bit (tests/model/test_inference.py). At ~15 ms a block of
8192 windows, that parallelism is most of what is left to gain on the forward pass: its hidden
product already runs near one core's peak.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# Threads forwarding blocks side by side, at most; fewer on a machine with fewer cores.
MAX_THREADS = 2

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
# At most this many threads (None: no limit but MAX_THREADS): a process that shares the cores
# with other tagging processes (ner-tag --num-proc) runs fewer blocks at once.
_limit: int | None = None


def forward_threads() -> int:
    """How many blocks run at once: the cores this process may use, up to MAX_THREADS (and up
    to the limit set by limit_forward_threads)."""
    cores = usable_cores()
    return max(1, min(MAX_THREADS, cores, _limit or MAX_THREADS))


def limit_forward_threads(threads: int | None) -> None:
    """Run at most `threads` blocks at once in this process from now on (None: no limit)."""
    global _limit, _pool
    _limit = threads
    with _pool_lock:  # a pool of the old size is replaced on its next use
        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool = None


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def blocks_forward(
    forward: Callable[[np.ndarray], np.ndarray], ids: np.ndarray, batch: int, n_out: int
) -> np.ndarray:
    """`forward` of each block of `batch` rows of `ids`, in order, concatenated.

    Shapes: ids (N, n, m) -> s (N, T), T = n_out. Each block is forward(ids[i : i + batch]),
    the same call on the same rows whether it runs here or on a pool thread.
    """
    starts = range(0, len(ids), batch)
    if not starts:
        return np.zeros((0, n_out), np.float32)
    if len(starts) == 1 or forward_threads() == 1:
        blocks = [forward(ids[i : i + batch]) for i in starts]
    else:
        blocks = list(_executor().map(lambda i: forward(ids[i : i + batch]), starts))
    return np.concatenate(blocks)


def _forget_pool() -> None:
    """In a forked child (datasets' num_proc workers) the parent's pool threads do not exist,
    and work handed to its copy would never run: the child makes its own."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _executor() -> ThreadPoolExecutor:
    """One pool for the process, made on first use (after ner-tag has set BLAS to 1 thread)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(forward_threads(), thread_name_prefix="windowner-forward")
        return _pool
