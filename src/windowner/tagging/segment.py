"""How a text becomes sentences of tokens (choices.SEGMENTATIONS):

- "sentences" (the default): the CoNLL-style tokenizer and sentence splitter (data/tokenizer.py);
- "lines": every line is one sentence, still tokenized CoNLL-style (--one-sentence-per-line);
- "whitespace": every line is one sentence of whitespace-separated tokens (--pretokenized).

Every token keeps its character offsets into its text. A text longer than MAX_PIECE_CHARS is
segmented piece by piece, so that the tokenizer works on bounded pieces whatever the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from windowner.choices import SEGMENTATIONS, check_choice
from windowner.data.tokenizer import Token, sentences, split_sentences, tokenize

# A text longer than this is cut at whitespace into pieces of at most this many characters,
# each segmented on its own (a sentence across a cut becomes two): the tokenizer and the
# decoder then work on bounded pieces, whatever the length of one input line (50 MB of words
# without a full stop is one "sentence"), and the pieces' sentences share batched passes.
MAX_PIECE_CHARS = 20_000

_LINE = re.compile(r"[^\n]+")
_NON_BLANK = re.compile(r"\S+")


def segment(text: str, segmentation: str = "sentences") -> list[list[Token]]:
    """Split `text` into sentences of tokens (see the module docstring); none are empty.

    A text longer than MAX_PIECE_CHARS is segmented piece by piece (see pieces()); the tokens'
    offsets are into the whole text either way.
    """
    if len(text) > MAX_PIECE_CHARS:
        return [
            shifted(sentence, start)
            for start, piece in pieces(text)
            for sentence in segment(piece, segmentation)
        ]
    if segmentation == "sentences":
        return sentences(text)
    if segmentation == "lines":
        found = []
        for line in _LINE.finditer(text):
            tokens = tokenize(line[0])
            # The splitter still splits a line-final abbreviation's period off ("U.S" "."), as
            # CoNLL does at a sentence end; its sentences are then joined back into one.
            joined = [token for part in split_sentences(tokens, line[0]) for token in part]
            if joined:
                found.append(shifted(joined, line.start()))
        return found
    if segmentation == "whitespace":
        found = []
        for line in _LINE.finditer(text):
            offset = line.start()
            tokens = [
                Token(m[0], offset + m.start(), offset + m.end())
                for m in _NON_BLANK.finditer(line[0])
            ]
            if tokens:
                found.append(tokens)
        return found
    check_choice(segmentation, SEGMENTATIONS, "segmentation")  # raises for an unknown one
    raise AssertionError(f"segmentation {segmentation!r} has no branch here")


def pieces(text: str, size: int | None = None) -> Iterator[tuple[int, str]]:
    """Consecutive pieces of `text` of at most `size` (MAX_PIECE_CHARS) characters, with their
    start offsets.

    Each cut is at the last line break of the piece's second half, else at its last
    whitespace, so that no token is cut unless a single one is longer than `size`.
    """
    size = size or MAX_PIECE_CHARS
    start = 0
    while len(text) - start > size:
        end = start + size
        cut = text.rfind("\n", start + size // 2, end)
        if cut < 0:
            cut = max(text.rfind(space, start + 1, end) for space in " \n\t\r\f\v\u00a0")
        if cut <= start:
            cut = end
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


def shifted(tokens: list[Token], offset: int) -> list[Token]:
    if offset == 0:
        return tokens
    return [Token(token.text, token.start + offset, token.end + offset) for token in tokens]
