import io
import json
import zipfile

import numpy as np
import pytest

from tests.model.test_network import small_network
from windowner.errors import UserError
from windowner.features.vocabulary import Vocabulary
from windowner.model_file import Model, load_model, save_model


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


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("W"), "missing arrays W"),
        (lambda a: a.update(W=a["W"][:, :-1]), "array W is float32"),
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
        (lambda a: a.update(extra=np.zeros(3)), "unexpected arrays extra"),
        (_meta_edit(lambda m: m.pop("shapes")), "'shapes' is missing"),
        (_meta_edit(lambda m: m.update(tags="O B-PER")), "'tags' is missing or not a JSON list"),
        (_meta_edit(lambda m: m.update(lowercase="yes")), "'lowercase'"),
        (_meta_edit(lambda m: m.update(activation={"name": "softplus"})), "unknown activation"),
        (_meta_edit(lambda m: m.update(head="crf")), "unknown head"),
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
