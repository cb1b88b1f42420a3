"""Tests for windowner.tagging.text: segmentation modes, batching, entities and their scores."""

from __future__ import annotations

import numpy as np
import pytest

from windowner.data.tokenizer import Token
from windowner.model_file import load_model
from windowner.tagging import text as tagging
from windowner.tagging.options import TagOptions
from windowner.tagging.predict import predict
from windowner.tagging.results import Entity, TaggedText
from windowner.tagging.segment import segment
from windowner.tagging.text import batches, tag, tag_batch, tag_texts

# Newswire written the way Reuters writes it, as raw text.
NEWS = (
    "WASHINGTON (Reuters) - President Bill Clinton said on Tuesday the U.S. economy grew 2.4 "
    'percent in the second quarter. "It\'s a good sign," he told reporters at the White House.\n'
    "Shares of Royal Dutch/Shell fell 1.5 pence to 1,010p in London, and Germany's Deutsche Bank "
    "rose 0.5 percent. Lt. Gen. John Shalikashvili arrived in Kabul on Sept. 12."
)

PARAGRAPHS = [
    "Angela Merkel met Emmanuel Macron in Paris on Tuesday.",
    "BRUSSELS 1996-08-22\n\nThe European Commission said on Thursday it disagreed with German "
    "advice to consumers to shun British lamb. Peter Blackburn reported from Brussels.",
    "",
    "   ",
    'Pete Sampras beat Jiri Novak 6-3 6-4 on Tuesday. "I didn\'t play my best," said Sampras.',
    NEWS,
]


@pytest.fixture(scope="module")
def model(trained):
    return load_model(trained / "model.npz")


def texts(sentences: list[list[Token]]) -> list[str]:
    return [" ".join(token.text for token in sentence) for sentence in sentences]


def assert_offsets_hold(text: str, sentences: list[list[Token]]) -> None:
    for sentence in sentences:
        assert sentence
        for token in sentence:
            assert text[token.start : token.end] == token.text


# --- segmentation ---------------------------------------------------------------------------


def test_sentences_are_split_as_conll_would():
    assert texts(segment(NEWS)) == [
        "WASHINGTON ( Reuters ) - President Bill Clinton said on Tuesday the U.S. economy grew "
        "2.4 percent in the second quarter .",
        '" It \'s a good sign , " he told reporters at the White House .',
        "Shares of Royal Dutch / Shell fell 1.5 pence to 1,010p in London , and Germany 's "
        "Deutsche Bank rose 0.5 percent .",
        "Lt. Gen. John Shalikashvili arrived in Kabul on Sept. 12 .",
    ]
    assert_offsets_hold(NEWS, segment(NEWS))


def test_one_sentence_per_line_tokenizes_but_never_splits():
    text = "He lives in the U.S. He left.\n\n  \nParis, France 3.5%"
    found = segment(text, "lines")
    # a line-final abbreviation still loses its period, as CoNLL writes it at a sentence end
    assert texts(found) == ["He lives in the U.S . He left .", "Paris , France 3.5 %"]
    assert_offsets_hold(text, found)
    assert texts(segment("in the U.S.", "lines")) == ["in the U.S ."]


def test_pretokenized_takes_whitespace_tokens_one_line_per_sentence():
    text = "EU rejects German call .\r\n\r\nU.S. don't 1/2\t(x)"
    found = segment(text, "whitespace")
    assert texts(found) == ["EU rejects German call .", "U.S. don't 1/2 (x)"]
    assert_offsets_hold(text, found)


def test_unknown_segmentation_is_a_bug_not_a_user_error():
    with pytest.raises(ValueError, match="unknown segmentation"):
        segment("text", "words")


def test_batches_keep_order_and_the_last_short_batch():
    assert list(batches(iter("abcdefg"), 3)) == [["a", "b", "c"], ["d", "e", "f"], ["g"]]
    assert list(batches([], 3)) == []


# --- tagging --------------------------------------------------------------------------------


def test_tag_finds_entities_whose_offsets_slice_back(model):
    tagged = tag(model, PARAGRAPHS[0])
    assert [(e.label, e.text) for e in tagged.entities] == [
        ("PER", "Angela Merkel"),
        ("PER", "Emmanuel Macron"),
        ("LOC", "Paris"),
    ]
    for text in PARAGRAPHS:
        for entity in tag(model, text).entities:
            assert text[entity.start : entity.end] == entity.text


def test_entity_score_is_the_mean_probability_of_its_tags(model):
    tagged = tag(model, NEWS)
    sentences = [[t.text for t in sentence] for sentence in tagged.sentences]
    # the text is one document: its sentences read each other's document context
    (prediction, *_) = predict(model, sentences, documents=[0] * len(sentences))
    assert tagged.tags[0] == prediction.tags
    np.testing.assert_allclose(tagged.scores[0], prediction.probabilities, rtol=1e-6)
    clinton = next(e for e in tagged.entities if e.text == "Bill Clinton")
    first = [t.start for t in tagged.sentences[0]].index(clinton.start)
    assert clinton.score == pytest.approx(np.mean(tagged.scores[0][first : first + 2]))
    assert all(0.0 < e.score <= 1.0 for e in tagged.entities)


