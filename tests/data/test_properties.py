"""Property-based tests (hypothesis): readers never fail but with a UserError, tag schemes round
trip, tokenizer offsets slice back to their tokens."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from windowner.data.conll import read_conll
from windowner.data.tags import SCHEMES, Span, spans, spans_to_tags
from windowner.data.tokenizer import sentences, tokenize
from windowner.errors import UserError
from windowner.vectors.loading import load_vectors

FAST = settings(max_examples=200, deadline=None)


def _read(data: bytes, reader):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.txt"
        path.write_bytes(data)
        try:
            return reader(path)
        except UserError as error:
            assert error.path == str(path)
            return None


@FAST
@given(st.binary(max_size=400))
def test_any_bytes_are_a_corpus_or_a_user_error(data):
    corpus = _read(data, read_conll)
    if corpus is not None:
        assert corpus.sentences
        for sentence in corpus.sentences:
            assert len(sentence.tokens) == len(sentence.tags) > 0
            assert all(token.strip() for token in sentence.tokens)


# Lines built from CoNLL-like pieces reach the parser's deeper checks more often than raw bytes.
_FIELD = st.sampled_from(
    ["EU", "B-ORG", "I-ORG", "O", "I-", "S-LOC", "PER", "-DOCSTART-", "x\u00a0y", "#", "é"]
)
_LINE = st.lists(_FIELD, max_size=4).map(" ".join) | st.sampled_from(["", " ", "\t", "\r"])


@FAST
@given(st.lists(_LINE, max_size=12).map("\n".join))
def test_conll_like_text_is_a_corpus_or_a_user_error(text):
    corpus = _read(text.encode(), read_conll)
    if corpus is not None:
        assert all(
            tag == "O" or tag[:2] in {"B-", "I-"} for s in corpus.sentences for tag in s.tags
        )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["the", "of", "1", "0.5", "nan", "x", "2 3", ""]), max_size=5).map(
            " ".join
        ),
        max_size=6,
    ).map("\n".join)
)
def test_any_vector_text_is_vectors_or_a_user_error(text):
    vectors = _read(text.encode(), lambda path: load_vectors(str(path), cache=False))
    if vectors is not None:
        assert vectors.matrix.shape == (len(vectors.words), vectors.dim)
        assert vectors.dim > 0 and len(set(vectors.words)) == len(vectors.words)


@st.composite
def sentence_spans(draw):
    """A sentence length and non-overlapping spans with types from a small set."""
    length = draw(st.integers(0, 12))
    cuts = sorted(draw(st.sets(st.integers(0, length), max_size=8)))
    found = []
    for start, end in itertools.pairwise(cuts):
        if draw(st.booleans()):
            found.append(Span(start, end, draw(st.sampled_from(["PER", "ORG", "WORK-OF-ART"]))))
    return length, found


@FAST
@given(sentence_spans(), st.sampled_from(SCHEMES))
def test_spans_round_trip_through_every_scheme(case, scheme):
    length, expected = case
    tags = spans_to_tags(expected, length, scheme)
    assert len(tags) == length
    back = spans(tags, scheme)
    if scheme == "io":  # IO merges a chunk into the one of its type right before it
        merged: list[Span] = []
        for span in expected:
            if merged and merged[-1].end == span.start and merged[-1].label == span.label:
                span = Span(merged.pop().start, span.end, span.label)
            merged.append(span)
        expected = merged
    assert back == expected
    if scheme != "io":  # the prefixes alone say which scheme it is
        assert spans(tags) == expected


_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(list(" .,'\"()-$%")),
    max_size=80,
)


@FAST
@given(_TEXT)
def test_token_offsets_slice_back_to_the_token(text):
    for token in tokenize(text):
        assert 0 <= token.start < token.end <= len(text)
        assert text[token.start : token.end] == token.text
    for sentence in sentences(text):
        for token in sentence:
            assert text[token.start : token.end] == token.text
