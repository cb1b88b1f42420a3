"""Running one measurement in a process of its own, so that its peak memory is its own.

run.py's parts start children through run_child (a command) or measure (measure.py NAME ...);
the CPU time of every child is summed here, for machine.others_share.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from project import HERE, ROOT

_children_cpu_seconds = 0.0


def run_child(command: list, *, env: dict | None = None):
    """Run `command`; (its last stdout line as JSON, or None; peak RSS in MB; wall seconds; error).

    The child is reaped with os.wait4, whose resource usage is that child's alone.
    """
    global _children_cpu_seconds
    with tempfile.TemporaryFile("w+") as err, tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(part) for part in command],
            stdout=out,
            stderr=err,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
        )  # communicate() would reap the child before wait4 could read its usage
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        _children_cpu_seconds += usage.ru_utime + usage.ru_stime
        peak_mb = round(usage.ru_maxrss / 1024, 1)  # Linux reports kilobytes
        err.seek(0)
        out.seek(0)
        if process.returncode != 0:
            lines = err.read().strip().splitlines()
            return None, peak_mb, wall, " | ".join(lines[-3:]) or f"exit {process.returncode}"
        lines = out.read().strip().splitlines()
        try:  # measure.py's last line is its JSON; a command's output is not read
            result = json.loads(lines[-1]) if lines else None
        except ValueError:
            result = None
        return result, peak_mb, wall, None


def measure(name: str, *args, env: dict | None = None):
    """Run benchmarks/measure.py NAME ARGS in a child process (see run_child)."""
    return run_child([sys.executable, str(HERE / "measure.py"), name, *map(str, args)], env=env)


def count_cpu_seconds(seconds: float) -> None:
    """Add the CPU seconds of a child reaped elsewhere (num_proc_speed's timed runs)."""
    global _children_cpu_seconds
    _children_cpu_seconds += seconds


def children_cpu_seconds() -> float:
    """User and system CPU seconds of every child run_child has reaped so far."""
    return _children_cpu_seconds


def console_script(name: str, module: str) -> list[str]:
    """The command that starts windowner's console script `name` (its `run` in `module` where
    the script is not installed beside this Python)."""
    script = Path(sys.executable).parent / name
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", f"from {module} import run; run()"]
