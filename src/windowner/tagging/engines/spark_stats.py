"""What the Spark engine's Python workers did, gathered through an accumulator, and a run's summary.

pyspark is imported here, so importing this module needs the `spark` extra.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from pyspark import AccumulatorParam


@dataclass(frozen=True)
class WorkerStats:
    """What one Python worker did: times it loaded the model, rows, peak RSS in bytes, and the
    file it loaded the model from (under its executor's SparkFiles folder when shipped)."""

    loads: int
    rows: int
    peak_rss: int
    source: str = ""


class StatsParam(AccumulatorParam):
    """Merge {(host, pid): WorkerStats} from the tasks: loads and rows add up, peaks take max."""

    def zero(self, value):
        return {}

    def addInPlace(self, a, b):
        for key, stats in b.items():
            old = a.get(key)
            a[key] = (
                stats
                if old is None
                else WorkerStats(
                    old.loads + stats.loads,
                    old.rows + stats.rows,
                    max(old.peak_rss, stats.peak_rss),
                    old.source or stats.source,
                )
            )
        return a


def peak_rss() -> int:
    """This process's peak resident memory in bytes."""
    import resource  # Unix only, as Spark's Python workers are

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


@dataclass(frozen=True)
class SparkRun:
    """What a run tagged, where, in wall seconds (Spark's start-up apart), and its workers."""

    rows: int
    master: str
    startup_seconds: float
    seconds: float
    workers: dict[tuple[str, int], WorkerStats]

    def summary(self) -> str:
        loads = sum(w.loads for w in self.workers.values())
        peak = max((w.peak_rss for w in self.workers.values()), default=0)
        return (
            f"tagged {self.rows:,} rows on {self.master} in {self.seconds:.1f} s "
            f"({self.rows / max(self.seconds, 1e-9):,.0f} rows/s; Spark started in "
            f"{self.startup_seconds:.1f} s); {len(self.workers)} Python worker(s) loaded the "
            f"model {loads} time(s), peak RSS of one worker {peak / 2**20:,.0f} MB"
        )
