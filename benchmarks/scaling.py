"""How the cost of a training epoch grows with the hidden units and with the batch size (the
`scaling` part of run.py; the plot is scaling_plot.py's)."""

from __future__ import annotations

from pathlib import Path

from child_process import measure
from corpus import conll_tokens, head_of_conll
from project import DATA, DEFAULT_BATCH, DEFAULT_HIDDEN

# Hidden units at batch 32, then batch sizes at 300 hidden units. Each setting trains on the
# first SCALING_WINDOWS windows of train.txt and is scaled to the full epoch.
HIDDEN_SIZES, BATCH_SIZES = (100, 300, 1000), (1, 8, 32, 128, 512)
SCALING_WINDOWS = 20_000


def bench_scaling(work: Path, results: dict) -> dict:
    """Seconds per epoch as the work grows: hidden units, then batch size.

    A full epoch at batch 1 alone would take minutes, so each setting trains 2 epochs on the
    first ~SCALING_WINDOWS windows of train.txt (dev: the first 100 sentences of valid.txt),
    and its best epoch is scaled by full windows / subset windows. BLAS runs on one thread, so
    that the curves show the work and not how two threads fare against other processes.
    """
    train = head_of_conll(DATA / "train.txt", work / "train-head.txt", tokens=SCALING_WINDOWS)
    dev = head_of_conll(DATA / "valid.txt", work / "dev-head.txt", sentences=100)
    full = results.get("train_windows") or conll_tokens(DATA / "train.txt")
    settings = [(h, DEFAULT_BATCH) for h in HIDDEN_SIZES]
    settings += [(DEFAULT_HIDDEN, b) for b in BATCH_SIZES if b != DEFAULT_BATCH]
    rows = []
    for hidden, batch in settings:
        result, _, _, error = measure(
            "train",
            "--out",
            work / f"scale-{hidden}-{batch}",
            "--epochs",
            2,
            "--train",
            train,
            "--dev",
            dev,
            "--hidden",
            hidden,
            "--batch-size",
            batch,
            "--blas-threads",
            1,
        )
        row = {"hidden": hidden, "batch_size": batch}
        if error:
            row["error"] = error
        else:
            seconds = min(result["seconds"])
            row["windows_timed"] = result["windows"]
            row["seconds_per_epoch"] = round(seconds * full / result["windows"], 2)
            row["windows_per_s"] = round(result["windows"] / seconds)
            if result["cpu_seconds"]:
                cpu = min(result["cpu_seconds"]) * full / result["windows"]
                row["cpu_seconds_per_epoch"] = round(cpu, 2)
        rows.append(row)
    return {
        "method": (
            f"2 epochs on the first {SCALING_WINDOWS:,} windows of train.txt per setting, best "
            "epoch scaled to the full epoch's windows; BLAS on 1 thread"
        ),
        "full_epoch_windows": full,
        "hidden": [r for r in rows if r["batch_size"] == DEFAULT_BATCH],
        "batch_size": sorted(
            (r for r in rows if r["hidden"] == DEFAULT_HIDDEN), key=lambda r: r["batch_size"]
        ),
    }
