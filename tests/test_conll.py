from pathlib import Path

import pytest

from windowner.conll import read_conll
from windowner.errors import UserError
from windowner.tags import to_iob1

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
