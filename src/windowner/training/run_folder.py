"""A run's folder: the files a run writes there, the lock that keeps it to one run at a time, and
the swap that keeps it to one run's files at a time.

A folder shows one run. A run into a folder that already holds one (`--force`, or the files an
unfinished run left) trains in FOLDER/.next beside it, and only once it has finished are its files
moved over the previous run's: until then the folder holds the previous run whole, after it the
new run whole. A run stopped before its end leaves its files in .next, where --resume finds them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

from windowner.atomic import link_or_copy, refuse_inputs
from windowner.errors import UserError, writing

MODEL_FILE = "model.npz"  # the best epoch on dev: what ner-eval and ner-tag are given
BEST_FILE, LAST_FILE = "model-best.npz", "model-last.npz"
CHECKPOINT_FILE = "checkpoint.npz"  # what --resume continues from
METRICS_FILE, CONFIG_FILE, SCORES_FILE = "metrics.jsonl", "config.toml", "scores.json"
CURVES_FILE = "training-curves.png"
LOCK_FILE = ".lock"
NEXT_DIR = ".next"  # where a run trains while the folder still holds the previous run
# Every file of a run.
RUN_FILES = (
    MODEL_FILE,
    BEST_FILE,
    LAST_FILE,
    CHECKPOINT_FILE,
    METRICS_FILE,
    CONFIG_FILE,
    CURVES_FILE,
    SCORES_FILE,
)


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


def holds_run(out: Path) -> bool:
    """Whether `out` holds a run's files (finished or not), which a new run must not mix with."""
    return any(os.path.lexists(out / name) for name in RUN_FILES)


def discard_next(out: Path) -> None:
    """Delete OUT/.next: an unfinished run that the run starting now replaces."""
    staged = out / NEXT_DIR
    if staged.is_dir() and not staged.is_symlink():
        with writing(staged, "a folder"):
            shutil.rmtree(staged)


def swap_pending(out: Path) -> bool:
    """Whether OUT/.next holds a finished run that is not yet (or not wholly) in `out`."""
    return (out / NEXT_DIR / SCORES_FILE).exists()


def swap_in(out: Path) -> None:
    """Replace the run in `out` by the finished run in OUT/.next, file by file, and drop .next.

    Each file is linked over its namesake by rename(2) (copied where hard links are missing),
    and a file the new run lacks (a checkpoint, model-last.npz) is deleted from `out`; SIGINT
    and SIGTERM wait until it is done. Only a SIGKILL or a power cut can stop it halfway, and
    then .next still holds the whole finished run: the next ner-train in the folder (a run or
    --resume) does the swap again, whole, before anything else.
    """
    staged = out / NEXT_DIR
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        for name in RUN_FILES:
            if os.path.lexists(staged / name):
                link_or_copy(staged / name, out / name)
            else:
                with writing(out / name, "an output file"):
                    (out / name).unlink(missing_ok=True)
        with writing(out, "an output folder"):
            directory = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
            (staged / SCORES_FILE).unlink()  # first: from here on .next is no finished run
            shutil.rmtree(staged)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
