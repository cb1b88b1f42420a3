"""The one error family for mistakes a user can fix (bad files, bad flags)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

# What would break an error line in two or move the cursor about: C0 and C1 control characters
# (a tab too) and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class UserError(Exception):
    """A problem in the user's input; the CLI prints it as one `error:` line and exits 2.

    `path` and `line` (1-based), when known, are printed in front of the message as
    `FILE:LINE: message`, the way compilers and conlleval users expect. Messages quote the
    user's values with choices.quoted; whatever a path or message still holds, the error is one
    line: a control character in it is written as its escape (`\\n`, `\\x1b`).
    """

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        return one_line(where + self.message)


def one_line(text: str) -> str:
    """`text` with every control character written as its Python escape: one printable line."""
    return _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)


@contextlib.contextmanager
def reading(path: str | Path, expected: str) -> Iterator[None]:
    """Turn the OSErrors of opening or reading `path` into UserErrors that name it.

    `expected` says what a directory should have been, e.g. "a CoNLL file".
    """
    try:
        yield
    except FileNotFoundError:
        raise UserError("no such file", path) from None
    except IsADirectoryError:
        raise UserError(f"is a directory, expected {expected}", path) from None
    except OSError as error:
        raise UserError(f"cannot read: {error.strerror}", path) from None


@contextlib.contextmanager
def writing(path: str | Path, expected: str) -> Iterator[None]:
    """Turn the OSErrors of creating or writing `path` into UserErrors that name it.

    `expected` says what `path` should have been, e.g. "an output folder".
    """
    try:
        yield
    except FileExistsError:
        raise UserError(f"exists and is not {expected}", path) from None
    except IsADirectoryError:
        raise UserError(f"is a directory, expected {expected}", path) from None
    except NotADirectoryError:
        raise UserError(
            f"a part of the path is a file, not a folder (expected {expected})", path
        ) from None
    except OSError as error:
        raise UserError(f"cannot write: {error.strerror or error}", path) from None


def first_line(error: BaseException) -> str:
    """The first line of a library's exception (at most 300 characters), or its type's name:
    what a UserError quotes of a cause whose full text would be a page of Java or pyarrow."""
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:300]


# --- bounds -------------------------------------------------------------------------------------
# What windowner will allocate for one input, checked before the allocation, so that a size no
# machine could hold is one line instead of a MemoryError (or the OOM killer). Every limit that
# sizes an array is declared here, once.

# The most bytes one array (a parameter matrix, a file's vectors, a table of targets) may take.
MAX_ARRAY_BYTES = 4 * 2**30
# The most tags a model may have: Viterbi keeps a (T, T) transition matrix and a (n, T, T)
# score table per sentence, and the sigmoid head's targets are (tokens, T). 1,001 tags are 500
# entity types in IOB2, far beyond any NER tag set (OntoNotes has 18 types, FIGER 112).
MAX_TAGS = 1001


def check_size(what: str, count: int, itemsize: int = 4, path: str | Path | None = None) -> None:
    """A UserError if `count` items of `itemsize` bytes (`what`, e.g. "W (300 × 2,150)") would
    take more than MAX_ARRAY_BYTES; call it before allocating them."""
    needed = count * itemsize
    if needed > MAX_ARRAY_BYTES:
        raise UserError(
            f"{what} would need {_gib(needed)} of memory, more than windowner's limit of "
            f"{_gib(MAX_ARRAY_BYTES)} for one array",
            path,
        )


def _gib(size: int) -> str:
    return f"{size / 2**30:,.1f} GiB" if size < 2**70 else f"{size:.3g} bytes"
