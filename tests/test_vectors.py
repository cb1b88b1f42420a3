import numpy as np
import pytest

from windowner.errors import UserError
from windowner.vectors import load_vectors


@pytest.fixture(scope="session")
def glove():
    return load_vectors("glove-6b-50d")


def test_packaged_glove_is_glove_6b_50d(glove):
    assert glove.matrix.shape == (400_000, 50) and glove.matrix.dtype == np.float32
    assert glove.words[0] == "the"
    assert np.allclose(glove.matrix[0, :3], [0.418, 0.24968, -0.41242])
    assert glove.lowercased


def write_glove_text(path, words, matrix):
    with open(path, "w", encoding="utf-8") as f:
        for word, row in zip(words, matrix):
            f.write(word + " " + " ".join(f"{v:.6g}" for v in row) + "\n")


def test_glove_text_and_word2vec_files_load_the_same_vectors(glove, tmp_path):
    from gensim.models import KeyedVectors

    words, matrix = glove.words[:500], glove.matrix[:500]
    write_glove_text(tmp_path / "small.txt", words, matrix)
    from_text = load_vectors(str(tmp_path / "small.txt"))
    assert from_text.words == words
    assert np.allclose(from_text.matrix, matrix, atol=1e-5)

    keyed = KeyedVectors(vector_size=50)
    keyed.add_vectors(words, matrix)
    keyed.save_word2vec_format(str(tmp_path / "small.bin"), binary=True)
    keyed.save_word2vec_format(str(tmp_path / "small.w2v.txt"), binary=False)
    from_bin = load_vectors(str(tmp_path / "small.bin"))
    assert from_bin.words == words and np.array_equal(from_bin.matrix, matrix)
    assert np.allclose(load_vectors(str(tmp_path / "small.w2v.txt")).matrix, matrix, atol=1e-5)


def test_missing_and_malformed_vector_files(tmp_path):
    with pytest.raises(UserError, match="no such vectors file"):
        load_vectors(str(tmp_path / "absent.txt"))
    bad = tmp_path / "bad.txt"
    bad.write_text("the 0.1 0.2\ncat 0.3 oops\n")
    with pytest.raises(UserError, match="cannot read vectors"):
        load_vectors(str(bad))
