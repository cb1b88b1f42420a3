"""Output files that appear whole or not at all, even when the writer is killed with SIGKILL.

On Linux the data goes into an unnamed file (O_TMPFILE) in the target's directory: it has no
name until the run succeeds, when it is linked beside the target and renamed over it, so a run
killed at any point before that leaves nothing behind (the kernel frees the unnamed file). Where
O_TMPFILE is missing (other systems, some network file systems), atomic.atomic_write is used: a
hidden `.NAME.XXXXXXXX.tmp` beside the target, deleted on any error but left by a SIGKILL.
Either way the target holds its old content or the complete new one, never part of a run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from windowner.atomic import atomic_write
from windowner.errors import UserError


@contextlib.contextmanager
def open_output(path: str | Path, binary: bool = False) -> Iterator[IO]:
    """Open `path` for writing (UTF-8 text, or bytes); it gets the content only on success."""
    path = Path(path)
    if path.is_dir():
        raise UserError("is a directory, expected an output file name", path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = _unnamed_file(path.parent)
    except OSError as error:
        raise UserError(f"cannot write: {error.strerror}", path) from None
    mode, encoding = ("wb", None) if binary else ("w", "utf-8")
    if fd is None:
        with atomic_write(path, mode, encoding) as f:
            yield f
        return
    with os.fdopen(fd, mode, encoding=encoding, newline=None if binary else "") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())
        _link_over(f.fileno(), path)


def _unnamed_file(directory: Path) -> int | None:
    """A file descriptor of a new unnamed file in `directory`, or None where there is none."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None:
        return None
    try:
        fd = os.open(directory, flag | os.O_WRONLY | os.O_CLOEXEC, 0o666)  # umask applies
    except OSError:  # the file system does not support it (EOPNOTSUPP, EISDIR on old kernels)
        return None
    if not os.path.exists(f"/proc/self/fd/{fd}"):  # naming it later needs /proc
        os.close(fd)
        return None
    return fd


def _link_over(fd: int, path: Path) -> None:
    """Give the unnamed file `fd` the name `path`, replacing whatever was there atomically."""
    temporary = f".{path.name}.{os.getpid()}.tmp"
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        # dst_dir_fd makes Python call linkat(AT_SYMLINK_FOLLOW), which names the open file;
        # plain link() would try to hard-link the /proc symlink itself.
        os.link(f"/proc/self/fd/{fd}", temporary, dst_dir_fd=directory, follow_symlinks=True)
        try:
            os.replace(temporary, path.name, src_dir_fd=directory, dst_dir_fd=directory)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary, dir_fd=directory)
            raise
        os.fsync(directory)
    finally:
        os.close(directory)
