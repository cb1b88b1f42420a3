import dataclasses
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import run
from tests.model.test_network import small_network
from windowner.errors import UserError
from windowner.features.casing import CASING_CLASSES
from windowner.features.clusters import VocabularyClusters
from windowner.features.lexicons import Lexicon, LexiconFeature
from windowner.features.vocabulary import Vocabulary
from windowner.features.windows import Features
from windowner.model.activations import get_activation
from windowner.model.ensemble import Ensemble
from windowner.model.int8 import encode, round_rows
from windowner.model.network import WindowNetwork
from windowner.model_file import Model, load_model, save_model
from windowner.tagging.predict import predict_tags, token_table


def tiny_model() -> Model:
    network = small_network(vocab=6)
    vocabulary = Vocabulary(["<unk>", "<s>", "</s>", "paris", "naïve", "new york"], lowercase=True)
    return Model(network, vocabulary, ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"], {"epoch": 3})


def test_round_trip_keeps_every_array_and_the_vocabulary(tmp_path):
    model = tiny_model()
    save_model(tmp_path / "m.npz", model)
    loaded = load_model(tmp_path / "m.npz")
    for name, value in model.network.params.items():
        assert np.array_equal(loaded.network.params[name], value)
    assert loaded.vocabulary.words == model.vocabulary.words
    assert loaded.tags == model.tags and loaded.metadata["epoch"] == 3
    assert loaded.network.activation.params() == model.network.activation.params()
    assert not list(tmp_path.glob(".*tmp"))  # the temporary file was renamed away
    (tmp_path / "plain").write_bytes(b"")  # permissions as open() gives them under this umask
    assert (tmp_path / "m.npz").stat().st_mode == (tmp_path / "plain").stat().st_mode


def test_save_replaces_an_existing_file_only_when_complete(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    save_model(path, tiny_model())
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(np, "savez", explode)
    monkeypatch.setattr(np, "savez_compressed", explode)
    with pytest.raises(RuntimeError):
        save_model(path, tiny_model())
    assert path.read_bytes() == before and not list(tmp_path.glob(".*tmp"))


def _rewrite(tmp_path, change) -> str:
    """Save a good model, let `change` edit its arrays, write them back as a new npz."""
    save_model(tmp_path / "good.npz", tiny_model())
    with np.load(tmp_path / "good.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    return str(path)


def _meta_edit(edit):
    def change(arrays):
        meta = json.loads(arrays["metadata"].tobytes())
        edit(meta)
        arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)

    return change


def _meta_text(edit):
    def change(arrays):
        text = edit(arrays["metadata"].tobytes().decode())
        arrays["metadata"] = np.frombuffer(text.encode(), np.uint8)

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("W"), "missing arrays W"),
        (lambda a: a.update(W=a["W"][:, :-1]), r"array W is \(6, 34\), its metadata says"),
        (lambda a: a.update(U=a["U"].astype(np.float64)), "array U is float64"),
        (_meta_edit(lambda m: m.update(format_version=99)), "format version 99"),
        (_meta_edit(lambda m: m.update(format="something-else")), "does not name"),
        (_meta_edit(lambda m: m.update(tags=["O"])), "1 tags for 5 output rows"),
    ],
)
def test_inconsistent_models_are_rejected(tmp_path, change, message):
    with pytest.raises(UserError, match=message):
        load_model(_rewrite(tmp_path, change))


def test_not_a_model_truncated_and_missing(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(UserError, match=r"not a windowner model \(not an .npz archive\)"):
        load_model(text)
    npy = tmp_path / "array.npy"
    np.save(npy, np.zeros(3))
    with pytest.raises(UserError, match=r"not an \.npz archive"):
        load_model(npy)
    save_model(tmp_path / "m.npz", tiny_model())
    truncated = tmp_path / "t.npz"
    whole = (tmp_path / "m.npz").read_bytes()
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UserError, match="not a windowner model"):
        load_model(truncated)
    with pytest.raises(UserError, match="no such file"):
        load_model(tmp_path / "absent.npz")


