"""What every command shares: turning user errors into one `error:` line and exit code 2."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Iterator

import typer

from windowner.errors import UserError

EXIT_USER_ERROR = 2


def make_app(help_text: str) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


# What a failing write to standard output raises (`> /dev/full`, a full disk, a quota).
_STDOUT_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS})


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Print a UserError as `error: FILE:LINE: message` on stderr and exit 2, no traceback.

    Standard output is flushed before leaving, so that a write to it that fails (`> /dev/full`)
    is one line too. Every file a command writes goes through atomic_write, which names it; an
    OSError of writing with no file name is therefore standard output's.
    """
    try:
        yield
        sys.stdout.flush()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        raise typer.Exit(EXIT_USER_ERROR) from None
    except OSError as error:
        if error.filename is not None or error.errno not in _STDOUT_ERRORS:
            raise
        print(f"error: standard output: cannot write: {error.strerror}", file=sys.stderr)
        _discard_stdout()
        raise typer.Exit(EXIT_USER_ERROR) from None
    except BrokenPipeError:
        # The reader went away (`ner-tag ... | head`): stop quietly, as Unix tools do.
        sys.stderr.close()
        raise typer.Exit(0) from None


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so that Python's own flush at exit, which would fail
    again and print a second message, writes what is still buffered nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


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
