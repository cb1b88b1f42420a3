"""Vectors in every format: packaged GloVe, GloVe/word2vec text and binary, gensim files,
gensim-data names (offline, from a local gensim-data folder), and the parse cache."""

from __future__ import annotations

import gzip
import json
import os

import numpy as np
import pytest

from windowner.errors import UserError
from windowner.vectors import cache as vectors_cache
from windowner.vectors.loading import Vectors, load_vectors


@pytest.fixture(scope="session")
def glove():
    return load_vectors("glove-6b-50d")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test caches into its own folder, never into the user's."""
    monkeypatch.setenv("WINDOWNER_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_packaged_glove_is_glove_6b_50d(glove):
    assert glove.matrix.shape == (400_000, 50) and glove.matrix.dtype == np.float32
    assert glove.words[0] == "the"
    assert np.allclose(glove.matrix[0, :3], [0.418, 0.24968, -0.41242])
    assert glove.lowercased


def write_glove_text(path, words, matrix):
    """GloVe text: no header, each float32 written in its shortest exact form."""
    with open(path, "w", encoding="utf-8") as f:
        for word, row in zip(words, matrix):
            f.write(word + " " + " ".join(str(np.float32(v)) for v in row) + "\n")


@pytest.fixture(scope="module")
def small(glove):
    """2,000 GloVe rows, with a capitalised word and a non-ASCII one among them."""
    words = glove.words[:2000]
    words[5], words[7] = "Paris", "naïve"
    return Vectors("small", words, glove.matrix[:2000].copy())


def test_every_file_format_loads_bitwise_identical_vectors(small, tmp_path):
    from gensim.models import KeyedVectors

    write_glove_text(tmp_path / "glove.txt", small.words, small.matrix)
    keyed = KeyedVectors(vector_size=small.dim)
    keyed.add_vectors(small.words, small.matrix)
    keyed.save_word2vec_format(str(tmp_path / "vectors.bin"), binary=True)
    keyed.save_word2vec_format(str(tmp_path / "vectors.w2v.txt"), binary=False)
    keyed.save_word2vec_format(str(tmp_path / "binary.w2v"), binary=True)  # sniffed, not named
    keyed.save(str(tmp_path / "vectors.kv"))
    with open(tmp_path / "glove.txt", "rb") as f, gzip.open(tmp_path / "glove.txt.gz", "wb") as z:
        z.write(f.read())
    names = ["glove.txt", "vectors.bin", "vectors.w2v.txt", "binary.w2v", "vectors.kv"]
    for name in [*names, "glove.txt.gz"]:
        loaded = load_vectors(str(tmp_path / name))
        assert loaded.words == small.words, name
        assert loaded.matrix.dtype == np.float32 and loaded.matrix.flags.c_contiguous
        assert np.array_equal(loaded.matrix, small.matrix), name
        assert loaded.spec == str(tmp_path / name)
    assert not load_vectors(str(tmp_path / "glove.txt")).lowercased


def test_tokens_with_spaces_and_blank_lines_as_in_glove_840b(small, tmp_path):
    words = ["at & t", *small.words[1:20], ". . .", "new york"]
    matrix = small.matrix[: len(words)]
    path = tmp_path / "840b.txt"
    write_glove_text(path, words, matrix)
    path.write_text(path.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    loaded = load_vectors(str(path))
    assert loaded.words == words and np.array_equal(loaded.matrix, matrix)


def test_the_parse_of_a_text_file_is_cached(small, tmp_path, private_cache, monkeypatch):
    path = tmp_path / "glove.txt"
    write_glove_text(path, small.words, small.matrix)
    first = load_vectors(str(path), cache=True)
    entries = sorted(p.suffix for p in private_cache.iterdir())
    assert entries == [".json", ".npy", ".words"]
    # the second load never parses: gensim is not even asked
    monkeypatch.setattr("windowner.vectors.text_files.parse_text", pytest.fail)
    again = load_vectors(str(path), cache=True)
    assert again.words == first.words and np.array_equal(again.matrix, first.matrix)
    assert load_vectors(str(path), cache=True, max_vectors=10).words == small.words[:10]


def test_a_changed_file_is_parsed_again_and_its_old_entry_removed(small, tmp_path, private_cache):
    path = tmp_path / "glove.txt"
    write_glove_text(path, small.words[:100], small.matrix[:100])
    load_vectors(str(path), cache=True)
    old = {p.name for p in private_cache.iterdir()}
    write_glove_text(path, small.words[:50], small.matrix[:50])
    os.utime(path, ns=(1, 1))  # a different mtime even on coarse clocks
    assert len(load_vectors(str(path), cache=True).words) == 50
    new = {p.name for p in private_cache.iterdir()}
    assert len(new) == 3 and not old & new


def test_the_cache_never_unpickles_and_survives_damage(small, tmp_path, private_cache):
    path = tmp_path / "glove.txt"
    write_glove_text(path, small.words[:100], small.matrix[:100])
    load_vectors(str(path), cache=True)
    npy = next(private_cache.glob("*.npy"))
    np.save(npy, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    assert vectors_cache.load_cached(path) is None  # np.load(allow_pickle=False) refuses it
    loaded = load_vectors(str(path), cache=True)  # parsed again, entry rewritten
    assert np.array_equal(loaded.matrix, small.matrix[:100])
    assert vectors_cache.load_cached(path) is not None


def test_an_unwritable_cache_folder_only_costs_time(small, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("WINDOWNER_CACHE", str(blocker / "cache"))
    path = tmp_path / "glove.txt"
    write_glove_text(path, small.words[:100], small.matrix[:100])
    assert len(load_vectors(str(path), cache=True).words) == 100


def test_small_files_are_not_cached_by_default(small, tmp_path, private_cache):
    path = tmp_path / "glove.txt"
    write_glove_text(path, small.words[:100], small.matrix[:100])
    load_vectors(str(path))
    assert not private_cache.exists()


def test_most_frequent_keeps_the_top_rows_and_the_words_asked_for(small):
    top = small.most_frequent(10, keep={"naïve", small.words[1500], "absent"})
    assert top.words == [*small.words[:10], small.words[1500]]
    assert np.array_equal(top.matrix[-1], small.matrix[1500])
    assert small.most_frequent(5000) is small


def test_gensim_data_names_load_the_downloaded_file_only(small, tmp_path, monkeypatch):
    import gensim.downloader

    def no_network(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(gensim.downloader, "urlopen", no_network)
    monkeypatch.setattr(gensim.downloader, "BASE_DIR", str(tmp_path / "gensim-data"))
    (tmp_path / "gensim-data").mkdir()
    info = {"corpora": {}, "models": {"tiny-50": {"file_name": "tiny-50.gz"}}}
    (tmp_path / "gensim-data" / "information.json").write_text(json.dumps(info))
    folder = tmp_path / "gensim-data" / "tiny-50"
    folder.mkdir()
    # gensim-data ships a loader module beside the file: windowner must never import it
    (folder / "__init__.py").write_text("raise RuntimeError('imported')\n")
    from gensim.models import KeyedVectors

    keyed = KeyedVectors(vector_size=small.dim)
    keyed.add_vectors(small.words[:300], small.matrix[:300])
    keyed.save_word2vec_format(str(folder / "tiny-50.gz"), binary=False)
    loaded = load_vectors("gensim:tiny-50")
    assert loaded.spec == "gensim:tiny-50" and loaded.words == small.words[:300]
    assert np.array_equal(loaded.matrix, small.matrix[:300])
    with pytest.raises(UserError, match="cannot get 'glove-wiki-gigaword-50' from gensim-data"):
        load_vectors("gensim:glove-wiki-gigaword-50")


def test_missing_and_malformed_vector_files(tmp_path):
    with pytest.raises(UserError, match="no such vectors file"):
        load_vectors(str(tmp_path / "absent.txt"))
    bad = tmp_path / "bad.txt"
    bad.write_text("the 0.1 0.2\ncat 0.3 oops\n")
    with pytest.raises(UserError, match="cannot read vectors"):
        load_vectors(str(bad))
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(UserError, match="no vector lines"):
        load_vectors(str(tmp_path / "empty.txt"))
    (tmp_path / "junk.kv").write_bytes(b"not a pickle")
    with pytest.raises(UserError, match="cannot read gensim vectors"):
        load_vectors(str(tmp_path / "junk.kv"))


def test_a_cached_400k_word_file_reloads_from_its_cache_not_by_parsing(glove, tmp_path):
    # The cache entry of a GloVe 6B text file, made without the 30 s parse: what is cached is
    # the parse's result, keyed on the file's path, size and mtime. The file itself is 171 MB of
    # zero bytes (sparse), which parse to no vectors at all: getting GloVe's 400k words back
    # proves they came from the cache. (How fast that is, is make bench's business.)
    path = tmp_path / "glove.6B.50d.txt"
    with open(path, "wb") as f:
        f.truncate(171 * 2**20)
    assert vectors_cache.save_cached(path, glove.words, glove.matrix) is not None
    loaded = load_vectors(str(path))
    assert loaded.words == glove.words and np.array_equal(loaded.matrix, glove.matrix)


# --- hostile vector files (issue 16): each is one UserError, nothing allocated for a lie ----


def _vector_lines(n: int = 300, dim: int = 4) -> bytes:
    rng = np.random.default_rng(16)
    return b"".join(
        f"w{i} ".encode() + " ".join(f"{v:.4f}" for v in rng.normal(size=dim)).encode() + b"\n"
        for i in range(n)
    )


def _word2vec_binary(path, claimed: int, n: int, dim: int = 4, claimed_dim=None, newline=True):
    with open(path, "wb") as f:
        f.write(f"{claimed} {claimed_dim or dim}\n".encode())
        for i in range(n):
            f.write(f"w{i} ".encode() + np.full(dim, i, np.float32).tobytes())
            f.write(b"\n" if newline else b"")
    return path


def test_damaged_compressed_vectors_are_one_user_error_wherever_they_are_cut(tmp_path):
    """Seeded: each of .gz, .bz2 and .xz cut at 12 random places and with 12 random bytes
    flipped; every load is a UserError naming the file, or the whole vectors (a flip gzip's
    CRC or bzip2 happens to miss changes a number, which is a valid file)."""
    import bz2
    import lzma

    rng = np.random.default_rng(16)
    lines = _vector_lines()
    cases = 0
    for suffix, compress in (
        (".gz", gzip.compress),
        (".bz2", bz2.compress),
        (".xz", lzma.compress),
    ):
        packed = compress(lines)
        for i in range(24):
            data = bytearray(packed)
            if i < 12:
                data = data[: int(rng.integers(1, len(data)))]
            else:
                at = int(rng.integers(10, len(data)))
                data[at] ^= int(rng.integers(1, 256))
            path = tmp_path / f"v{i}.txt{suffix}"
            path.write_bytes(bytes(data))
            try:
                loaded = load_vectors(str(path))
            except UserError as error:
                assert str(path) in str(error) and "\n" not in str(error)
            else:
                assert loaded.matrix.shape == (300, 4)
            cases += 1
    assert cases == 72
    cut = tmp_path / "cut.txt.gz"
    cut.write_bytes(gzip.compress(lines)[:-40])
    with pytest.raises(UserError, match=r"the \.gz data is truncated or corrupt"):
        load_vectors(str(cut))


@pytest.mark.parametrize(
    ("name", "write", "message"),
    [
        (
            "v.txt.zst",
            lambda p: p.write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 64),
            ".zst compression",
        ),
        ("v.txt", lambda p: p.write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 64), "zstd compression"),
        (
            "count.bin",
            lambda p: _word2vec_binary(p, 10**12, 3),
            "1,000,000,000,000 vectors of 4 numbers",
        ),
        ("dim.bin", lambda p: _word2vec_binary(p, 3, 3, claimed_dim=10**12), "vectors of 1,000,"),
        ("under.bin", lambda p: _word2vec_binary(p, 2, 3), "more vectors than the header's count"),
        ("plain.bin", lambda p: _word2vec_binary(p, 2, 3, newline=False), "more vectors than"),
        (
            "count.txt",
            lambda p: p.write_bytes(b"1000000000000 4\n" + _vector_lines(5)),
            "the header says 1,000,000,000,000 vectors",
        ),
        # 10²⁰ dimensions reached str.rsplit as a maxsplit no C integer holds
        (
            "dim.txt",
            lambda p: p.write_bytes(b"5 100000000000000000000\n" + _vector_lines(5)),
            "5 vectors of 100,000,000,000,000,000,000 numbers",
        ),
        (
            "count20.bin",
            lambda p: _word2vec_binary(p, 10**20, 3),
            "100,000,000,000,000,000,000 vectors of 4 numbers",
        ),
        (
            "dim20.bin",
            lambda p: _word2vec_binary(p, 3, 3, claimed_dim=10**20),
            "vectors of 100,000,000,000,000,000,000 numbers",
        ),
    ],
)
def test_unsupported_compression_and_lying_headers_are_one_user_error(
    tmp_path, name, write, message
):
    path = tmp_path / name
    write(path)
    with pytest.raises(UserError, match=message):
        load_vectors(str(path))


def test_a_word2vec_binary_whose_header_tells_the_truth_loads(tmp_path):
    for newline in (True, False):
        path = _word2vec_binary(tmp_path / f"ok{newline}.bin", 3, 3, newline=newline)
        assert load_vectors(str(path)).words == ["w0", "w1", "w2"]
