"""The word lists of the intrinsic evaluation (analogy questions, rated word pairs): the copies
gensim ships, and the lines of any such file, read in bounded pieces.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from windowner.data.bounded import decoded_lines

ANALOGIES = "questions-words.txt"
WORDSIM353 = "wordsim353.tsv"
SIMLEX999 = "simlex999.txt"
# A word pair or an analogy question is a line of a few words: past this it is no such file.
MAX_LINE_BYTES = 1 << 16


def gensim_test_file(name: str) -> Path:
    """A file of the test data gensim ships (questions-words.txt, wordsim353.tsv, ...)."""
    from gensim.test.utils import datapath

    return Path(datapath(name))


def read_lines(path: str | Path) -> Iterator[str]:
    """The lines of a word-pairs or analogies file, read in bounded pieces (data/bounded.py)."""
    return decoded_lines(path, "a word-pairs or analogies file", max_line=MAX_LINE_BYTES)
