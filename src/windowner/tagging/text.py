"""Tag raw text: split it into sentences of tokens, predict their tags, read off the entities.

`tag(model, text)` tags one text; `tag_texts(model, texts)` tags a stream of them, a batch of
texts at a time, in input order. How a text becomes sentences is the `segmentation`:

- "sentences" (the default): the CoNLL-style tokenizer and sentence splitter (data/tokenizer.py);
- "lines": every line is one sentence, still tokenized CoNLL-style (--one-sentence-per-line);
- "whitespace": every line is one sentence of whitespace-separated tokens (--pretokenized).

Every token keeps its character offsets into its text, so every entity does too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

from windowner.data.tags import spans
from windowner.data.tokenizer import Token, sentences, split_sentences, tokenize
from windowner.model_file import Model
from windowner.tagging.predict import Prediction, predict_types, token_table

SEGMENTATIONS = ("sentences", "lines", "whitespace")

# Texts tagged together by default: enough for the network's matrix products to be efficient
# and for the window encoder's per-call caches to be reused, few enough to stream.
DEFAULT_BATCH_SIZE = 512

# Sentences are sent to the network in chunks of at most this many tokens (a longer sentence
# in pieces of this size), which bounds the memory of a forward pass whatever the input.
MAX_CHUNK_TOKENS = 16384

# A text longer than this is cut at whitespace into pieces of at most this many characters,
# each segmented on its own (a sentence across a cut becomes two): the tokenizer and the
# decoder then work on bounded pieces, whatever the length of one input line (50 MB of words
# without a full stop is one "sentence"), and the pieces' sentences share batched passes.
MAX_PIECE_CHARS = 20_000

_LINE = re.compile(r"[^\n]+")
_NON_BLANK = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Entity:
    """A labelled span of a text: text[start:end] == self.text, offsets in characters.

    `score` is the mean of the model's probabilities of the span's tags (each token's softmax
    probability of the tag that decoding chose for it).
    """

    start: int
    end: int
    label: str
    text: str
    score: float


class TaggedToken(NamedTuple):
    """One token of a tagged text: text[start:end] == self.text, its tag and that tag's
    probability; `sentence` is the 0-based number of its sentence in the text."""

    text: str
    start: int
    end: int
    tag: str
    score: float
    sentence: int


@dataclass(frozen=True)
class TaggedText:
    """One text (one output record) with its sentences' tokens, their IOB2 tags and the
    model's probability of each tag. Shapes: sentences[k], tags[k], scores[k] all (n_k,)."""

    text: str
    sentences: list[list[Token]]
    tags: list[list[str]]
    scores: list[list[float]]

    @cached_property
    def entities(self) -> list[Entity]:
        """The entities of every sentence in text order, read off the tags as conlleval does."""
        found = []
        for tokens, tags, scores in zip(self.sentences, self.tags, self.scores, strict=True):
            for span in spans(tags):
                start, end = tokens[span.start].start, tokens[span.end - 1].end
                score = sum(scores[span.start : span.end]) / (span.end - span.start)
                found.append(Entity(start, end, span.label, self.text[start:end], score))
        return found

    @cached_property
    def tokens(self) -> list[TaggedToken]:
        """Every token of every sentence, in text order, with its offsets, tag and score."""
        return [
            TaggedToken(token.text, token.start, token.end, tag, score, k)
            for k, (tokens, tags, scores) in enumerate(
                zip(self.sentences, self.tags, self.scores, strict=True)
            )
            for token, tag, score in zip(tokens, tags, scores, strict=True)
        ]


def tag(
    model: Model, text: str, segmentation: str = "sentences", decode: str | None = None
) -> TaggedText:
    """Tag one text. `decode` is 'greedy' or 'viterbi'; None takes the model's own."""
    return tag_batch(model, [text], segmentation, decode)[0]


