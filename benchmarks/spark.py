"""Throughput of `ner-tag --dataset` on the local engine (1 and 2 processes) and on Spark
(local[1], local[2]), on at least 1M tokens, with Spark's start-up measured on its own.

    python benchmarks/spark.py MODEL [--repeat 4] [--out benchmarks/spark-results.json]

Every run is a child process with one BLAS thread; one JSON object is printed and written.
The input is CoNLL-2003's three files as running text (benchmarks/corpus.py's raw_text), four
sentences a row, repeated `--repeat` times.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import raw_text  # noqa: E402
from machine import machine  # noqa: E402

BIN = Path(sys.executable).parent
# ner-tag --engine spark --progress's last line (tagging/engines/spark_stats.py, SparkRun.summary).
SUMMARY = re.compile(
    r"in ([\d.]+) s .*started in ([\d.]+) s\); (\d+) Python worker.*one worker ([\d,]+) MB"
)
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--out", default=str(HERE / "spark-results.json"))
    args = parser.parse_args()

    import pyarrow as pa
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="bench-spark-") as work:
        work = Path(work)
        text, tokens = raw_text(work / "raw.txt")
        lines = text.read_text(encoding="utf-8").splitlines()
        rows = [" ".join(lines[i : i + 4]) for i in range(0, len(lines), 4)] * args.repeat
        source = work / "rows.parquet"
        pq.write_table(pa.table({"id": list(range(len(rows))), "text": rows}), source)
        results = {
            "rows": len(rows),
            "tokens": tokens * args.repeat,
            "megabytes": round(sum(len(r.encode()) for r in rows) / 1e6, 1),
            "load_average_before": os.getloadavg(),
        }
        common = [BIN / "ner-tag", args.model, "--dataset", source]
        for procs in (1, 2):
            wall, _ = timed([*common, "--num-proc", procs, "-o", work / f"local{procs}.parquet"])
            results[f"local_num_proc_{procs}"] = rate(wall, results["tokens"])
        results["spark_startup_seconds"] = spark_startup()
        for cores in (1, 2):
            command = [
                *common,
                "--engine",
                "spark",
                "--master",
                f"local[{cores}]",
                "--num-partitions",
                "4",  # one small file is one partition: give both cores work
                "--conf",
                "spark.ui.enabled=false",
                "--progress",
                "-o",
                work / f"spark{cores}.parquet",
            ]
            wall, err = timed(command)
            found = rate(wall, results["tokens"])
            summary = SUMMARY.search(err)
            if summary:
                seconds, startup = float(summary[1]), float(summary[2])
                found["startup_seconds_in_run"] = startup
                found["tokens_per_s_after_startup"] = round(results["tokens"] / seconds)
                found["python_workers"] = int(summary[3])
                found["worker_peak_rss_mb"] = int(summary[4].replace(",", ""))
            results[f"spark_local_{cores}"] = found
        one, two = results["spark_local_1"], results["spark_local_2"]
        if "tokens_per_s_after_startup" in one and "tokens_per_s_after_startup" in two:
            results["spark_speedup_1_to_2_cores_after_startup"] = round(
                two["tokens_per_s_after_startup"] / one["tokens_per_s_after_startup"], 2
            )
        results["spark_speedup_1_to_2_cores_wall"] = round(
            two["tokens_per_s"] / one["tokens_per_s"], 2
        )
        results["local_speedup_1_to_2_processes"] = round(
            results["local_num_proc_2"]["tokens_per_s"]
            / results["local_num_proc_1"]["tokens_per_s"],
            2,
        )
        results["load_average_after"] = os.getloadavg()
        results["machine"] = machine()
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results))


def timed(command: list) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, env=ENV
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {result.stderr[-2000:]}")
    return wall, result.stderr


def rate(wall: float, tokens: int) -> dict:
    return {"seconds": round(wall, 2), "tokens_per_s": round(tokens / wall)}


def spark_startup() -> float:
    """Wall seconds for a fresh process to start a local[2] session, run a one-row job, stop."""
    code = (
        "import time; t = time.perf_counter()\n"
        "from windowner.tagging.engines.spark_session import spark_session\n"
        "s = spark_session('local[2]', {'spark.ui.enabled': 'false'})\n"
        "s.range(1).collect(); s.stop()\n"
        "print(time.perf_counter() - t)"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV)
    return round(time.perf_counter() - started, 2)


if __name__ == "__main__":
    main()
