"""A run's folder: the files a run writes there, and the lock that keeps it to one run at a time."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from windowner.atomic import refuse_inputs
from windowner.errors import UserError, writing

MODEL_FILE = "model.npz"  # the best epoch on dev: what ner-eval and ner-tag are given
BEST_FILE, LAST_FILE = "model-best.npz", "model-last.npz"
CHECKPOINT_FILE = "checkpoint.npz"  # what --resume continues from
METRICS_FILE, CONFIG_FILE, SCORES_FILE = "metrics.jsonl", "config.toml", "scores.json"
CURVES_FILE = "training-curves.png"
LOCK_FILE = ".lock"


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """Create `out` if need be and hold its lock for the whole run.

    A second run on the same folder refuses with one line instead of interleaving its writes. The
    lock is flock(2) on OUT/.lock: the kernel drops it when the process ends, however it ends, so
    a run killed with SIGKILL never blocks the next one.
    """
    created = not out.exists()
    with writing(out, "an output folder"):
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError("another ner-train is running in this folder", out) from None
        yield
    except BaseException:
        if created and [p.name for p in out.iterdir()] == [LOCK_FILE]:
            # A run that failed before writing anything leaves no folder behind. (The lock file
            # itself stays in a folder that holds a run: unlinking it could let two runs lock
            # two different files of the same name.)
            (out / LOCK_FILE).unlink()
            out.rmdir()
        raise
    finally:
        os.close(fd)


def refuse_own_config(config_file: str | Path | None, out: str | Path) -> None:
    """Refuse a config file that is the run's own OUT/config.toml (by any name, a hard link
    included): the run would replace it, comments and all, with the resolved config."""
    refuse_inputs(Path(out) / CONFIG_FILE, {"config file": config_file})
