"""What every command shares: turning user errors into one `error:` line and exit code 2."""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Print a UserError as `error: FILE:LINE: message` on stderr and exit 2, no traceback."""
    try:
        yield
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        raise typer.Exit(EXIT_USER_ERROR) from None
    except BrokenPipeError:
        # The reader went away (`ner-tag ... | head`): stop quietly, as Unix tools do.
        sys.stderr.close()
        raise typer.Exit(0) from None


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
