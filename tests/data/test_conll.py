from pathlib import Path

import pytest

from windowner.data.conll import Sentence, read_conll
from windowner.data.tags import convert, to_iob1
from windowner.errors import UserError

# The table in data/conll2003/README.md: sentences, tokens, documents, entities per type.
EXPECTED = {
    "train.txt": (14_041, 203_621, 946, {"LOC": 7_140, "MISC": 3_438, "ORG": 6_321, "PER": 6_600}),
    "valid.txt": (3_250, 51_362, 216, {"LOC": 1_837, "MISC": 922, "ORG": 1_341, "PER": 1_842}),
    "test.txt": (3_453, 46_435, 231, {"LOC": 1_668, "MISC": 702, "ORG": 1_661, "PER": 1_617}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_files_match_the_published_counts(conll_dir, name):
    corpus = read_conll(conll_dir / name)
    sentences, tokens, documents, entities = EXPECTED[name]
    assert len(corpus.sentences) == sentences
    assert corpus.tokens == tokens
    assert corpus.documents == documents
    assert corpus.entity_counts() == entities


def test_iob1_file_reads_as_the_same_iob2_sentences(conll_dir, tmp_path):
    """The 2003 files were IOB1; written that way, valid.txt must give back identical tags."""
    original = read_conll(conll_dir / "valid.txt")
    lines = []
    for sentence in original.sentences:
        lines += [f"{t} {tag}" for t, tag in zip(sentence.tokens, to_iob1(sentence.tags))]
        lines.append("")
    iob1 = tmp_path / "valid.iob1"
    iob1.write_text("\n".join(lines), encoding="utf-8")
    assert "B-" not in iob1.read_text()[:2000]  # really IOB1: B- only between adjacent chunks
    assert read_conll(iob1).sentences == original.sentences


def test_crlf_bom_and_no_final_newline_read_the_same(tmp_path):
    text = "-DOCSTART- -X- O\n\nEU B-ORG\nrejects O\n\nPeter B-PER\nBlackburn I-PER"
    plain, windows = tmp_path / "plain.txt", tmp_path / "windows.txt"
    plain.write_text(text + "\n", encoding="utf-8")
    windows.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    a, b = read_conll(plain), read_conll(windows)
    assert a.sentences == b.sentences
    assert [s.tokens for s in a.sentences] == [("EU", "rejects"), ("Peter", "Blackburn")]


def _error(tmp_path: Path, text: str) -> UserError:
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        read_conll(path)
    return caught.value


def test_wrong_column_count_names_the_line(tmp_path):
    error = _error(tmp_path, "EU NNP B-NP B-ORG\nrejects VBZ O\n")
    assert (error.line, str(error).split(": ", 1)[0]) == (2, f"{tmp_path / 'bad.txt'}:2")
    assert "expected 4 columns" in error.message


def test_single_column_line_is_an_error(tmp_path):
    assert _error(tmp_path, "EU B-ORG\n\nlonely\n").line == 3


def test_unknown_tag_names_the_line(tmp_path):
    error = _error(tmp_path, "EU B-ORG\nrejects PERSON\n")
    assert error.line == 2 and "PERSON" in error.message


def test_missing_file_and_invalid_utf8(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        read_conll(tmp_path / "absent.txt")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("EU B-ORG\n\nM\u00fcller B-PER\n".encode("latin-1"))
    with pytest.raises(UserError) as caught:
        read_conll(bad)
    assert caught.value.line == 3 and "UTF-8" in caught.value.message


def test_a_file_without_sentences_is_an_error(tmp_path):
    assert "no sentences" in _error(tmp_path, "-DOCSTART- -X- O\n\n").message


# every way of writing the same sentences


def write_corpus(path: Path, corpus, scheme="iob2", form="2col") -> Path:
    """Write a corpus's sentences again: tags in `scheme`; 2 space-separated columns, 2 tab-
    separated columns or 4 space-separated columns (token POS chunk tag); -DOCSTART- first."""
    lines = {"4col": ["-DOCSTART- -X- -X- O", ""], "tab": ["-DOCSTART-\tO", ""]}.get(form, [])
    for sentence in corpus.sentences:
        for token, tag in zip(sentence.tokens, convert(sentence.tags, scheme)):
            if form == "4col":
                lines.append(f"{token} NNP I-NP {tag}")
            elif form == "tab":
                lines.append(f"{token}\t{tag}")
            else:
                lines.append(f"{token} {tag}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def valid(conll_dir):
    return read_conll(conll_dir / "valid.txt")


@pytest.mark.parametrize("scheme", ["iob1", "iob2", "iobes", "bilou"])
@pytest.mark.parametrize("form", ["2col", "tab", "4col"])
def test_every_scheme_and_layout_gives_the_same_sentences(valid, tmp_path, scheme, form):
    path = write_corpus(tmp_path / f"valid.{scheme}.{form}", valid, scheme, form)
    delimiter = "tab" if form == "tab" else None
    corpus = read_conll(path, delimiter=delimiter)
    assert corpus.scheme == scheme
    assert corpus.sentences == valid.sentences
    assert corpus.entity_counts() == valid.entity_counts()
    forced = read_conll(path, delimiter=delimiter, scheme=scheme.upper())
    assert forced.sentences == valid.sentences


def test_io_tags_give_the_same_entities_where_io_can_hold_them(valid, tmp_path):
    corpus = read_conll(write_corpus(tmp_path / "valid.io", valid, "io"))
    assert corpus.scheme == "io"
    assert [s.tokens for s in corpus.sentences] == [s.tokens for s in valid.sentences]
    differ = [b for a, b in zip(corpus.sentences, valid.sentences) if a != b]
    for sentence in differ:  # only sentences with two adjacent entities of one type
        assert any(tag.startswith("B-") and prev[2:] == tag[2:] for prev, tag in pairs(sentence))
    assert len(differ) < 20


def pairs(sentence):
    return zip(("O", *sentence.tags), sentence.tags)


def test_the_real_files_are_detected_as_iob2(conll_dir):
    assert read_conll(conll_dir / "test.txt").scheme == "iob2"
    assert "tags IOB2" in read_conll(conll_dir / "test.txt").summary()


VARIANT = "EU B-ORG\nrejects O\n# O\n\nPeter B-PER\nBlackburn I-PER\n"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("-DOCSTART- O\n\n" + VARIANT, id="docstart-blank"),
        pytest.param("-DOCSTART- O\n" + VARIANT, id="docstart-no-blank"),
        pytest.param("\n\n-DOCSTART- O\n \n\t\n" + VARIANT + "\n \n", id="blank-runs"),
        pytest.param("-DOCSTART- O\n" + VARIANT.rstrip("\n"), id="no-final-newline"),
        pytest.param("-DOCSTART- O\r\n" + VARIANT.replace("\n", "\r\n"), id="crlf"),
        pytest.param("\ufeff-DOCSTART- O\n" + VARIANT, id="bom"),
        pytest.param("\ufeff-DOCSTART- O\r\n\r\n" + VARIANT.replace("\n", "\r\n")[:-2], id="all"),
    ],
)
def test_file_variants_read_the_same_sentences(tmp_path, text):
    path = tmp_path / "variant.txt"
    path.write_bytes(text.encode("utf-8"))
    corpus = read_conll(path)
    assert [s.tokens for s in corpus.sentences] == [
        ("EU", "rejects", "#"),  # '#' is a token, not a comment
        ("Peter", "Blackburn"),
    ]
    assert [s.tags for s in corpus.sentences] == [("B-ORG", "O", "O"), ("B-PER", "I-PER")]
    assert corpus.documents == 1


def test_documents_are_counted_at_docstart_lines(tmp_path):
    path = tmp_path / "docs.txt"
    path.write_text("a O\n\n-DOCSTART- O\nb O\n-DOCSTART- O\n\nc O\nd O\n")
    corpus = read_conll(path)
    assert corpus.documents == 3  # the sentence before the first -DOCSTART- is one too
    assert [s.tokens for s in corpus.sentences] == [("a",), ("b",), ("c", "d")]


def test_columns_pick_the_token_and_the_tag(tmp_path):
    path = tmp_path / "cols.txt"
    path.write_text("1 EU B-ORG NNP\n2 rejects O VBZ\n\n1 Peter B-PER NNP\n")
    corpus = read_conll(path, columns=(1, 2))
    assert corpus.sentences[0] == Sentence(("EU", "rejects"), ("B-ORG", "O"))
    assert read_conll(path, columns=(1, -2)).sentences == corpus.sentences
    with pytest.raises(UserError, match="tag column 4 asked for, but the lines have 4 columns"):
        read_conll(path, columns=(1, 4))


def test_tab_delimiter_keeps_spaces_inside_tokens(tmp_path):
    path = tmp_path / "tab.txt"
    path.write_text("New York\tB-LOC\nis\tO\n\nSão Paulo \tB-LOC\n", encoding="utf-8")
    corpus = read_conll(path, delimiter="tab")
    assert [s.tokens for s in corpus.sentences] == [("New York", "is"), ("São Paulo",)]
    with pytest.raises(UserError, match=r"tab.txt:2: expected 3 columns like the lines before"):
        read_conll(path)  # split at whitespace, 'New York B-LOC' has three columns
    with pytest.raises(UserError, match="unknown delimiter 'comma'"):
        read_conll(path, delimiter="comma")


def test_a_forced_scheme_rejects_tags_of_another(tmp_path):
    path = tmp_path / "iobes.txt"
    path.write_text("EU B-ORG\nrejects E-ORG\n\nPeter S-PER\n")
    assert read_conll(path).scheme == "iobes"
    with pytest.raises(UserError) as caught:
        read_conll(path, scheme="iob2")
    assert caught.value.line == 2 and "unknown tag 'E-ORG'" in caught.value.message
    assert "IOB2 tags" in caught.value.message
    with pytest.raises(UserError, match="unknown tag scheme 'iob3'"):
        read_conll(path, scheme="iob3")


def test_mixed_schemes_name_the_line_of_the_odd_tag(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_text("EU B-ORG\nrejects O\n\nPeter PER\n")
    with pytest.raises(UserError) as caught:
        read_conll(path)
    error = caught.value
    assert error.line == 4 and "bare type" in error.message
    with pytest.raises(UserError, match=r"mixed.txt:1: unknown tag 'B-ORG': expected O, TYPE"):
        read_conll(path, scheme="io")
