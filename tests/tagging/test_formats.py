"""Tests for windowner.tagging.formats: every format reads back to the same entities."""

from __future__ import annotations

import json
import re

import pytest

from windowner.data.tags import spans
from windowner.data.text_input import paragraphs
from windowner.model_file import load_model
from windowner.tagging.formats import FORMATS, FORMATTERS, footer, header
from windowner.tagging.options import TagOptions
from windowner.tagging.records import written_tags
from windowner.tagging.results import TaggedText
from windowner.tagging.segment import segment
from windowner.tagging.text import tag_batch

# Reuters-style paragraphs; the second has an entity across a line break and a tab.
NEWS = [
    "WASHINGTON (Reuters) - President Bill Clinton said on Tuesday the U.S. economy grew 2.4 "
    'percent in the second quarter. "It\'s a good sign," he told reporters at the White House.',
    "Shares of Royal Dutch/Shell fell 1.5 pence to 1,010p in London.\nThe European\tCommission "
    "said on Thursday it disagreed with German advice.",
    "",
    "Angela Merkel met [Emmanuel Macron] in Paris on Tuesday. Pete Sampras won 6-3 6-4.",
]


def hand_tagged(text: str, entities: dict[str, str]) -> TaggedText:
    """`text` tagged by hand: each phrase of `entities` (tokens joined by spaces) gets its label.

    The first token of a sentence that continues an entity gets I- (as greedy decoding may),
    to check that the writers still keep sentences apart.
    """
    sentences = segment(text)
    tags, scores = [], []
    for sentence in sentences:
        words = [token.text for token in sentence]
        sentence_tags = ["O"] * len(words)
        for phrase, label in entities.items():
            n = len(phrase.split())
            for i in range(len(words) - n + 1):
                if words[i : i + n] == phrase.split():
                    sentence_tags[i : i + n] = [f"B-{label}"] + [f"I-{label}"] * (n - 1)
        tags.append(sentence_tags)
        scores.append([0.5 + 0.01 * (i % 50) for i in range(len(words))])
    return TaggedText(text, sentences, tags, scores)


HAND = [
    hand_tagged(
        NEWS[0], {"WASHINGTON": "LOC", "Reuters": "ORG", "Bill Clinton": "PER", "U.S.": "LOC"}
    ),
    hand_tagged(
        NEWS[1], {"Royal Dutch / Shell": "ORG", "London": "LOC", "European Commission": "ORG"}
    ),
    hand_tagged(NEWS[2], {}),
    hand_tagged(NEWS[3], {"Angela Merkel": "PER", "[ Emmanuel Macron ]": "PER", "Pete": "PER"}),
]
# A sentence starting with I-PER right after one ending in B-PER: two entities, not one.
HAND.append(
    TaggedText(
        "He met Smith. Jones left.",
        segment("He met Smith. Jones left."),
        [["O", "O", "B-PER", "O"], ["I-PER", "O", "O"]],
        [[0.9, 0.9, 0.8, 0.9], [0.6, 0.9, 0.9]],
    )
)


def write(tagged: list[TaggedText], output_format: str, with_tokens: bool = False) -> str:
    options = TagOptions(with_tokens=with_tokens)
    formatter = FORMATTERS[output_format]
    records = "".join(formatter(t, unit, options) for unit, t in enumerate(tagged, start=1))
    return header(output_format, ()) + records + footer(output_format)


# --- readers: what a user of each format would write to get the entities back ----------------


def read_jsonl(out: str) -> list[list[tuple]]:
    records = [json.loads(line) for line in out.splitlines()]
    return [[(e["start"], e["end"], e["label"], e["text"]) for e in r["entities"]] for r in records]


def read_tsv(out: str, units: int) -> list[list[tuple]]:
    header, *rows = out.splitlines()
    assert header.split("\t") == ["unit", "start", "end", "label", "text", "score"]
    found: list[list[tuple]] = [[] for _ in range(units)]
    unescape = {"\\t": "\t", "\\n": "\n", "\\r": "\r", "\\\\": "\\"}
    for row in rows:
        unit, start, end, label, text, _score = row.split("\t")
        text = re.sub(r"\\[tnr\\]", lambda m: unescape[m[0]], text)
        found[int(unit) - 1].append((int(start), int(end), label, text))
    return found


def read_conll(out: str) -> list[tuple]:
    """Flat: conll has no unit boundaries, only sentences."""
    found = []
    for block in out.split("\n\n"):
        pairs = [line.rsplit(" ", 1) for line in block.splitlines() if line]  # blank: a unit
        tokens, tags = [p[0] for p in pairs], [p[1] for p in pairs]
        found += [(s.label, " ".join(tokens[s.start : s.end])) for s in spans(tags)]
    return found


def read_inline(out: str) -> list[list[tuple]]:
    entity = re.compile(r"\[([A-Z]+) ((?:(?! \[[A-Z]+ ).)+?)\](?= |$)")
    return [[(m[1], m[2]) for m in entity.finditer(line)] for line in out.splitlines()]


def read_slash(out: str) -> list[list[tuple]]:
    found = []
    for line in out.splitlines():
        pairs = [word.rsplit("/", 1) for word in line.split()]
        tokens, tags = [p[0] for p in pairs], [p[1] for p in pairs]
        found.append([(s.label, " ".join(tokens[s.start : s.end])) for s in spans(tags)])
    return found


