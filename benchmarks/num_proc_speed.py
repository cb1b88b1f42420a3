"""`ner-tag --num-proc 2` against one process on the bench's 1.2M-token text (the `numproc`
part of run.py): the runs alternate, N = 1 then N = 2, round after round, so that both see the
same machine; the best of each is kept, with the CPU seconds it took.

One process already uses more than one core (two forward blocks at once, the next batches
tagged while one is written: tagging/stream.py), so the ratio on 2 cores is bounded by
2 / (the cores one process uses). For scale, a third run pins one process to one core (its
threads then have none to run on), which is what N = 2 divides between two cores.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from child_process import console_script, count_cpu_seconds
from corpus import raw_text

ROUNDS = 3
REPEATS = 4  # the text 4 times over, as tag_speed's end-to-end figure


def bench_num_proc(model: Path, work: Path, rounds: int = ROUNDS) -> dict:
    """Best wall and CPU seconds of N = 1, N = 2 and N = 1 on one core, alternating."""
    text = work / "raw.txt"
    once, tokens_once = raw_text(work / "raw-once.txt")
    text.write_text(once.read_text(encoding="utf-8") * REPEATS, encoding="utf-8")
    tokens = tokens_once * REPEATS
    tag = [*console_script("ner-tag", "windowner.cli.tag"), model, text]
    one_core = min(os.sched_getaffinity(0))
    kinds = {
        "num_proc_1": ([*tag, "--num-proc", "1"], None),
        "num_proc_2": ([*tag, "--num-proc", "2"], None),
        "num_proc_1_one_core": ([*tag, "--num-proc", "1"], {one_core}),
    }
    runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for _ in range(rounds):
        for kind, (command, cores) in kinds.items():
            runs[kind].append(timed([*command, "--output", work / f"{kind}.jsonl"], cores))
    found: dict = {"tokens": tokens, "rounds": rounds}
    for kind, measured in runs.items():
        failed = [run["error"] for run in measured if "error" in run]
        if failed:
            return {"tag_num_proc": {**found, "error": failed[0]}}
        best = min(measured, key=lambda run: run["seconds"])
        found[kind] = {
            **best,
            "tokens_per_s": round(tokens / best["seconds"]),
            "cores_used": round(best["cpu_seconds"] / best["seconds"], 2),
            "all_seconds": [run["seconds"] for run in measured],
        }
    same = (work / "num_proc_1.jsonl").read_bytes() == (work / "num_proc_2.jsonl").read_bytes()
    n1, n2 = found["num_proc_1"]["seconds"], found["num_proc_2"]["seconds"]
    found["identical_output"] = same
    found["ratio"] = round(n1 / n2, 3)
    found["ratio_against_one_core"] = round(found["num_proc_1_one_core"]["seconds"] / n2, 3)
    return {"tag_num_proc": found, "tag_num_proc_2_ratio": found["ratio"] if same else None}


def timed(command: list, cores: set[int] | None) -> dict:
    """Run `command` (on `cores` only, if given): wall seconds, CPU seconds of it and its
    workers (wait4 counts the children it reaped), and the largest process's peak RSS."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [str(part) for part in command],
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=None if cores is None else lambda: os.sched_setaffinity(0, cores),
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        count_cpu_seconds(usage.ru_utime + usage.ru_stime)
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            return {"error": err.read().decode("utf-8", "replace").strip()[-300:]}
    return {
        "seconds": round(wall, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }
