"""Prefixes, suffixes, shapes and document context, on the real CoNLL-2003 files."""

import numpy as np

from windowner.data.conll import read_conll
from windowner.features.affixes import PADDING_ID, UNSEEN_ID, Subwords, shape
from windowner.features.document import DOCUMENT_CLASSES, document_ids
from windowner.features.vocabulary import Vocabulary
from windowner.features.windows import Features, encode


def test_shapes_collapse_runs_and_keep_punctuation():
    cases = {
        "Paris": "Xxx",
        "U.S.": "X.X.",
        "1996": "dd",
        "2-1": "d-d",
        "McDonald": "XxXxx",
        "F-16": "X-dd",
        "NATO": "XX",
        "e-mail": "x-xx",
        "I": "X",
        "": "",
    }
    assert {token: shape(token) for token in cases} == cases


def test_affix_tables_keep_frequent_strings_and_share_an_unseen_row(conll_dir):
    tokens = [t for s in read_conll(conll_dir / "train.txt").sentences for t in s.tokens]
    subwords = Subwords.build(tokens, (1, 2, 3), with_shape=True, min_count=2)
    assert subwords.names == ("P", "P", "P", "S", "S", "S", "K")
    rows = subwords.rows()
    assert rows["P"] == sum(len(t) for t in subwords.prefixes)
    ids = subwords.ids(["Washington", "Zzyzxqv"])
    # "Washington" has every affix in train; the made-up word's 3-letter suffix is unseen
    assert (ids[0, :6] % 1 == 0).all() and UNSEEN_ID not in ids[0]
    suffix3 = subwords.suffixes[2]
    assert ids[1, 5] == sum(len(t) for t in subwords.suffixes[:2]) + UNSEEN_ID
    assert suffix3.strings[ids[0, 5] - sum(len(t) for t in subwords.suffixes[:2])] == "ton"
    # the P slots of one token index disjoint parts of the one P table
    offsets = np.cumsum([0] + [len(t) for t in subwords.prefixes])
    for j in range(3):
        assert offsets[j] <= ids[0, j] < offsets[j + 1]
    assert (subwords.padding_ids()[:3] == offsets[:3] + PADDING_ID).all()
    # the tables survive the model file's JSON
    again = Subwords.from_dict(subwords.to_dict())
    assert (again.ids(["Washington", "Zzyzxqv"]) == ids).all()


def test_document_context_of_real_documents(conll_dir):
    corpus = read_conll(conll_dir / "valid.txt")
    sentences = [s.tokens for s in corpus.sentences]
    documents = [s.document for s in corpus.sentences]
    assert documents[0] == 0 and documents[-1] == corpus.documents - 1
    assert sorted(set(documents)) == list(range(corpus.documents))
    ids = document_ids(sentences, documents)
    tokens = [t for s in sentences for t in s]
    assert len(ids) == len(tokens)
    named = dict(zip(tokens, (DOCUMENT_CLASSES[i] for i in ids), strict=False))
    assert named[","] == "no_letters"
    counts = np.bincount(ids, minlength=len(DOCUMENT_CLASSES))
    assert counts[0] == 0  # padding only at window edges
    assert all(counts[1:])  # every class occurs in real news


def test_other_occurrences_decide_the_class():
    sentences = [
        ("JAPAN", "BEAT", "SYRIA"),  # a headline: no informative occurrences
        ("Fans", "in", "Japan", "cheered", "the", "win", "."),
        ("The", "win", "was", "Japan", "'s", "first", "."),
        ("Win", "again", "."),
    ]
    ids = document_ids(sentences, [0, 0, 0, 0])
    named = [DOCUMENT_CLASSES[i] for i in ids]
    assert named[0] == "capitalised_elsewhere"  # JAPAN: Japan mid-sentence elsewhere
    assert named[2] == "alone"  # SYRIA appears nowhere else
    assert named[5] == "capitalised_elsewhere"  # Japan: the other Japan
    assert named[8] == "lower_elsewhere"  # win: the other lowercase win (sentence 3)
    assert named[-3] == "lower_elsewhere"  # Win, sentence-initial: win mid-sentence elsewhere
    # in separate documents nothing is elsewhere
    alone = document_ids(sentences, [0, 1, 2, 3])
    assert DOCUMENT_CLASSES[alone[0]] == "alone"


def test_encode_lays_out_every_slot(conll_dir):
    corpus = read_conll(conll_dir / "valid.txt")
    sentences = [s.tokens for s in corpus.sentences[:50]]
    tokens = [t for s in sentences for t in s]
    vocabulary = Vocabulary(["<unk>", "<s>", "</s>", *sorted({t.lower() for t in tokens})], True)
    features = Features(Subwords.build(tokens, (1, 2), with_shape=True, min_count=1), True)
    windows = encode(sentences, vocabulary, 2, features, [0] * len(sentences))
    assert features.slots == ("E", "C", "P", "P", "S", "S", "K", "D")
    assert windows.ids.shape == (len(tokens), 5, 8)
    plain = encode(sentences, vocabulary, 2)
    assert (windows.ids[:, :, :2] == plain.ids).all()
    first = np.cumsum(windows.lengths) - windows.lengths
    assert (windows.ids[first, 0, 2:6] == features.subwords.padding_ids()[:4]).all()
    assert (windows.ids[first, 0, 7] == 0).all()  # the document slot's padding


def _reference_document_ids(sentences, documents):
    """The document classes written as the definition reads, one token at a time."""
    from windowner.features.document import _in_capitals, _kind

    occurrences = []  # (document, lowercased word, kind) of every informative token
    for sentence, document in zip(sentences, documents, strict=True):
        capitals = _in_capitals(sentence)
        for i, token in enumerate(sentence):
            if i > 0 and not capitals:
                occurrences.append((document, token.lower(), _kind(token), id(sentence), i))
    out = []
    for sentence, document in zip(sentences, documents, strict=True):
        for i, token in enumerate(sentence):
            kind = _kind(token)
            if kind == 0:
                out.append(DOCUMENT_CLASSES.index("no_letters"))
                continue
            others = [
                k
                for d, w, k, where, j in occurrences
                if d == document and w == token.lower() and (where, j) != (id(sentence), i)
            ]
            lower, capital = 1 in others, 2 in others
            name = {(False, False): "alone", (True, False): "lower_elsewhere"}.get(
                (lower, capital), "capitalised_elsewhere" if not lower else "both_elsewhere"
            )
            out.append(DOCUMENT_CLASSES.index(name))
    return np.array(out)


def test_document_context_matches_its_definition_on_generated_documents():
    """500 seeded documents of confusable words (Japan, japan, JAPAN, headlines, accents)."""
    rng = np.random.default_rng(7)
    words = ["Japan", "japan", "JAPAN", "the", "The", "win", "Win", "1996", ",", "McD", "eBay"]
    words += ["ÉTÉ", "été", "Été", "x"]
    for _ in range(500):
        sentences = [
            tuple(rng.choice(words, rng.integers(1, 7))) for _ in range(rng.integers(1, 8))
        ]
        documents = rng.integers(0, 3, len(sentences)).tolist()
        expected = _reference_document_ids(sentences, documents)
        assert (document_ids(sentences, documents) == expected).all(), (sentences, documents)
