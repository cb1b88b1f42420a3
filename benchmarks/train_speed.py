"""Seconds of a training epoch of the default run, as users start it and with BLAS on 1 and 2
threads; the `train` part of run.py, and measure.py's `train` (which the scaling sweep reuses)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from child_process import console_script, measure, run_child
from corpus import conll_tokens
from project import CONFIG, DATA, PRIOR_OFF, ROOT
from timing import blas_limit, blas_threads


def bench_train(out: Path, epochs: int) -> dict:
    """The default run (GloVe 50d, casing, fine-tuning, 300 tanh units, batch 32, window 2).

    First as users run it, `ner-train --config configs/conll2003.toml` (with its own choice of
    BLAS threads); then in a process of ours with BLAS on 1 and on 2 threads, for comparison,
    where the CPU time of each epoch is measured too. The best of `epochs` epochs is the figure.
    """
    command = [
        *console_script("ner-train", "windowner.cli.train"),
        *("--config", CONFIG, "--out", out, "--epochs", epochs, "--force", "--quiet"),
        *("--set", 'data.test=""'),  # no test set: only the epochs and dev are timed
        *("--set", "model.prior_dim=0"),  # one network (project.PRIOR_OFF)
    ]
    _, peak_mb, _, error = run_child(command)
    if error:
        return {"train_error": error}
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    history = [record for record in history if "epoch" in record]
    seconds = [record["seconds"] for record in history]
    windows = conll_tokens(DATA / "train.txt")
    found = {
        "train_seconds_per_epoch": min(seconds),
        "train_windows_per_s": round(windows / min(seconds)),
        "train_windows": windows,
        "train_epoch_seconds_all": seconds,
        "train_dev_f1_by_epoch": [record["dev_f1"] for record in history],
        "peak_rss_mb_train": peak_mb,
    }
    by_threads, same = {}, True
    for threads in (1, 2):
        result, _, _, error = measure(
            "train", "--out", out.with_name(f"train-{threads}"), "--epochs", epochs,
            "--blas-threads", threads,
        )  # fmt: skip
        if error:
            by_threads[str(threads)] = error
            continue
        by_threads[str(threads)] = min(result["seconds"])
        found[f"train_epoch_seconds_all_blas_{threads}"] = result["seconds"]
        found[f"train_epoch_cpu_seconds_all_blas_{threads}"] = result["cpu_seconds"]
        same = same and result["dev_f1"] == found["train_dev_f1_by_epoch"]
    found["train_seconds_per_epoch_by_blas_threads"] = by_threads
    found["train_dev_f1_same_for_every_run"] = same  # thread counts must not change a number
    return found


def measure_train(args) -> dict:
    """Train with the default config (overridden as asked); each epoch's seconds and dev F1."""
    from windowner.config import load_config
    from windowner.training.run import train

    overrides = {"out": args.out, "training.epochs": args.epochs, "data.test": "", **PRIOR_OFF}
    for key, value in (
        ("data.train", args.train),
        ("data.dev", args.dev),
        ("model.hidden", args.hidden),
        ("training.batch_size", args.batch_size),
    ):
        if value is not None:
            overrides[key] = value
    with contextlib.chdir(ROOT):  # the config's data paths are relative to the project
        config = load_config(CONFIG, overrides)
        windows = conll_tokens(config.data.train)
        with blas_limit(args.blas_threads):
            threads = blas_threads()
            result = train(config, force=True, log=lambda line: None, progress=False)
    epochs = [record for record in result.history if "epoch" in record]
    return {
        "windows": windows,
        "blas_threads": threads,
        "seconds": [record["seconds"] for record in epochs],
        # process CPU time: with BLAS on one thread, what a quiet machine's clock would show
        "cpu_seconds": [record["cpu_seconds"] for record in epochs],
        "dev_f1": [record["dev_f1"] for record in epochs],
        "train_loss": [record["train_loss"] for record in epochs],
    }