def test_batching_and_chunking_do_not_change_results(model, monkeypatch):
    one_by_one = [tag(model, text) for text in PARAGRAPHS]
    together = tag_batch(model, PARAGRAPHS)
    longest = max(len(s) for text in PARAGRAPHS for s in segment(text))
    monkeypatch.setattr(tagging, "MAX_CHUNK_TOKENS", longest)  # many forward passes per batch
    chunked = list(tag_texts(model, iter(PARAGRAPHS), TagOptions(batch_size=4)))
    for results in (together, chunked):
        assert [r.text for r in results] == PARAGRAPHS
        assert [r.tags for r in results] == [r.tags for r in one_by_one]
        for result, alone in zip(results, one_by_one):
            spans = [(e.start, e.end, e.label, e.text) for e in result.entities]
            assert spans == [(e.start, e.end, e.label, e.text) for e in alone.entities]
            # float32 sums may round differently in a larger matrix product
            scores = [e.score for e in result.entities]
            assert scores == pytest.approx([e.score for e in alone.entities], abs=1e-5)


def test_a_sentence_longer_than_a_chunk_is_tagged_in_pieces_and_kept_whole(model, monkeypatch):
    text = " ".join(["Angela Merkel met Emmanuel Macron in Paris and"] * 6) + " left"
    monkeypatch.setattr(tagging, "MAX_CHUNK_TOKENS", 16)
    tagged = tag(model, text)
    assert [len(s) for s in tagged.sentences] == [49] and len(tagged.tags[0]) == 49
    assert len(tagged.scores[0]) == 49
    assert [e.text for e in tagged.entities][:3] == ["Angela Merkel", "Emmanuel Macron", "Paris"]
    for entity in tagged.entities:
        assert text[entity.start : entity.end] == entity.text


def test_blank_texts_give_records_without_sentences(model):
    for text in ("", "  \n\t"):
        tagged = tag(model, text)
        assert (tagged.text, tagged.sentences, tagged.tags, tagged.entities) == (text, [], [], [])


def test_decode_can_be_chosen(model):
    greedy = tag(model, NEWS, TagOptions(decode="greedy"))
    viterbi = tag(model, NEWS, TagOptions(decode="viterbi"))
    assert [len(t) for t in greedy.tags] == [len(t) for t in viterbi.tags]
    assert isinstance(viterbi.entities[0], Entity)


def _lazily_found(tagged: TaggedText) -> list[Entity]:
    """The entities TaggedText finds itself, sentence by sentence."""
    return type(tagged).entities.func(tagged)


@pytest.mark.parametrize("decode", ["viterbi", "greedy"])
def test_a_batch_hands_each_text_the_entities_it_would_find_itself(model, conll_dir, decode):
    """tag_batch finds the entities of all its texts at once (tagging/spans.py); on real CoNLL
    sentences, blank texts, one-token texts and a text cut into pieces they are the ones each
    TaggedText reads off its own tags."""
    lines = texts(_conll_token_lists(conll_dir)[:300])
    batch = ["", "Paris", *lines, "   ", ".", " ".join(lines)]  # the last one is cut in pieces
    tagged = tag_batch(model, batch, TagOptions(decode=decode))
    assert sum(len(t.entities) for t in tagged) > 300
    for record in tagged:
        assert record.entities == _lazily_found(record)
    pieces = list(tagging.tag_pieces(model, " ".join(lines) * 3, TagOptions(decode=decode)))
    assert len(pieces) > 1
    for piece in pieces:
        assert piece.entities == _lazily_found(piece)


def test_predictions_of_a_batch_are_those_of_predict(model, conll_dir):
    """The flat path tag_batch takes gives predict()'s tags and probabilities, bit for bit."""
    sentences = _conll_token_lists(conll_dir)[:500]
    tagged = tag_batch(model, texts(sentences), TagOptions("whitespace"))
    expected = predict(model, [[t.text for t in s] for s in sentences], documents=range(500))
    got = [(t.tags[0], t.scores[0]) for t in tagged]
    assert got == [(p.tags, p.probabilities.tolist()) for p in expected]


def _conll_token_lists(conll_dir) -> list[list[Token]]:
    from windowner.data.conll import read_conll

    found = []
    for s in read_conll(conll_dir / "valid.txt").sentences:
        at, tokens = 0, []
        for word in s.tokens:
            tokens.append(Token(word, at, at + len(word)))
            at += len(word) + 1
        found.append(tokens)
    return found