def expected(tagged: list[TaggedText]) -> list[list[tuple]]:
    """Each unit's entities as (start, end, label, text, its tokens joined by spaces)."""
    result = []
    for t in tagged:
        unit = []
        for tokens, tags in zip(t.sentences, t.tags):
            for s in spans(tags):
                words = tokens[s.start : s.end]
                start, end = words[0].start, words[-1].end
                joined = " ".join(w.text for w in words)
                unit.append((start, end, s.label, t.text[start:end], joined))
        result.append(unit)
    return result


def assert_round_trips(tagged: list[TaggedText]) -> None:
    entities = expected(tagged)
    with_offsets = [[e[:4] for e in unit] for unit in entities]
    as_tokens = [[(e[2], e[4]) for e in unit] for unit in entities]
    assert read_jsonl(write(tagged, "jsonl")) == with_offsets
    assert read_tsv(write(tagged, "tsv"), len(tagged)) == with_offsets
    assert read_inline(write(tagged, "inline")) == as_tokens
    assert read_slash(write(tagged, "slash")) == as_tokens
    assert read_conll(write(tagged, "conll")) == [e for unit in as_tokens for e in unit]


def test_every_format_round_trips_hand_tagged_news():
    assert_round_trips(HAND)
    entities = expected(HAND)
    assert entities[1][2][2:] == ("ORG", "European\tCommission", "European Commission")
    assert [e[3] for e in entities[4]] == ["Smith", "Jones"]


def test_every_format_round_trips_what_the_model_found(trained):
    model = load_model(trained / "model.npz")
    text = "\n\n".join(NEWS) + "\n\nFrom MOSCOW, Boris Yeltsin's spokesman Sergei Yastrzhembsky."
    for unit_texts in (NEWS, list(paragraphs(iter(text.split("\n"))))):
        tagged = tag_batch(model, unit_texts, TagOptions(decode="greedy"))
        assert sum(len(t.entities) for t in tagged) >= 8
        assert_round_trips(tagged)


def test_jsonl_offsets_slice_the_text_and_scores_are_rounded():
    for line in write(HAND, "jsonl").splitlines():
        record = json.loads(line)
        assert set(record) == {"text", "entities"}
        for e in record["entities"]:
            assert set(e) == {"start", "end", "label", "text", "score"}
            assert record["text"][e["start"] : e["end"]] == e["text"]
            assert e["score"] == round(e["score"], 4)


def test_jsonl_with_tokens_lists_each_sentence_with_offsets_tags_and_scores():
    record = json.loads(write(HAND[4:], "jsonl", with_tokens=True))
    assert [[t["text"] for t in s] for s in record["tokens"]] == [
        ["He", "met", "Smith", "."],
        ["Jones", "left", "."],
    ]
    first = record["tokens"][1][0]
    assert first == {"text": "Jones", "start": 14, "end": 19, "tag": "B-PER", "score": 0.6}
    for sentence in record["tokens"]:
        for token in sentence:
            assert record["text"][token["start"] : token["end"]] == token["text"]


def test_conll_and_slash_write_valid_iob2_and_keep_units_on_their_lines():
    conll = write(HAND[4:], "conll")
    assert conll == "He O\nmet O\nSmith B-PER\n. O\n\nJones B-PER\nleft O\n. O\n\n"
    assert write(HAND[4:], "slash") == "He/O met/O Smith/B-PER ./O Jones/B-PER left/O ./O\n"
    assert write(HAND[4:], "inline") == "He met [PER Smith] . [PER Jones] left .\n"
    # an empty unit (a blank input line) is an empty line in the line-per-unit formats and in
    # conll too (one record per input line, issue 16); tsv has rows for entities only
    assert write([HAND[2]], "slash") == write([HAND[2]], "inline") == "\n"
    assert write([HAND[2]], "conll") == "\n"
    assert write([HAND[2]], "tsv").count("\n") == 1  # the header only


def test_tsv_escapes_tabs_and_line_breaks_in_entity_text():
    rows = write(HAND[1:2], "tsv").splitlines()
    start = NEWS[1].index("European")
    assert rows[3].split("\t")[:5] == [
        "1",
        str(start),
        str(start + 19),
        "ORG",
        "European\\tCommission",
    ]
    assert all(row.count("\t") == 5 for row in rows)


def test_written_tags_keep_the_spans():
    tags = ["I-PER", "O", "B-LOC", "I-LOC", "I-ORG"]
    assert written_tags(tags, TagOptions()) == ["B-PER", "O", "B-LOC", "I-LOC", "B-ORG"]
    assert spans(written_tags(tags, TagOptions())) == spans(tags)


@pytest.mark.parametrize("output_format", FORMATS)
def test_every_format_ends_each_record_with_a_newline(output_format):
    out = write(HAND, output_format)
    assert out.endswith("\n") and "\r" not in out


def test_jsonl_records_stay_one_line_whatever_line_breaks_the_text_holds():
    text = "Paris\u2028London\u2029Rome\x85Bonn\r\nBerlin"
    tagged = hand_tagged(text, {"Paris": "LOC"})
    out = write([tagged], "jsonl")
    assert len(out.splitlines()) == 1
    assert json.loads(out)["text"] == text
