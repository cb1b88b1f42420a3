"""Blocks forwarded side by side give the blocks' own numbers, bit for bit (model/inference.py)."""

from __future__ import annotations

import os
import select
import signal

import numpy as np
import pytest

from windowner.data.conll import read_conll
from windowner.features.windows import encode
from windowner.model import inference
from windowner.model_file import load_model


@pytest.fixture(scope="module")
def model(trained):
    return load_model(trained / "model.npz")


@pytest.fixture(scope="module")
def windows(model, conll_dir):
    sentences = [s.tokens for s in read_conll(conll_dir / "valid.txt").sentences]
    return encode(sentences, model.vocabulary, model.network.window, model.features)


@pytest.mark.parametrize("batch", [8192, 1000, 64, 7])
def test_scores_are_each_blocks_own_forward(model, windows, batch):
    network = model.network
    ids = windows.ids[:20_000]
    expected = np.concatenate(
        [network.forward(ids[i : i + batch])[0] for i in range(0, len(ids), batch)]
    )
    got = network.scores(ids, batch)
    assert got.dtype == expected.dtype
    assert np.array_equal(got.view(np.uint32), expected.view(np.uint32))


def test_one_thread_or_several_the_same_scores(model, windows, monkeypatch):
    network = model.network
    several = network.scores(windows.ids, 4096)
    monkeypatch.setattr(inference, "MAX_THREADS", 1)
    assert inference.forward_threads() == 1
    one = network.scores(windows.ids, 4096)
    assert np.array_equal(one.view(np.uint32), several.view(np.uint32))


def test_no_windows_no_scores(model, windows):
    assert model.network.scores(windows.ids[:0]).shape == (0, len(model.tags))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_forwards_on_a_pool_of_its_own(model, windows):
    """A child forked after the parent's pool exists would hang on the parent's dead threads."""
    ids = windows.ids[:10_000]
    expected = model.network.scores(ids, 2048)  # the parent's pool now exists
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute and report, then leave at once
        ok = np.array_equal(model.network.scores(ids, 2048), expected)
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    answered, _, _ = select.select([read], [], [], 120)
    if not answered:  # hung: end it rather than the test run
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert answered and os.read(read, 1) == b"1"
