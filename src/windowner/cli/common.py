"""What every command shares: turning user errors into one `error:` line and exit code 2."""

from __future__ import annotations

import contextlib
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