class _Payload:
    """Unpickling this would run code: it would create the file named in its argument."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_a_crafted_pickle_inside_the_npz_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    buffer = io.BytesIO()
    np.save(buffer, np.array([_Payload(str(marker))], dtype=object), allow_pickle=True)
    path = _rewrite(tmp_path, lambda arrays: None)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("E.npy", buffer.getvalue())  # a second E.npy entry shadows the real one
    with pytest.raises(UserError, match=r"never unpickles|not a"):
        load_model(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.update(extra=np.zeros(3)), "unexpected array extra"),
        (_meta_edit(lambda m: m.pop("shapes")), "'shapes' is missing"),
        (_meta_edit(lambda m: m.update(tags="O B-PER")), "'tags' must be a non-empty list"),
        (_meta_edit(lambda m: m.update(lowercase="yes")), "'lowercase'"),
        (_meta_edit(lambda m: m.update(activation={"name": "softplus"})), "unknown activation"),
        (_meta_edit(lambda m: m.update(head="crf")), "'head' is unknown"),
        # numbers and sizes past what the code holds: β·z as a float, T² Viterbi scores
        (
            _meta_edit(lambda m: m["activation"].update(name="swish", beta=10**400)),
            "its metadata holds an integer beyond 64 bits",
        ),
        (_meta_edit(lambda m: m.update(epoch=2**64)), "integer beyond 64 bits"),
        (_meta_text(lambda t: t[:-1] + ', "dev": {"f1": 1e400}}'), "number beyond float range"),
        (_meta_edit(lambda m: m.update(notes="x" * 20_000_000)), "more than 16,777,216"),
        (
            _meta_edit(lambda m: m.update(tags=["O", *(f"B-T{i}" for i in range(2000))])),
            "'tags' holds 2,001 tags, more than windowner's 1,001",
        ),
    ],
)
def test_malformed_metadata_and_extra_arrays_are_rejected(tmp_path, change, message):
    with pytest.raises(UserError, match=message):
        load_model(_rewrite(tmp_path, change))


def test_shapes_that_agree_with_lying_metadata_but_not_with_each_other(tmp_path):
    def shrink_u(arrays):  # U loses a column, and the metadata is edited to match
        arrays["U"] = arrays["U"][:, :-1]
        meta = json.loads(arrays["metadata"].tobytes())
        meta["shapes"]["U"] = list(arrays["U"].shape)
        arrays["metadata"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)

    with pytest.raises(UserError, match="do not fit together"):
        load_model(_rewrite(tmp_path, shrink_u))


def _zip_edit(tmp_path, edit) -> str:
    """Save a good model, rewrite its zip members through `edit(name, data) -> (name, data)`."""
    save_model(tmp_path / "good.npz", tiny_model())
    path = tmp_path / "bad.npz"
    with zipfile.ZipFile(tmp_path / "good.npz") as good, zipfile.ZipFile(path, "w") as bad:
        for info in good.infolist():
            name, data = edit(info.filename, good.read(info))
            bad.writestr(name, data)
    return str(path)


def _one_row_E(arrays):
    """E, its vocabulary and its metadata shapes agree on a single row."""
    arrays["E"] = arrays["E"][:1]
    arrays["vocabulary"] = np.frombuffer(b"<unk>", np.uint8)
    _meta_edit(lambda m: m["shapes"].update(E=[1, 4]))(arrays)


def _huge_header(name, data):
    """The E member's header claims a 36 TiB array; the data stays as small as it was."""
    if name != "E.npy":
        return name, data
    fake = io.BytesIO()
    header = {"descr": "<f4", "fortran_order": False, "shape": (1 << 22, 1 << 21)}
    np.lib.format.write_array_header_1_0(fake, header)
    return name, fake.getvalue() + data[128:]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_meta_edit(lambda m: m["shapes"].update(E=5)), "'shapes' E must be a list"),
        (_meta_edit(lambda m: m["shapes"].update(E=[-6, 4])), "'shapes' E must be a list"),
        (_meta_edit(lambda m: m.update(vocabulary={})), "'vocabulary' must hold 'lowercase'"),
        (_meta_edit(lambda m: m.update(only_type=5)), "'only_type' must be a non-empty string"),
        (_meta_edit(lambda m: m.update(tags=["O", "X", "B-", "B-P", "I-P"])), "unknown tag 'X'"),
        (_meta_edit(lambda m: m["activation"].update(leak="x")), "'leak' is no number tanh"),
        (_meta_edit(lambda m: m.update(decode="beam")), "'decode' is unknown"),
        (_meta_edit(lambda m: m.update(tags=["O", "B-", "B-P", "I-P", "I-Q"])), "tag 'B-'"),
        (_meta_edit(lambda m: m.update(format_version=True)), "format_version' must be an int"),
        (_meta_edit(lambda m: m["vocabulary"].update(lookup=["x"])), "lookup must be"),
        (_one_row_E, "the vocabulary must start with <unk>, <s>, </s>"),
        (lambda a: a.update(E=np.asfortranarray(a["E"])), "Fortran-ordered"),
        (lambda a: a.update(b=a["b"] * np.float32("nan")), "array b holds NaN"),
        (lambda a: a.update(c=np.full_like(a["c"], np.inf)), "array c holds NaN or infinite"),
    ],
)
def test_metadata_and_arrays_that_used_to_end_in_a_traceback(tmp_path, change, message):
    with pytest.raises(UserError, match=message) as error:
        load_model(_rewrite(tmp_path, change))
    assert error.value.path.endswith("bad.npz")


