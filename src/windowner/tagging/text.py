"""Tag raw text: split it into sentences of tokens, predict their tags, read off the entities.

`tag(model, text)` tags one text; `tag_texts(model, texts)` tags a stream of them, a batch of
texts at a time, in input order; `options` (a TagOptions) says how, among other things how a
text becomes sentences (tagging/segment.py). Every token keeps its character offsets into its
text, so every entity does too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

import numpy as np

from windowner.data.tokenizer import Token
from windowner.model_file import Model
from windowner.tagging.options import TagOptions
from windowner.tagging.predict import predict_flat, predict_types, token_table
from windowner.tagging.results import Entity, TaggedText
from windowner.tagging.segment import pieces, segment, shifted
from windowner.tagging.spans import batch_spans

DEFAULTS = TagOptions()

# Sentences are sent to the network in chunks of at most this many tokens (a longer sentence
# in pieces of this size), which bounds the memory of a forward pass whatever the input.
MAX_CHUNK_TOKENS = 16384


def tag(model: Model, text: str, options: TagOptions = DEFAULTS) -> TaggedText:
    """Tag one text."""
    return tag_batch(model, [text], options)[0]


def tag_texts(
    model: Model, texts: Iterable[str], options: TagOptions = DEFAULTS
) -> Iterator[TaggedText]:
    """Tag each text, `options.batch_size` texts at a time, yielding them in input order."""
    for batch in batches(texts, options.batch_size):
        yield from tag_batch(model, batch, options)


def tag_batch(
    model: Model,
    texts: Sequence[str],
    options: TagOptions = DEFAULTS,
    documents: Sequence[int] | None = None,
) -> list[TaggedText]:
    """Tag a batch of texts together: their sentences share forward passes. Each text is its
    own document unless `documents[i]` says which one text i is in (texts of one number share
    the document context: a table's rows with a document column)."""
    split = [segment(text, options.segmentation) for text in texts]
    of_text = range(len(texts)) if documents is None else documents
    documents = [of_text[i] for i, parts in enumerate(split) for _ in parts]  # per sentence
    return _tagged(model, list(texts), split, options.decode, documents)


def _tagged(
    model: Model,
    texts: list[str],
    split: list[list[list[Token]]],
    decode: str | None,
    documents: list[int],
) -> list[TaggedText]:
    """One TaggedText of texts[i] with the sentences split[i], all predicted together;
    documents[k] is the k-th sentence's document.

    The tags and scores come back flat for the whole batch and are sliced per sentence, and
    the entities are found for the whole batch at once (tagging/spans.py) and handed to each
    TaggedText, which would otherwise find them sentence by sentence.
    """
    tokens = [token for parts in split for sentence in parts for token in sentence]
    lengths = np.fromiter((len(s) for parts in split for s in parts), np.int64)
    ids, tags, scores = _predict_in_chunks(
        model, [token.text for token in tokens], lengths, decode, documents
    )
    found = None if ids is None else _entities(model, texts, split, tokens, lengths, ids, scores)
    tagged = []
    at = 0
    for i, (text, parts) in enumerate(zip(texts, split, strict=True)):
        mine_tags, mine_scores = [], []
        for sentence in parts:
            mine_tags.append(tags[at : at + len(sentence)])
            mine_scores.append(scores[at : at + len(sentence)])
            at += len(sentence)
        record = TaggedText(text, parts, mine_tags, mine_scores)
        if found is not None:
            record.__dict__["entities"] = found[i]  # what the cached property would compute
        tagged.append(record)
    return tagged


def _entities(
    model: Model,
    texts: list[str],
    split: list[list[list[Token]]],
    tokens: list[Token],
    lengths: np.ndarray,
    ids: np.ndarray,
    scores: list[float],
) -> list[list[Entity]]:
    """Each text's entities, as TaggedText.entities reads them, for all the texts at once.

    Shapes: tokens (L,) every sentence's tokens in order, lengths (S,), ids (L,) their tag ids,
    scores (L,) their tags' probabilities -> one list of entities per text.
    """
    starts, ends, labels = batch_spans(ids, lengths, tuple(model.tags))
    # the text each token belongs to: the first text whose tokens end after it
    text_ends = np.cumsum([sum(len(s) for s in parts) for parts in split])
    owner = np.searchsorted(text_ends, starts, side="right").tolist()
    found: list[list[Entity]] = [[] for _ in texts]
    for a, b, label, i in zip(starts.tolist(), ends.tolist(), labels, owner, strict=True):
        start, end = tokens[a].start, tokens[b - 1].end
        score = sum(scores[a:b]) / (b - a)  # TaggedText.entities' mean, in its order
        found[i].append(Entity(start, end, label, texts[i][start:end], score))
    return found


def tag_pieces(model: Model, text: str, options: TagOptions = DEFAULTS) -> Iterator[TaggedText]:
    """Tag a long text piece by piece (see pieces()): one TaggedText per piece, holding the
    whole `text` but only that piece's sentences, offsets into `text`. Together they hold the
    sentences tag() finds. Pieces are predicted together up to MAX_CHUNK_TOKENS tokens (so
    that the decoder runs over several sentences at once), and no more are held at a time."""
    group: list[list[list[Token]]] = []
    size = 0
    for start, piece in pieces(text):
        group.append(
            [shifted(sentence, start) for sentence in segment(piece, options.segmentation)]
        )
        size += sum(len(sentence) for sentence in group[-1])
        if size >= MAX_CHUNK_TOKENS:
            yield from _tag_group(model, text, group, options.decode)
            group, size = [], 0
    yield from _tag_group(model, text, group, options.decode)


def _tag_group(
    model: Model, text: str, group: list[list[list[Token]]], decode: str | None
) -> Iterator[TaggedText]:
    """One TaggedText per piece of `group` (each a list of sentences), predicted together."""
    # the pieces of one record are one document, as far as the group reaches
    documents = [0] * sum(len(split) for split in group)
    yield from _tagged(model, [text] * len(group), group, decode, documents)


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


def _predict_in_chunks(
    model: Model, words: list[str], lengths: np.ndarray, decode: str | None, documents: list[int]
) -> tuple[np.ndarray | None, list[str], list[float]]:
    """predict() over consecutive chunks of at most MAX_CHUNK_TOKENS tokens, in order: the
    tag ids (L,) (None for an --only-type model), tags (L,) and their probabilities (L,) of
    the sentences' `words` (L,), one after another, `lengths` (S,) long.

    A sentence longer than that (a paragraph without punctuation) is predicted piece by piece
    and its pieces' tags joined (an entity across a cut comes out as two), so that no input
    makes a forward pass larger. The document context (`documents[i]` is sentence i's) is found
    for all the sentences before they are cut into chunks, so no cut changes it. Every token
    is looked up in the model's TokenTable once, here, and the chunks take slices of that.
    """
    table = token_table(model)
    found = table.ids_of(words)
    lengths = np.asarray(lengths, np.int64)
    ends = np.cumsum(lengths)
    classes = None
    if model.features.document and len(lengths):
        classes = table.document_classes(found, lengths, documents)
    only_type = model.only_type
    parts: list[tuple] = []  # (tag ids or tags, probabilities) of each chunk, in order

    # each token's document: a chunk's sentences take theirs along, for the document prior,
    # which a model with it finds within the chunk
    token_document = np.repeat(np.asarray(documents, np.int64).reshape(-1), lengths)

    def run(a: int, b: int, part_lengths: np.ndarray) -> None:
        known = None if classes is None else classes[a:b]
        docs = token_document[a + np.cumsum(part_lengths) - part_lengths]
        if only_type:
            predictions = predict_types(model, found[a:b], part_lengths, decode, docs, known)
            tags = [tag for prediction in predictions for tag in prediction.tags]
            parts.append((tags, [p.probabilities for p in predictions]))
        else:
            ids, p = predict_flat(model, found[a:b], part_lengths, decode, docs, known)
            parts.append((ids, [p]))

    first = size = 0  # the chunk is sentences[first:i], of `size` tokens
    for i, n in enumerate(lengths.tolist()):
        if i > first and size + n > MAX_CHUNK_TOKENS:
            run(int(ends[first] - lengths[first]), int(ends[i - 1]), lengths[first:i])
            first, size = i, 0
        if n > MAX_CHUNK_TOKENS:  # one sentence, in pieces whose tags are then joined
            a = int(ends[i]) - n
            for at in range(a, a + n, MAX_CHUNK_TOKENS):
                piece = min(MAX_CHUNK_TOKENS, a + n - at)
                run(at, at + piece, np.array([piece], np.int64))
            first = i + 1
            continue
        size += n
    if first < len(lengths):
        run(int(ends[first] - lengths[first]), int(ends[-1]), lengths[first:])
    probabilities = [p for _, ps in parts for p in ps]
    scores = np.concatenate(probabilities).tolist() if probabilities else []
    if only_type:
        return None, [tag for tags, _ in parts for tag in tags], scores
    ids = np.concatenate([ids for ids, _ in parts]) if parts else np.zeros(0, np.int64)
    return ids, _tag_names(tuple(model.tags))[ids].tolist(), scores


@lru_cache(maxsize=16)
def _tag_names(tags: tuple[str, ...]) -> np.ndarray:
    """The tags as an object array, to turn many tag ids into their names in one gather."""
    return np.array(tags, dtype=object)
