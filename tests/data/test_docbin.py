"""Reading spaCy's DocBin files (data/docbin.py): the real CoNLL files as `spacy convert` writes
them read back exactly as read_conll reads the .txt, DocBins made with the real spaCy, and
hostile bytes refused in one line. Without spaCy the module skips, except under CI=true, where
it fails."""

from __future__ import annotations

import os
import random
import sys
import zlib

import numpy as np
import pytest

from tests.conftest import CONLL
from windowner.data import docbin
from windowner.data.conll import read_conll
from windowner.data.docbin import read_docbin
from windowner.data.sources import read_corpus
from windowner.errors import UserError

try:
    import spacy
    import srsly
    from spacy.tokens import Doc, DocBin
    from spacy.training.converters import conll_ner_to_docs
except ImportError as error:  # pragma: no cover - the spacy extra is installed by make test
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI needs spaCy for the .spacy tests: {error}") from None
    pytest.skip(f"spaCy is not installed ({error})", allow_module_level=True)

VOCAB = spacy.blank("en").vocab


def write(path, docs, **kwargs):
    DocBin(docs=docs, **kwargs).to_disk(path)
    return path


def doc(words, ents, spaces=None, sent_starts=None):
    return Doc(VOCAB, words=words, spaces=spaces, ents=ents, sent_starts=sent_starts)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """CoNLL-2003's test file as `spacy convert FILE OUT --converter ner -n N` writes it (the
    converter the command runs), for N = 1 (-DOCSTART- as one-token Docs) and N = 10 (as
    one-token sentences inside Docs of ten sentences)."""
    folder = tmp_path_factory.mktemp("converted")
    text = (CONLL / "test.txt").read_text(encoding="utf-8")
    return {
        n: write(folder / f"test-{n}.spacy", conll_ner_to_docs(text, n_sents=n, no_print=True))
        for n in (1, 10)
    }


@pytest.mark.parametrize("n", [1, 10])
def test_a_converted_conll_file_reads_as_the_conll_file_itself(converted, n):
    """Sentence for sentence, token for token, tag for tag and document for document: the
    document-context feature and the scores depend on all four."""
    gold = read_conll(CONLL / "test.txt")
    corpus = read_corpus(converted[n])
    assert corpus.sentences == gold.sentences
    assert [s.document for s in corpus.sentences] == [s.document for s in gold.sentences]
    assert corpus.documents == gold.documents == 231
    assert corpus.entity_counts() == gold.entity_counts()


def test_entities_sentences_and_whitespace_tokens(tmp_path):
    """spaCy's whitespace tokens are left out, an entity keeps its other tokens, SENT_START
    splits sentences and each Doc is a document when no -DOCSTART- marks them."""
    first = doc(
        ["Angela", "\n", "Merkel", "visited", "New", "York", ".", "  ", "She", "left", "."],
        ["B-PER", "I-PER", "I-PER", "O", "B-LOC", "I-LOC", "O", "O", "O", "O", "O"],
        spaces=[False, False, True, True, True, False, True, False, True, False, False],
        sent_starts=[True, False, False, False, False, False, False, False, True, False, False],
    )
    second = doc(["Paris", "Paris"], ["B-LOC", "B-LOC"])  # two entities side by side
    corpus = read_docbin(write(tmp_path / "x.spacy", [first, second]))
    tokens = ("Angela", "Merkel", "visited", "New", "York", ".")
    tags = ("B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O")
    assert [(s.tokens, s.tags, s.document) for s in corpus.sentences] == [
        (tokens, tags, 0),
        (("She", "left", "."), ("O", "O", "O"), 0),
        (("Paris", "Paris"), ("B-LOC", "B-LOC"), 1),
    ]
    assert corpus.documents == 2 and corpus.scheme == "iob2"
    # In the scheme a config asks for: IO cannot tell the two Parises apart.
    io = read_corpus(tmp_path / "x.spacy", scheme="io")
    assert io.sentences[2].tags == ("B-LOC", "I-LOC") and io.scheme == "io"


