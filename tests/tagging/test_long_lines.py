"""One enormous line (issue 16): cut into bounded pieces at whitespace, tagged and written piece
by piece, with the output and the offsets of tagging it whole, in bounded memory."""

from __future__ import annotations

import itertools
import json
import random
import tracemalloc

import pytest

from tests.test_model_file import tiny_model
from windowner.tagging import segment, stream, text
from windowner.tagging.formats import FORMATS, FORMATTERS, footer, header
from windowner.tagging.options import TagOptions
from windowner.tagging.segment import pieces
from windowner.tagging.text import tag_batch

WORDS = ["Paris", "met", "New", "York", "on", "Tuesday", ".", "naïve", "paris", "\t", "x" * 40]


def random_text(rng: random.Random, words: int) -> str:
    return "".join(
        rng.choice(WORDS) + rng.choice([" ", " ", "  ", "\n", "\u00a0"]) for _ in range(words)
    )


def test_pieces_are_bounded_cut_at_whitespace_and_add_up_to_the_text():
    rng = random.Random(16)
    for case in range(300):
        size = rng.randint(1, 120)
        whole = random_text(rng, rng.randint(0, 80)) if case % 10 else "y" * rng.randint(0, 300)
        found = list(pieces(whole, size))
        assert "".join(piece for _, piece in found) == whole
        assert [start for start, _ in found] == [
            sum(len(p) for _, p in found[:i]) for i in range(len(found))
        ]
        for (start, piece), (after, _) in itertools.pairwise(found):
            assert 0 < len(piece) <= size
            # cut before a whitespace character, unless the piece had none to cut at
            assert whole[after].isspace() or not any(c.isspace() for c in piece[1:]), (case, start)


@pytest.fixture
def small_pieces(monkeypatch):
    """Pieces of 300 characters, predictions of 64 tokens: a 'long' text is a few KB."""
    monkeypatch.setattr(segment, "MAX_PIECE_CHARS", 300)
    monkeypatch.setattr(stream, "MAX_PIECE_CHARS", 300)
    monkeypatch.setattr(text, "MAX_CHUNK_TOKENS", 64)


@pytest.mark.parametrize("segmentation", ["sentences", "lines", "whitespace"])
def test_a_long_text_is_written_piece_by_piece_exactly_as_formatted_whole(
    small_pieces, segmentation
):
    model = tiny_model()
    rng = random.Random(len(segmentation))
    texts = ["Paris met New York .", random_text(rng, 900), "", "   ", random_text(rng, 15)]
    assert len(texts[1]) > 3000 and len(texts[-1]) <= 300 < len(texts[1])
    whole = tag_batch(model, texts, TagOptions(segmentation))  # segment() cuts the same pieces
    for output_format in FORMATS:
        for with_tokens in (False, True) if output_format == "jsonl" else (False,):
            options = TagOptions(segmentation, batch_size=3, with_tokens=with_tokens)
            written: list[str] = []
            stream.tag_stream(
                model,
                texts,
                written.append,
                output_format=output_format,
                options=options,
            )
            expected = header(output_format, tuple(model.entity_types))
            expected += "".join(
                FORMATTERS[output_format](t, i, options) for i, t in enumerate(whole, 1)
            )
            expected += footer(output_format)
            assert "".join(written) == expected, (output_format, with_tokens)
            if with_tokens:
                jsonl = "".join(written)
    records = [json.loads(line) for line in jsonl.splitlines()]
    assert [r["text"] for r in records] == texts
    for record in records:
        for entity in record["entities"]:
            assert record["text"][entity["start"] : entity["end"]] == entity["text"]
        for sentence in record["tokens"]:
            for token in sentence:
                assert record["text"][token["start"] : token["end"]] == token["text"]


def test_memory_does_not_grow_with_the_length_of_one_line(small_pieces):
    """Tagging a 3,000-token line piece by piece peaks at a fraction of what holding all its
    tokens takes (the old way: the whole line tokenized and decoded at once)."""
    model = tiny_model()
    line = random_text(random.Random(0), 3_000)

    def peak(work) -> int:
        tracemalloc.start()
        work()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    pieced = peak(lambda: stream.tag_stream(model, [line], lambda part: None))
    at_once = peak(lambda: FORMATTERS["jsonl"](tag_batch(model, [line])[0], 1, TagOptions()))
    assert pieced < at_once / 4, (pieced, at_once)