def test_json_nested_100000_deep_is_one_line_not_a_recursion_error(tmp_path):
    def deep(arrays):
        meta = json.loads(arrays["metadata"].tobytes())
        text = json.dumps(meta)[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
        arrays["metadata"] = np.frombuffer(text.encode(), np.uint8)

    with pytest.raises(UserError, match="nests deeper than 64 levels"):
        load_model(_rewrite(tmp_path, deep))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda n, d: (n.removesuffix(".npy"), d), "member 'E' is not an .npy array"),
        (_huge_header, r"claims \(4194304, 2097152\) \(35,184,372,088,832 bytes\)"),
        (lambda n, d: (n, d[:-1]) if n == "W.npy" else (n, d), "holds"),
    ],
)
def test_zip_members_are_checked_before_anything_is_allocated(tmp_path, edit, message):
    with pytest.raises(UserError, match=message):
        load_model(_zip_edit(tmp_path, edit))


def _patch_central_directory(path, member: str, offset: int, value: bytes) -> None:
    """Overwrite bytes at `offset` in `member`'s central directory entry (and local header,
    offset − 2 there, for the fields both hold)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(member)] != member.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + offset : central + offset + len(value)] = value
    local = info.header_offset
    if offset >= 6:
        data[local + offset - 2 : local + offset - 2 + len(value)] = value
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("offset", "value", "message"),
    [
        (10, (14).to_bytes(2, "little"), "unsupported compression 14"),  # LZMA
        (8, (1).to_bytes(2, "little"), "is encrypted"),
        (6, (99).to_bytes(2, "little"), "zip version 9.9|zip file version 9.9"),
        (16, bytes(4), "CRC"),
        (24, (2 << 30).to_bytes(4, "little"), "out of proportion"),
    ],
)
def test_zip_header_fields_are_checked(tmp_path, offset, value, message):
    path = tmp_path / "m.npz"
    save_model(path, tiny_model())
    _patch_central_directory(path, "W.npy", offset, value)
    with pytest.raises(UserError, match=message):
        load_model(path)


def test_a_member_inflating_out_of_proportion_is_refused_unread(tmp_path):
    path = tmp_path / "bomb.npz"
    save_model(tmp_path / "good.npz", tiny_model())
    with zipfile.ZipFile(tmp_path / "good.npz") as good:
        members = {i.filename: good.read(i) for i in good.infolist()}
    members["E.npy"] = members["E.npy"][:128] + bytes(64 << 20)  # 64 MB of zeros: ~64 KB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(UserError, match="out of proportion"):
        load_model(path)


# A model with word clusters (two sizes, table Q) and its hostile variants.
def clustered_model() -> Model:
    rng = np.random.default_rng(5)
    vocabulary = Vocabulary(["<unk>", "<s>", "</s>", "paris", "lyon", "rome"], lowercase=True)
    ids = np.array([[0, 0], [0, 0], [0, 0], [1, 2], [1, 3], [2, 8]], np.int32)
    clusters = VocabularyClusters((2, 8), ids)
    features = Features(clusters=clusters)
    network = WindowNetwork.initialise(
        rng.normal(size=(6, 4)),
        len(CASING_CLASSES),
        5,
        window=1,
        hidden=4,
        activation=get_activation("tanh"),
        casing_dim=2,
        rng=rng,
        slots=features.slots,
        tables={"Q": (clusters.rows(), 3)},
    )
    tags = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    return Model(network, vocabulary, tags, {}, features)


def test_word_clusters_round_trip_as_format_3_and_plain_models_stay_format_2(tmp_path):
    save_model(tmp_path / "q.npz", clustered_model())
    loaded = load_model(tmp_path / "q.npz")
    assert loaded.features.slots == ("E", "C", "Q", "Q")
    assert np.array_equal(loaded.features.clusters.ids, clustered_model().features.clusters.ids)
    assert loaded.metadata["format_version"] == 3
    assert predict_tags(loaded, [["Paris", "and", "Rome"]])  # tags through the Q slots
    save_model(tmp_path / "plain.npz", tiny_model())
    plain = load_model(tmp_path / "plain.npz")
    assert plain.metadata["format_version"] == 2 and "clusters" not in plain.metadata["features"]


def _rewrite_clustered(tmp_path, change) -> str:
    save_model(tmp_path / "good.npz", clustered_model())
    with np.load(tmp_path / "good.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    return str(tmp_path / "bad.npz")


def _set_cluster(value):
    def change(arrays):
        ids = arrays["clusters"].copy()
        ids[4, 1] = value
        arrays["clusters"] = ids

    return change


def _features_edit(edit):
    return _meta_edit(lambda m: edit(m["features"]))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set_cluster(9), r"clusters holds ids outside 0 to the sizes \[2, 8\]"),
        (_set_cluster(-1), "clusters holds ids outside"),
        (lambda a: a.update(clusters=a["clusters"].astype(np.int64)), "array clusters is int64"),
        (lambda a: a.update(clusters=a["clusters"][:-1]), r"clusters is int32 \(5, 2\)"),
        (lambda a: a.update(clusters=a["clusters"][:, :1]), r"expected int32 \(6, 2\)"),
        (lambda a: a.pop("clusters"), "lacks a clusters array and its features name clusters"),
        (_features_edit(lambda f: f.pop("clusters")), "has a clusters array and its features do"),
        (_features_edit(lambda f: f.update(clusters={"sizes": [1, 8]})), "'clusters' must hold"),
        (_features_edit(lambda f: f.update(clusters={"sizes": 8})), "'clusters' must hold"),
        (_features_edit(lambda f: f.update(clusters=[2, 8])), "must be a JSON object"),
        (_features_edit(lambda f: f.update(clusters={"sizes": [2, 9]})), "ids outside|table Q"),
    ],
)
def test_hostile_cluster_arrays_are_refused_in_one_line(tmp_path, change, message):
    with pytest.raises(UserError, match=message) as error:
        load_model(_rewrite_clustered(tmp_path, change))
    assert "\n" not in str(error.value)


def lexicon_model() -> Model:
    """clustered_model() with a lexicon too (two types, table L)."""
    model = clustered_model()
    lexicon = Lexicon.from_phrases([("LOC", "Paris"), ("PER", "Rome Smith")], ("PER", "LOC"))
    features = Features(clusters=model.features.clusters, lexicon=LexiconFeature(lexicon))
    rng = np.random.default_rng(2)
    params = dict(model.network.params, L=rng.normal(size=(10, 2)).astype(np.float32))
    width = 3 * sum(params[name].shape[1] for name in features.slots)
    params["W"] = rng.normal(size=(4, width)).astype(np.float32)
    network = WindowNetwork(params, model.network.activation, slots=features.slots)
    return Model(network, model.vocabulary, model.tags, {}, features)


def test_a_lexicon_travels_in_the_model_file(tmp_path):
    save_model(tmp_path / "l.npz", lexicon_model())
    loaded = load_model(tmp_path / "l.npz")
    assert loaded.features.lexicon == lexicon_model().features.lexicon
    assert loaded.features.slots == ("E", "C", "Q", "Q", "L", "L")
    windows = token_table(loaded).windows(
        token_table(loaded).type_ids([["Rome", "Smith", "in", "Paris"]]), np.array([4]), 1
    )
    assert windows.ids[:, 1, -2:].tolist() == [[1, 5], [3, 5], [0, 5], [0, 9]]
    assert predict_tags(loaded, [["Rome", "Smith", "in", "Paris"]])


def _rewrite_lexicon(tmp_path, change) -> str:
    save_model(tmp_path / "good.npz", lexicon_model())
    with np.load(tmp_path / "good.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    return str(tmp_path / "bad.npz")


def _phrases(data: bytes):
    return lambda a: a.update(lexicon=np.frombuffer(data, np.uint8))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_phrases(b"LOC\tParis\n\xff\xfe"), "unreadable|invalid start byte"),
        (_phrases(b"ORG\tAcme"), "lexicon line 1: unknown type 'ORG'"),
        (_phrases(b"LOC\tParis\nLOC"), "lexicon line 2: a phrase must have 1 to 32 tokens"),
        (_phrases(b"LOC\tPa\x00ris"), "control character"),
        (lambda a: a.update(lexicon=a["lexicon"].reshape(1, -1)), r"array lexicon is \(1, "),
        (lambda a: a.update(lexicon=a["lexicon"].astype(np.int8)), "array lexicon is int8"),
        (lambda a: a.pop("lexicon"), "lacks a lexicon array and its features name lexicon"),
        (_features_edit(lambda f: f.pop("lexicon")), "has a lexicon array and its features do"),
        (_features_edit(lambda f: f["lexicon"].update(types=["PER"])), "unknown type 'LOC'"),
        (_features_edit(lambda f: f["lexicon"].update(types=["PER", "PER"])), "'lexicon' must"),
        (_features_edit(lambda f: f["lexicon"].update(fold="yes")), "'lexicon' must hold"),
        (_features_edit(lambda f: f["lexicon"].update(types=["a\nb"])), "'lexicon' must hold"),
    ],
)
def test_hostile_lexicons_are_refused_in_one_line(tmp_path, change, message):
    with pytest.raises(UserError, match=message) as error:
        load_model(_rewrite_lexicon(tmp_path, change))
    assert "\n" not in str(error.value)


def test_a_lexicon_longer_than_the_bound_is_refused(tmp_path, monkeypatch):
    path = _rewrite_lexicon(tmp_path, lambda a: None)
    monkeypatch.setattr("windowner.model_file_checks.MAX_LEXICON_BYTES", 10)
    with pytest.raises(UserError, match="expected at most 10 bytes"):
        load_model(path)


# E stored as int8 rows (model/int8.py) and exact rows: format version 4.
def int8_model(members: int = 1) -> Model:
    """tiny_model() with its three word rows rounded to int8 (as training rounds the rows it
    never reads); with `members` > 1, an ensemble whose members differ in one rounded row (4,
    changed in member 1) as well as in the rows every member stores exactly (0-2)."""
    model = tiny_model()
    networks = []
    for i in range(members):
        network = small_network(vocab=6, seed=i)
        params = dict(network.params)
        params["E"] = tiny_model().network.params["E"].copy()
        params["E"][:3] += np.float32(i)
        round_rows(params["E"], np.arange(6) >= 3)
        if i:
            params["E"][4] += np.float32(0.25)
        networks.append(WindowNetwork(params, network.activation))
    network = networks[0] if members == 1 else Ensemble(networks)
    return dataclasses.replace(model, network=network)


def _params(model: Model) -> list[dict[str, np.ndarray]]:
    network = model.network
    return [m.params for m in (network.members if isinstance(network, Ensemble) else [network])]


def _assert_same_bits(loaded: Model, model: Model) -> None:
    for got, expected in zip(_params(loaded), _params(model), strict=True):
        assert got.keys() == expected.keys()
        for name, value in expected.items():
            assert got[name].dtype == value.dtype and got[name].tobytes() == value.tobytes(), name


@pytest.mark.parametrize("compress", [True, False])
def test_int8_rows_round_trip_bit_for_bit_as_format_4(tmp_path, compress):
    model = int8_model()
    save_model(tmp_path / "m.npz", model, compress=compress)
    loaded = load_model(tmp_path / "m.npz")
    _assert_same_bits(loaded, model)
    assert loaded.metadata["format_version"] == 4 and loaded.metadata["embedding"] == "int8"
    with np.load(tmp_path / "m.npz") as npz:
        assert "E" not in npz.files and npz["E_int8"].dtype == np.int8
        assert npz["E_rows"].tolist() == [0, 1, 2]  # the fresh rows; 3-5 are int8
        assert not npz["E_int8"][:3].any()  # a row every member stores exactly: zeros
    with zipfile.ZipFile(tmp_path / "m.npz") as archive:
        kinds = {info.compress_type for info in archive.infolist()}
    assert kinds == {zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED}
    sentences = [["Paris", "is", "naïve", "about", "New", "York", "."]]
    assert predict_tags(loaded, sentences) == predict_tags(model, sentences)
    save_model(tmp_path / "again.npz", loaded, compress=compress)  # through the file's rows
    with np.load(tmp_path / "m.npz") as first, np.load(tmp_path / "again.npz") as again:
        assert first.files == again.files
        for name in set(first.files) - {"metadata"}:  # the metadata's keys come in another order
            assert first[name].tobytes() == again[name].tobytes(), name


def test_an_ensemble_stores_its_int8_rows_once(tmp_path):
    model = int8_model(members=3)
    save_model(tmp_path / "e.npz", model)
    loaded = load_model(tmp_path / "e.npz")
    _assert_same_bits(loaded, model)
    with np.load(tmp_path / "e.npz") as npz:
        assert [n for n in npz.files if "int8" in n or "scale" in n] == ["E_int8", "E_scale"]
        assert npz["E_rows"].tolist() == [0, 1, 2]
        # members 1 and 2 have other fresh rows and their own row 4; rows 3, 5 are shared
        assert npz["member1.E_rows"].tolist() == npz["member2.E_rows"].tolist() == [0, 1, 2, 4]


def test_a_stale_int8_block_costs_size_never_a_number(tmp_path):
    model = int8_model()
    other = small_network(vocab=6, seed=7).params["E"].copy()
    round_rows(other, np.ones(6, bool))
    model.int8_rows = encode(other)[0]  # the block of another E of the same shape
    save_model(tmp_path / "stale.npz", model)
    _assert_same_bits(load_model(tmp_path / "stale.npz"), model)
    model.int8_rows = encode(other[:4])[0]  # of another shape: ignored, E encoded again
    save_model(tmp_path / "shape.npz", model)
    loaded = load_model(tmp_path / "shape.npz")
    _assert_same_bits(loaded, model)
    assert loaded.metadata["embedding"] == "int8"


def test_a_model_written_before_int8_rows_loads_tags_and_saves_as_it_was(tmp_path):
    """tests/fixtures/model-format-2.npz, written by main at 2ef29b2 (before format 4), tags
    byte for byte as that windowner tagged it, and saved again it stays a format-2 file."""
    fixtures = Path(__file__).resolve().parent / "fixtures"
    news = Path(__file__).resolve().parent.parent / "examples" / "news.txt"
    expected = (fixtures / "format-2-tags.jsonl").read_text(encoding="utf-8")
    result = run("ner-tag", fixtures / "model-format-2.npz", news, "--with-tokens")
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected
    old = load_model(fixtures / "model-format-2.npz")
    save_model(tmp_path / "resaved.npz", old)
    resaved = load_model(tmp_path / "resaved.npz")
    assert resaved.metadata["format_version"] == 2 and "embedding" not in resaved.metadata
    _assert_same_bits(resaved, old)
    result = run("ner-tag", tmp_path / "resaved.npz", news, "--with-tokens")
    assert result.stdout == expected


def _rewrite_int8(tmp_path, change, members: int = 2) -> str:
    save_model(tmp_path / "good.npz", int8_model(members))
    with np.load(tmp_path / "good.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    return str(tmp_path / "bad.npz")


def _set(name, edit):
    def change(arrays):
        array = arrays[name].copy()
        edit(array)
        arrays[name] = array

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("E_rows", lambda r: r.__setitem__(2, 6)), "E_rows of member 0 are not increasing"),
        (_set("E_rows", lambda r: r.__setitem__(0, -1)), "not increasing rows of E"),
        (_set("member1.E_rows", lambda r: r.__setitem__(1, 0)), "member 1 are not increasing"),
        (lambda a: a.update(E_rows=a["E_rows"].astype(np.int64)), "array E_rows is int64"),
        (lambda a: a.update(E_exact=a["E_exact"][:2]), r"E_exact \(2, 4\) of member 0 do not"),
        (lambda a: a.update(E_exact=a["E_exact"][:, :3]), "do not fit E's shape"),
        (_set("E_exact", lambda e: e.__setitem__((1, 2), np.nan)), "E_exact holds NaN"),
        (_set("E_scale", lambda s: s.__setitem__(4, np.inf)), "E_scale holds a negative, NaN"),
        (_set("E_scale", lambda s: s.__setitem__(4, -1)), "E_scale holds a negative"),
        (lambda a: a.update(E_scale=a["E_scale"].astype(np.float32)), "E_scale is float32"),
        (lambda a: a.update(E_int8=a["E_int8"][:5]), r"E_int8 \(5, 4\) and E_scale \(6,\)"),
        (lambda a: a.update(E_int8=a["E_int8"].astype(np.uint8)), "array E_int8 is uint8"),
        (lambda a: a.pop("E_scale"), "lacks E_int8 or E_scale"),
        (lambda a: a.pop("member1.E_exact"), "member 1 must hold E_rows and E_exact, not E"),
        (lambda a: a.update(E=a["E_exact"]), "member 0 must hold E_rows and E_exact, not E"),
        (lambda a: a.pop("E_rows"), "member 0 must hold E_rows and E_exact"),
        (_meta_edit(lambda m: m.pop("embedding")), "holds E_exact, E_int8, E_rows, E_scale but"),
        (_meta_edit(lambda m: m.update(embedding="float16")), "'embedding' is unknown"),
        (_meta_edit(lambda m: m.update(format_version=3)), "int8 in format version 3"),
        (_meta_edit(lambda m: m["shapes"].update(E=[6, 5])), "do not fit E's shape"),
    ],
)
def test_hostile_int8_arrays_are_refused_in_one_line(tmp_path, change, message):
    with pytest.raises(UserError, match=message) as error:
        load_model(_rewrite_int8(tmp_path, change))
    assert "\n" not in str(error.value) and str(error.value).startswith(str(tmp_path))


def test_an_int8_embedding_too_large_to_build_is_refused(tmp_path, monkeypatch):
    path = _rewrite_int8(tmp_path, lambda a: None, members=1)
    monkeypatch.setattr("windowner.errors.MAX_ARRAY_BYTES", 6 * 4 * 4 - 1)
    with pytest.raises(UserError, match=r"E \(6 × 4\) would need"):
        load_model(path)