def tag_texts(
    model: Model,
    texts: Iterable[str],
    segmentation: str = "sentences",
    decode: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[TaggedText]:
    """Tag each text, `batch_size` texts at a time, yielding them in input order."""
    for batch in batches(texts, batch_size):
        yield from tag_batch(model, batch, segmentation, decode)


def tag_batch(
    model: Model, texts: Sequence[str], segmentation: str = "sentences", decode: str | None = None
) -> list[TaggedText]:
    """Tag a batch of texts together: their sentences share forward passes."""
    split = [segment(text, segmentation) for text in texts]
    flat = [[token.text for token in sentence] for parts in split for sentence in parts]
    documents = [i for i, parts in enumerate(split) for _ in parts]  # a text is a document
    predicted = iter(_predict_in_chunks(model, flat, decode, documents))
    tagged = []
    for text, parts in zip(texts, split, strict=True):
        mine = [next(predicted) for _ in parts]
        tags = [prediction.tags for prediction in mine]
        scores = [prediction.probabilities.tolist() for prediction in mine]
        tagged.append(TaggedText(text, parts, tags, scores))
    return tagged


def tag_pieces(
    model: Model, text: str, segmentation: str = "sentences", decode: str | None = None
) -> Iterator[TaggedText]:
    """Tag a long text piece by piece (see pieces()): one TaggedText per piece, holding the
    whole `text` but only that piece's sentences, offsets into `text`. Together they hold the
    sentences tag() finds. Pieces are predicted together up to MAX_CHUNK_TOKENS tokens (so
    that the decoder runs over several sentences at once), and no more are held at a time."""
    group: list[list[list[Token]]] = []
    size = 0
    for start, piece in pieces(text):
        group.append([_shifted(sentence, start) for sentence in segment(piece, segmentation)])
        size += sum(len(sentence) for sentence in group[-1])
        if size >= MAX_CHUNK_TOKENS:
            yield from _tag_group(model, text, group, decode)
            group, size = [], 0
    yield from _tag_group(model, text, group, decode)


def _tag_group(
    model: Model, text: str, group: list[list[list[Token]]], decode: str | None
) -> Iterator[TaggedText]:
    """One TaggedText per piece of `group` (each a list of sentences), predicted together."""
    flat = [[token.text for token in sentence] for split in group for sentence in split]
    # the pieces of one record are one document, as far as the group reaches
    predicted = iter(_predict_in_chunks(model, flat, decode, [0] * len(flat)))
    for split in group:
        mine = [next(predicted) for _ in split]
        tags = [prediction.tags for prediction in mine]
        scores = [prediction.probabilities.tolist() for prediction in mine]
        yield TaggedText(text, split, tags, scores)


def batches(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    """Consecutive lists of `size` texts (the last one shorter), read lazily."""
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def segment(text: str, segmentation: str = "sentences") -> list[list[Token]]:
    """Split `text` into sentences of tokens (see the module docstring); none are empty.

    A text longer than MAX_PIECE_CHARS is segmented piece by piece (see pieces()); the tokens'
    offsets are into the whole text either way.
    """
    if len(text) > MAX_PIECE_CHARS:
        return [
            _shifted(sentence, start)
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
                found.append(_shifted(joined, line.start()))
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
    raise ValueError(f"unknown segmentation {segmentation!r}: expected {SEGMENTATIONS}")


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


def _shifted(tokens: list[Token], offset: int) -> list[Token]:
    if offset == 0:
        return tokens
    return [Token(token.text, token.start + offset, token.end + offset) for token in tokens]


def _predict_in_chunks(
    model: Model, sentences: list[list[str]], decode: str | None, documents: list[int]
) -> list[Prediction]:
    """predict() over consecutive chunks of at most MAX_CHUNK_TOKENS tokens, in order.

    A sentence longer than that (a paragraph without punctuation) is predicted piece by piece
    and its pieces' tags joined (an entity across a cut comes out as two), so that no input
    makes a forward pass larger. The document context (`documents[i]` is sentence i's) is found
    for all the sentences before they are cut into chunks, so no cut changes it. Every token
    is looked up in the model's TokenTable once, here, and the chunks take slices of that.
    """
    if not sentences:
        return []
    table = token_table(model)
    type_of = table.type_ids(sentences)
    lengths = np.fromiter((len(s) for s in sentences), np.int64, count=len(sentences))
    ends = np.cumsum(lengths)
    classes = None
    if model.features.document:
        classes = table.document_classes(type_of, lengths, documents)
    predictions: list[Prediction] = []
    first = size = 0  # the chunk is sentences[first:i], of `size` tokens

    def flush(end: int) -> None:
        a, b = int(ends[first] - lengths[first]), int(ends[end - 1])
        known = None if classes is None else classes[a:b]
        chunk = predict_types(model, type_of[a:b], lengths[first:end], decode, None, known)
        predictions.extend(chunk)

    for i, n in enumerate(lengths.tolist()):
        if i > first and size + n > MAX_CHUNK_TOKENS:
            flush(i)
            first, size = i, 0
        if n > MAX_CHUNK_TOKENS:
            a = int(ends[i]) - n
            known = None if classes is None else classes[a : a + n]
            predictions.append(_predict_long(model, type_of[a : a + n], decode, known))
            first = i + 1
            continue
        size += n
    if first < len(lengths):
        flush(len(lengths))
    return predictions


def _predict_long(
    model: Model, type_of: np.ndarray, decode: str | None, classes: np.ndarray | None
) -> Prediction:
    """One sentence of more than MAX_CHUNK_TOKENS tokens (type_of (n,)), piece by piece."""
    pieces = [
        predict_types(
            model,
            type_of[i : i + MAX_CHUNK_TOKENS],
            np.array([len(type_of[i : i + MAX_CHUNK_TOKENS])], np.int64),
            decode,
            None,
            None if classes is None else classes[i : i + MAX_CHUNK_TOKENS],
        )[0]
        for i in range(0, len(type_of), MAX_CHUNK_TOKENS)
    ]
    tags = [tag for piece in pieces for tag in piece.tags]
    return Prediction(tags, np.concatenate([piece.probabilities for piece in pieces]))