def test_spacy_symbols_and_a_docbin_without_sentences(tmp_path):
    """LOC and ORG are stored as spaCy symbols, not hashes; without a SENT_START column a Doc
    is one sentence."""
    docs = [doc(["ORG", "LOC", "in", "PERSON"], ["B-ORG", "B-LOC", "O", "B-PERSON"])]
    path = write(tmp_path / "x.spacy", docs, attrs=["ENT_IOB", "ENT_TYPE"])
    (sentence,) = read_docbin(path).sentences
    assert sentence.tokens == ("ORG", "LOC", "in", "PERSON")
    assert sentence.tags == ("B-ORG", "B-LOC", "O", "B-PERSON")


def edited(path, target, change):
    """The DocBin at `path` with its msgpack map changed by `change(map)`, written to `target`:
    how a damaged or hand-made file looks (spaCy's own writer refuses to make one)."""
    message = srsly.msgpack_loads(zlib.decompress(path.read_bytes()))
    change(message)
    target.write_bytes(zlib.compress(srsly.msgpack_dumps(message)))
    return target


def set_column(attr):
    """A change for `edited`: token `i`'s value of `attr` set to `value`."""

    def change_at(i, value):
        def change(message):
            grid = np.frombuffer(message["tokens"], "<u8").reshape(-1, len(message["attrs"]))
            grid = grid.copy()
            grid[i, message["attrs"].index(spacy.attrs.IDS[attr])] = value
            message["tokens"] = grid.tobytes()

        return change

    return change_at


@pytest.mark.parametrize(
    ("docs", "change", "expected"),
    [
        # spacy.blank's Docs carry no entity annotation at all
        ([Doc(VOCAB, words=["a", "b"])], None, "Doc 1: no entity annotation"),
        ([], set_column("ENT_IOB")(3, 0), "Doc 1, token 1: no entity annotation (ENT_IOB 0"),
        ([], set_column("ENT_IOB")(2, 1), "Doc 1, token 0: I ('Bonn') with no entity begun"),
        ([], set_column("ENT_IOB")(0, 7), "Doc 0, token 0: ENT_IOB 7 is not one of 0, 1, 2, 3"),
        ([], set_column("ENT_TYPE")(1, VOCAB.strings.add("x")), "I of type 'x' inside"),
        ([], set_column("ORTH")(0, 12345), "its text is not among the file's strings"),
        ([doc(["x", " "], ["O", "B-LOC"])], None, "Doc 1, token 1: an entity of whitespace alone"),
        ([doc(["x"], ["B-O"])], None, "Doc 1: entity type 'O' in tag 'B-O'"),
    ],
)
def test_annotation_windowner_cannot_read_is_one_error_naming_the_doc(
    tmp_path, docs, change, expected
):
    good = [doc(["New", "York"], ["B-LOC", "I-LOC"]), doc(["Bonn", "x"], ["B-LOC", "O"])]
    path = write(tmp_path / "x.spacy", docs or good)
    if docs:  # the bad Doc second, after a good one
        path = write(tmp_path / "x.spacy", [good[0], *docs])
    if change is not None:
        path = edited(path, tmp_path / "bad.spacy", change)
    with pytest.raises(UserError) as error:
        read_corpus(path)
    assert str(error.value).startswith(f"{path}: ") and expected in str(error.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "its data ends early"),
        (b"EU B-ORG\n", "zlib: Error -3"),
        (zlib.compress(b"\x93\x01\x02\x03"), "Unexpected type"),  # a list, not a map
        (zlib.compress(srsly.msgpack_dumps({"tokens": b""})), "its map has no 'attrs'"),
        (zlib.compress(b"\x81\xa6tokens\xc6\x00\x00\x10\x00abc"), "its data ends early"),
        (zlib.compress(srsly.msgpack_dumps({1: 1})), "its map's keys are not all strings"),
        # cut in the checksum, after a whole map: still a file cut short
        (zlib.compress(srsly.msgpack_dumps({"x": 1}))[:-2], "its data ends early"),
        (zlib.compress(srsly.msgpack_dumps({"x": 1}) + b"\x01"), "more data after its map"),
    ],
)
def test_what_is_no_docbin_is_one_error(tmp_path, content, expected):
    path = tmp_path / "x.spacy"
    path.write_bytes(content)
    with pytest.raises(UserError, match=r"not a \.spacy file|not a DocBin") as error:
        read_docbin(path)
    assert expected in str(error.value)


