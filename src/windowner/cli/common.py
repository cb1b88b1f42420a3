"""What every command shares: turning user errors into one `error:` line and exit code 2."""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import sys
from collections.abc import Iterator

import typer

from windowner.errors import UserError

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # what shells report for a process stopped by SIGINT (128 + 2)


def make_app(help_text: str) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        add_completion=False,
        pretty_exceptions_enable=False,
        # help texts are plain text: "[@SPLIT]" or "[64, 256]" must print as written, not be
        # read as Rich markup and vanish
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


# What a failing write to standard output raises (`> /dev/full`, a full disk, a quota).
_STDOUT_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS})


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Print a UserError as `error: FILE:LINE: message` on stderr and exit 2, no traceback.

    Standard output is flushed before leaving, so that a write to it that fails (`> /dev/full`)
    is one line too. An OSError that names a file is the system refusing a path the user gave
    (or one beside it): one line naming it, wherever it was raised. Every file a command writes
    goes through atomic_write, which names it; an OSError of writing with no file name is
    therefore standard output's. A reader that goes
    away (`| head -1`) ends the command quietly with exit 0, as Unix tools do; a standard
    stream closed by the caller (`<&-`, `>&-`) is an error when the command uses it (see
    _guard_standard_streams). Ctrl-C (KeyboardInterrupt) is one line too, and exit 130: by
    then every file being written was dropped (atomic_write) and every worker stopped.
    """
    closed = _guard_standard_streams()
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:  # before OSError, of which it is a subclass
        _discard_stdout()
        raise typer.Exit(0) from None
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        raise typer.Exit(EXIT_USER_ERROR) from None
    except OSError as error:
        if error.filename is not None:
            # A path the system refused (a name over 255 bytes, a file where a folder must be,
            # no permission), wherever the command opened or examined it: one line naming it.
            refused = UserError(error.strerror or type(error).__name__, error.filename)
            print(f"error: {refused}", file=sys.stderr)
            raise typer.Exit(EXIT_USER_ERROR) from None
        if error.errno not in _STDOUT_ERRORS:
            raise
        print(f"error: standard output: cannot write: {error.strerror}", file=sys.stderr)
        _discard_stdout()
        raise typer.Exit(EXIT_USER_ERROR) from None
    finally:
        for name in closed:  # back to None, so that Python's own flush at exit skips them
            setattr(sys, name, None)


class _ClosedStream:
    """Stands in for a standard stream the caller closed, which Python leaves as None: any use
    of it (`sys.stdin.buffer`, `print`) raises one UserError instead of an AttributeError.
    Flushing is allowed, since nothing can have been written."""

    def __init__(self, description: str):
        self._description = description

    def flush(self) -> None:
        pass

    def __getattr__(self, name: str):
        raise UserError(f"{self._description} is closed")


def _guard_standard_streams() -> list[str]:
    """Make closed standard streams safe; return the names of those replaced by _ClosedStream.

    Each closed descriptor 0, 1 or 2 is first held open on /dev/null, so that no file the
    command opens can get that number and receive what is meant for the stream. A closed
    stdin or stdout becomes a _ClosedStream (an error when used); a closed stderr, which has
    nowhere to report to, writes to /dev/null (the exit code still tells).
    """
    for fd, mode in ((0, os.O_RDONLY), (1, os.O_WRONLY), (2, os.O_WRONLY)):
        try:
            os.fstat(fd)
        except OSError:
            held = os.open(os.devnull, mode)
            if held != fd:
                os.dup2(held, fd)
                os.close(held)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (open until exit, as stderr is)
    closed = []
    for name, description in (("stdin", "standard input"), ("stdout", "standard output")):
        if getattr(sys, name) is None:
            setattr(sys, name, _ClosedStream(description))
            closed.append(name)
    return closed


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so that Python's own flush at exit, which would fail
    again and print a second message, writes what is still buffered nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def json_text(value) -> str:
    """`value` as strict JSON, which every reader accepts: a NaN or infinite float (a score with
    nothing to score, as Spearman ρ over no pairs) becomes null, where `json.dumps` would write
    `NaN`, which is not JSON."""
    return json.dumps(_finite(value), allow_nan=False)


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """Give the matrix products one thread unless the user chose otherwise (before numpy loads).

    The products here are small ((32 × 270)·(270 × 300) in training); on this 2-core machine a
    second OpenBLAS thread costs more in spinning than it gains: an epoch takes 2.7 s with one
    thread and 3.4 s with two, and tagging end to end 8-9 s instead of 12 s on 300k tokens. The
    results are the same either way (checked bit for bit on a full training run).
    """
    if not any(name in os.environ for name in _BLAS_THREADS):
        for name in _BLAS_THREADS:
            os.environ[name] = "1"
