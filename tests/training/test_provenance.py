"""What a model records of its making: the data files' SHA-256 and the package versions."""

import hashlib

import pytest

from windowner.data.files import file_sha256
from windowner.errors import UserError
from windowner.training.provenance import data_hashes, package_versions


def test_hashes_are_sha256_of_the_bytes_for_files_only(tmp_path, conll_dir):
    data = tmp_path / "train.txt"
    data.write_bytes(b"EU B-ORG\n" * 200_000)  # more than one 1 MiB block
    hashes = data_hashes({"train": str(data), "dev": "hf:conll2003@validation", "test": ""})
    assert hashes == {"train": hashlib.sha256(data.read_bytes()).hexdigest()}
    assert (
        file_sha256(conll_dir / "valid.txt")
        == hashlib.sha256((conll_dir / "valid.txt").read_bytes()).hexdigest()
    )


def test_an_unreadable_data_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="is a directory"):
        file_sha256(tmp_path)


def test_versions_name_python_numpy_and_windowner():
    import numpy

    import windowner

    versions = package_versions()
    assert versions["numpy"] == numpy.__version__
    assert versions["windowner"] == windowner.__version__
    assert versions["python"].count(".") == 2