def test_inflating_stops_at_the_bound(tmp_path, monkeypatch):
    """A small file that inflates past MAX_INFLATED_BYTES stops there (a zip bomb); so does one
    part larger than it, before it is held whole."""
    monkeypatch.setattr(docbin, "MAX_INFLATED_BYTES", 1 << 20)
    # {"cats": [None] * 8 Mi}: 8 MiB of msgpack nils, skipped (never built) until the bound
    bomb = zlib.compress(b"\x81\xa4cats\xdd\x00\x80\x00\x00" + b"\xc0" * (8 << 20))
    (tmp_path / "bomb.spacy").write_bytes(bomb)
    with pytest.raises(UserError, match="it inflates to more than 1 MiB"):
        read_docbin(tmp_path / "bomb.spacy")
    assert len(bomb) < 10_000
    big = zlib.compress(srsly.msgpack_dumps({"tokens": bytes(2 << 20)}))
    (tmp_path / "big.spacy").write_bytes(big)
    with pytest.raises(UserError, match=r"inflates to more than 1 MiB|larger than 1 MiB"):
        read_docbin(tmp_path / "big.spacy")


def test_no_spacy_is_one_error_saying_what_to_install(tmp_path, monkeypatch):
    path = write(tmp_path / "x.spacy", [doc(["a"], ["O"])])
    monkeypatch.setitem(sys.modules, "spacy", None)
    with pytest.raises(UserError, match=r"needs spaCy .*pip install 'windowner\[spacy\]'"):
        read_corpus(path)


def test_columns_are_refused_for_a_docbin(tmp_path):
    path = write(tmp_path / "x.spacy", [doc(["a"], ["O"])])
    with pytest.raises(UserError, match="--columns is for CoNLL files and datasets"):
        read_corpus(path, columns=(0, 1))


def mutations(good: bytes, rng: random.Random):
    """Damaged copies of a DocBin: bytes flipped, cut, inserted or deleted in the compressed
    file, or the same in its inflated msgpack, compressed again."""
    inflated = zlib.decompress(good)
    while True:
        compressed = rng.random() < 0.5
        data = bytearray(good if compressed else inflated)
        kind = rng.randrange(4)
        at = rng.randrange(len(data))
        if kind == 0:
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == 1:
            del data[at:]
        elif kind == 2:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        else:
            del data[at : at + rng.randint(1, 64)]
        yield bytes(data) if compressed else zlib.compress(data)


def test_fuzzed_docbins_read_or_fail_in_one_line(tmp_path, converted):
    """Seeded damage to a real DocBin: every outcome is a Corpus or one UserError line."""
    source = write(
        tmp_path / "good.spacy",
        list(DocBin().from_disk(converted[10]).get_docs(VOCAB))[:3],
    )
    good = source.read_bytes()
    path = tmp_path / "x.spacy"
    outcomes = {"read": 0, "refused": 0}
    for data, _ in zip(mutations(good, random.Random(0)), range(300)):
        path.write_bytes(data)
        try:
            read_docbin(path)
            outcomes["read"] += 1
        except UserError as error:
            assert "\n" not in str(error) and str(error).startswith(f"{path}: ")
            outcomes["refused"] += 1
    assert outcomes["refused"] > 200, outcomes
