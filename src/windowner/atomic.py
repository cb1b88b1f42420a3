"""Every file windowner writes appears whole or not at all, even when the writer is killed.

One writer, atomic_write. On Linux the data goes into an unnamed file (O_TMPFILE) in the target's
folder: it has no name until the write succeeds, when it is linked beside the target and renamed
over it, so a run killed at any moment (SIGKILL included) leaves nothing behind and the kernel
frees the unnamed file. Where O_TMPFILE is missing (other systems, some network file systems) a
hidden `.NAME.XXXXXXXX.tmp` beside the target takes its place: deleted on any error, left only by
a SIGKILL. Either way the target holds its old content or the complete new one.

The names a writer gives its files for an instant (`.NAME.windowner-new-PID.tmp`) carry
windowner's mark, and only names with that mark whose process is gone are ever cleaned up: a
user's own `.NAME.123.tmp` is never touched.

What the target is decides how it is written. A symbolic link is followed: its final target is
replaced atomically, in that target's folder, and the link stays. A character device, a FIFO, a
socket, or a name of one of this process's descriptors (`/dev/stdout`, `/dev/fd/1`) is written to
directly, never replaced: `-o /dev/null` must leave /dev/null a device.

Failures to write (no space, a read-only file system, no permission, a path under a file) are
UserErrors naming the target, and the previous file stays as it was. `refuse_inputs` keeps a
command from writing over one of its own inputs.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from windowner.errors import UserError, writing

# errno values that mean "this output cannot be written", as opposed to a bug.
_WRITE_ERRORS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.EIO}
)
# What writing into a device or a /proc file in place can raise besides (EINVAL: the kernel
# accepts no such write there; ENXIO: no device behind the node).
_IN_PLACE_ERRORS = _WRITE_ERRORS | {errno.EINVAL, errno.ENXIO}

# The mark in every temporary name windowner gives (see _temporary_name): what clean-up removes.
_TEMPORARY_MARK = "windowner"
# Symbolic links followed before giving up, as the kernel's own limit (MAXSYMLINKS) is.
_MAX_LINKS = 40
_DESCRIPTORS = re.compile(r"/proc/(?:self|\d+)/fd")


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """Open a new file for `path`; on success it replaces `path` atomically, else it vanishes.

    `mode` is "wb" or "w" (text: UTF-8 unless `encoding` says otherwise, "\\n" line ends).
    A symlink's final target is what gets replaced (the link stays); a device, FIFO, socket or
    descriptor name is written to in place (see the module docstring).
    """
    named = Path(path)
    path, in_place = destination(named)
    if path.is_dir():
        raise UserError("is a directory, expected an output file name", named)
    if "b" not in mode and encoding is None:
        encoding = "utf-8"
    if in_place:
        with _in_place(path, named, mode, encoding) as f:
            yield f
        return
    with writing(path.parent, "a folder"):
        path.parent.mkdir(parents=True, exist_ok=True)
    with writing(path, "an output file"):
        _remove_stale_names(path)
        fd = _unnamed_file(path.parent)
        temporary = None
        if fd is None:
            fd, temporary = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
            )
            os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give open()'s permissions
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=None if "b" in mode else "") as f:
            try:
                yield f
                f.flush()
                os.fsync(f.fileno())
            except OSError as error:
                if error.errno in _WRITE_ERRORS:
                    raise UserError(f"cannot write: {error.strerror}", path) from None
                raise
            with writing(path, "an output file"):
                if temporary is None:
                    _link_over(f.fileno(), path)
                else:
                    os.replace(temporary, path)
                    temporary = None
    except OSError as error:  # raised while closing: the last buffered bytes did not fit
        if error.errno in _WRITE_ERRORS:
            raise UserError(f"cannot write: {error.strerror}", path) from None
        raise
    finally:
        if temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def destination(path: str | Path) -> tuple[Path, bool]:
    """Where writing `path` lands, and whether it is written in place rather than replaced.

    -> (the path with every symbolic link followed, in_place); `path` itself when it is no
    link. In place: a name of one of this process's descriptors (`/dev/stdout` ->
    /proc/self/fd/1), or an existing file that is neither a regular file nor a folder (a
    character device, a FIFO, a socket).
    """
    current = Path(path)
    for _ in range(_MAX_LINKS):
        parent = Path(os.path.realpath(current.parent))
        if _DESCRIPTORS.fullmatch(str(parent)):
            return parent / current.name, True
        if not current.is_symlink():
            break
        current = Path(os.path.normpath(parent / os.readlink(current)))
    else:
        raise UserError("too many levels of symbolic links", path)
    try:
        mode = current.stat().st_mode
    except OSError:  # absent (a new file, or a dangling link's target) or unreachable
        return current, False
    return current, not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def refuse_inputs(output: str | Path | None, inputs: dict[str, str | Path | None]) -> None:
    """Refuse, before anything is read, an `output` that is one of the command's `inputs`
    ({what: path}, e.g. {"input text": "in.txt", "model": "m.npz"}): the same regular file by
    any name (a hard link, a symlink, another spelling of the path) would be destroyed.
    A device or FIFO is never replaced, so `-o /dev/null` with input /dev/null is allowed."""
    if output is None:
        return
    target, in_place = destination(output)
    if in_place or not target.is_file():
        return
    for what, source in inputs.items():
        if source is None or source == "-":
            continue
        with contextlib.suppress(OSError):
            if os.path.samefile(target, source):
                raise UserError(f"is the {what} of this command: refusing to write over it", output)


def write_text(path: str | Path, text: str) -> None:
    with atomic_write(path, "w") as f:
        f.write(text)


def link_or_copy(source: str | Path, target: str | Path) -> None:
    """Make `target` the same file as `source` (hard link, else copy), replacing it atomically."""
    source, target = Path(source), Path(target)
    temporary = target.with_name(_temporary_name(target, "link"))
    temporary.unlink(missing_ok=True)
    with writing(target, "an output file"):
        _remove_stale_names(target)
        try:
            os.link(source, temporary)
        except OSError as error:  # no hard links here (another file system, some mounts)
            if error.errno in _WRITE_ERRORS - {errno.EPERM}:
                raise
            with open(source, "rb") as src, atomic_write(target) as dst:
                while block := src.read(1 << 20):
                    dst.write(block)
            return
        try:
            os.replace(temporary, target)
        finally:
            # rename(2) does nothing when both names are links of one file (target was already
            # a link of source), so the temporary name can outlive the replace.
            temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def _in_place(path: Path, named: Path, mode: str, encoding: str | None) -> Iterator[IO]:
    """Write into `path` as it is (a device, a FIFO, a descriptor); a failure is a UserError
    naming `named`, the name the user gave.

    One of this process's own descriptors is duplicated rather than opened again, so that the
    write continues where the descriptor stands (a `>>` redirection keeps appending)."""
    with writing(named, "an output file"):
        if _DESCRIPTORS.fullmatch(str(path.parent)) and path.parent.parent.name in (
            "self",
            str(os.getpid()),
        ):
            fd = os.dup(int(path.name))
        else:
            fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=None if "b" in mode else "") as f:
            yield f
    except OSError as error:  # while writing, or while closing (the last buffered bytes)
        if error.errno in _IN_PLACE_ERRORS:
            raise UserError(f"cannot write: {error.strerror}", named) from None
        raise


def _temporary_name(path: Path, kind: str) -> str:
    """The hidden name a writer of `path` gives a file for an instant: `kind` says which
    writer ("new": atomic_write, "link": link_or_copy), the pid which process."""
    return f".{path.name}.{_TEMPORARY_MARK}-{kind}-{os.getpid()}.tmp"


def _remove_stale_names(path: Path) -> None:
    """Delete the temporary names (see _temporary_name) that writers of `path` killed between
    naming their file and renaming it over `path` left behind. Only names with windowner's mark
    are candidates, and a live writer's name is never touched."""
    made = re.compile(rf"\.{re.escape(path.name)}\.{_TEMPORARY_MARK}-(?:new|link)-(\d+)\.tmp")
    for stale in path.parent.glob(f".{glob.escape(path.name)}.{_TEMPORARY_MARK}-*.tmp"):
        match = made.fullmatch(stale.name)
        if match is None or int(match[1]) == os.getpid() or _alive(int(match[1])):
            continue
        stale.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _unnamed_file(directory: Path) -> int | None:
    """A file descriptor of a new unnamed file in `directory`, or None where there is none."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None:
        return None
    try:
        fd = os.open(directory, flag | os.O_WRONLY | os.O_CLOEXEC, 0o666)  # umask applies
    except OSError as error:
        if error.errno in _WRITE_ERRORS:  # the folder itself refuses: say so, don't fall back
            raise
        return None  # the file system does not support it (EOPNOTSUPP, EISDIR on old kernels)
    if not os.path.exists(f"/proc/self/fd/{fd}"):  # naming it later needs /proc
        os.close(fd)
        return None
    return fd


def _link_over(fd: int, path: Path) -> None:
    """Give the unnamed file `fd` the name `path`, replacing whatever was there atomically."""
    temporary = _temporary_name(path, "new")
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
