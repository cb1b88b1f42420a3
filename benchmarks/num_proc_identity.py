"""`ner-tag --num-proc 2` writes what one process writes, and a run stopped half-way leaves
nothing behind: the checks of issue 24's acceptance, on the bench's 1.2M-token text.

    python benchmarks/num_proc_identity.py MODEL [--out benchmarks/num-proc-identity.json]

1. For every --format: `ner-tag MODEL raw.txt --format F -o out` with --num-proc 1 and 2,
   compared with `cmp`.
2. Runs with --num-proc 2 stopped mid-way, each writing into an empty folder: Ctrl-C (SIGINT to
   the process group, as a terminal sends it), SIGKILL and SIGTERM of one worker, SIGINT to one
   worker alone (ignored: the run finishes with the same output), and SIGKILL of ner-tag itself
   (its workers find their pipes closed and exit). Each reports its exit code, its stderr, what
   the folder holds afterwards, and whether any worker still runs.

One JSON object is printed and written to --out. Every run has one BLAS thread, as ner-tag
sets it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from child_process import console_script  # noqa: E402
from corpus import raw_text  # noqa: E402
from machine import machine  # noqa: E402

FORMATS = ("jsonl", "conll", "inline", "slash", "tsv", "html")  # windowner.choices.FORMATS
REPEATS = 4
# How long a stopped run has tagged before the signal (a whole run takes 5-10 s here).
MID_RUN_SECONDS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--out", type=Path, default=HERE / "num-proc-identity.json")
    args = parser.parse_args()
    tag = [*console_script("ner-tag", "windowner.cli.tag"), args.model.resolve()]
    results: dict = {"machine": machine(), "load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="num-proc-identity-") as work:
        work = Path(work)
        once, tokens = raw_text(work / "raw-once.txt")
        text = work / "raw.txt"
        text.write_text(once.read_text(encoding="utf-8") * REPEATS, encoding="utf-8")
        results["text"] = {"tokens": tokens * REPEATS, "bytes": text.stat().st_size}
        results["formats"] = {f: same_output(tag, text, f, work) for f in FORMATS}
        results["all_identical"] = all(r["cmp"] == "identical" for r in results["formats"].values())
        expected = (work / "jsonl-1").read_bytes()
        results["stopped"] = {
            name: stopped_run(tag, text, work / name, name, expected)
            for name in (
                "ctrl_c",
                "sigkill_worker",
                "sigterm_worker",
                "sigint_worker_alone",
                "sigkill_ner_tag",
            )
        }
    results["load_average_after"] = os.getloadavg()
    printed = json.dumps(results, indent=2, ensure_ascii=False)
    args.out.write_text(printed + "\n", encoding="utf-8")
    print(printed)


def same_output(tag: list, text: Path, output_format: str, work: Path) -> dict:
    """Tag `text` in `output_format` on 1 and 2 processes; `cmp` the two files."""
    found: dict = {}
    for n in (1, 2):
        out = work / f"{output_format}-{n}"
        started = time.perf_counter()
        done = subprocess.run(
            [*map(str, tag), text, "--format", output_format, "--num-proc", str(n), "-o", out],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            return {"error": done.stderr.strip()}
        found[f"num_proc_{n}_seconds"] = round(time.perf_counter() - started, 2)
    compared = subprocess.run(
        ["cmp", work / f"{output_format}-1", work / f"{output_format}-2"],
        capture_output=True,
        text=True,
    )
    found["bytes"] = (work / f"{output_format}-1").stat().st_size
    found["cmp"] = "identical" if compared.returncode == 0 else compared.stdout.strip()
    if output_format != "jsonl":
        (work / f"{output_format}-1").unlink()
        (work / f"{output_format}-2").unlink()
    return found


def stopped_run(tag: list, text: Path, folder: Path, how: str, expected: bytes) -> dict:
    """A --num-proc 2 run into the empty `folder`, stopped `how` after MID_RUN_SECONDS of
    tagging; what it left behind."""
    folder.mkdir()
    out = folder / "tagged.jsonl"
    process = subprocess.Popen(
        [*map(str, tag), text, "--num-proc", "2", "-o", out],
        stderr=subprocess.PIPE,
        start_new_session=True,  # a process group of its own, as a shell makes for a job
        preexec_fn=in_the_foreground,
    )
    deadline = time.monotonic() + 60
    while len(children(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    workers = children(process.pid)
    time.sleep(MID_RUN_SECONDS)
    read = input_position(process.pid, text)
    if how == "ctrl_c":
        os.killpg(process.pid, signal.SIGINT)
    elif how == "sigkill_worker":
        os.kill(workers[0], signal.SIGKILL)
    elif how == "sigterm_worker":
        os.kill(workers[0], signal.SIGTERM)
    elif how == "sigint_worker_alone":
        os.kill(workers[0], signal.SIGINT)
    else:
        os.kill(process.pid, signal.SIGKILL)
    signalled = time.monotonic()
    _, stderr = process.communicate(timeout=120)
    while any(running(w) for w in workers) and time.monotonic() - signalled < 30:
        time.sleep(0.02)
    left = sorted(p.name for p in folder.iterdir())
    result = {
        "input_read_when_signalled": f"{read:,} of {text.stat().st_size:,} bytes"
        if read is not None
        else "already closed",
        "exit_code": process.returncode,
        "stderr": stderr.decode("utf-8", "replace"),
        "folder_afterwards": left,
        "workers": workers,
        "workers_still_running": [w for w in workers if running(w)],
        "seconds_until_workers_gone": round(time.monotonic() - signalled, 2),
    }
    if left == ["tagged.jsonl"]:
        result["output_identical_to_num_proc_1"] = out.read_bytes() == expected
        out.unlink()
    return result


def in_the_foreground() -> None:
    """SIGINT as a terminal's foreground job has it: a script started in the background (`&`)
    ignores SIGINT, and so would ner-tag, since Python keeps an ignored SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(child) for child in f.read().split()]
    except FileNotFoundError:
        return []


def running(pid: int) -> bool:
    """Whether `pid` still runs (a zombie does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def input_position(pid: int, path: Path) -> int | None:
    """How far `pid` has read `path` (its descriptor's offset), None if it is not open."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                    with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                        return int(f.read().split("pos:")[1].split()[0])
            except OSError:
                continue
    except OSError:
        pass
    return None


if __name__ == "__main__":
    main()
