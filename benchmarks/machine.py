"""The machine the figures come from, and how busy other processes kept it while they were taken."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path


def machine() -> dict:
    """Cores, CPU, Python, numpy and its BLAS (library, version, kernel, threads)."""
    import numpy as np

    info = {
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
    }
    try:
        from threadpoolctl import threadpool_info

        blas = [lib for lib in threadpool_info() if lib.get("user_api") == "blas"]
        if blas:
            lib = blas[0]
            info["blas"] = (
                f"{lib.get('internal_api')} {lib.get('version')}, kernel {lib.get('architecture')}"
                f", {lib.get('num_threads')} threads"
            )
    except ImportError:
        config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["blas"] = f"{config.get('name')} {config.get('version')} (threadpoolctl not installed)"
    return info


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_jiffies() -> tuple[int, int] | None:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat (None elsewhere)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def others_share(before: tuple[int, int] | None, children_cpu_seconds: float) -> float | None:
    """Share of the machine's CPU time that other processes used since `before` (cpu_jiffies()),
    given the CPU seconds our children used: how disturbed the figures are (0 on a quiet machine).
    """
    after = cpu_jiffies()
    if before is None or after is None:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    busy = (after[0] - before[0]) / ticks
    capacity = (after[1] - before[1]) / ticks
    own = children_cpu_seconds + time.process_time()
    return round(max(busy - own, 0.0) / capacity, 3) if capacity else None
