"""The training step's shortcuts move the parameters exactly as the plain step would, bit for bit.

The plain step sums each table's gradient per distinct row (scatter_rows) and then subtracts
α times those sums; TableGrad.subtract_from folds the two together. Both must give the same
float32 numbers, signed zeros included, on hostile inputs and on real training.
"""

from __future__ import annotations

import numpy as np

from windowner.model.layers import DENSE_UPDATE_SIZE, TableGrad, window_backward, window_forward
from windowner.model.network import Dropout
from windowner.training.loop import hide_words
from windowner.training.run import prepare
from windowner.training.sgd import SGD


def plain_update(table: np.ndarray, grad: TableGrad, lr: float) -> None:
    summed = grad.summed
    table[summed.rows] -= lr * summed.values


def hostile_case(rng: np.random.Generator):
    """Tables of every kind (large like E, small like the casing table, read by one slot or by
    several, holding signed zeros) in a random slot order, and a batch that reads few rows many
    times, with slices of dx holding signed zeros and values of very different sizes."""
    names = ["E", *rng.choice(["C", "P", "K", "D"], size=int(rng.integers(0, 6)))]
    params = {}
    for name in dict.fromkeys(names):
        width = int(rng.integers(1, 9))
        small = rng.random() < 0.7
        rows = int(rng.integers(1, 400)) if small else DENSE_UPDATE_SIZE // width + 1
        table = rng.standard_normal((rows, width)).astype(np.float32)
        table[rng.random(table.shape) < 0.1] = -0.0
        table[rng.random(table.shape) < 0.1] = 0.0
        params[name] = table
    slots = tuple(rng.permutation(names).tolist())
    N, n = int(rng.integers(1, 40)), int(rng.integers(1, 6))
    ids = np.stack(
        [
            rng.choice(rng.choice(len(params[name]), size=int(rng.integers(1, 20))), size=(N, n))
            for name in slots
        ],
        axis=2,
    )
    x, cache = window_forward(params, slots, ids)
    dx = (rng.standard_normal(x.shape) * 10.0 ** rng.integers(-6, 4)).astype(np.float32)
    dx[rng.random(dx.shape) < 0.2] = -0.0  # dropout's zeros keep the sign of what they hide
    return params, window_backward(dx, cache)


def test_the_fused_update_is_the_plain_update_bit_for_bit():
    rng = np.random.default_rng(14)
    kinds = set()
    for _ in range(300):
        params, grads = hostile_case(rng)
        lr = float(rng.choice([0.2, 0.013, 1e-7, 3.0]))
        for name, grad in grads.items():
            kinds.add((grad.small is not None, len(grad.ids) > 1))
            fused, plain = params[name].copy(), params[name].copy()
            grad.subtract_from(fused, lr)
            plain_update(plain, grad, lr)
            assert fused.tobytes() == plain.tobytes(), name  # signed zeros included
    assert kinds == {(True, False), (False, False), (False, True)}  # every path was taken


def test_window_backward_hands_each_table_its_slots_slices():
    """A table read by two slots gets both slots' ids and slices, in slot order."""
    rng = np.random.default_rng(3)
    params = {
        "E": rng.standard_normal((20, 3)).astype(np.float32),
        "P": rng.standard_normal((9, 2)).astype(np.float32),
    }
    slots = ("E", "P", "P")
    ids = np.stack([rng.integers(0, 20, (4, 3)), *(rng.integers(0, 9, (4, 3)),) * 2], axis=2)
    x, cache = window_forward(params, slots, ids)
    dx = rng.standard_normal(x.shape).astype(np.float32)
    grads = window_backward(dx, cache)
    per_position = dx.reshape(4, 3, 7)
    assert [g.shape for g in grads["P"].values] == [(4, 3, 2), (4, 3, 2)]
    assert np.array_equal(grads["P"].values[1], per_position[:, :, 5:7])
    assert np.array_equal(grads["P"].ids[0], ids[:, :, 1])
    expected = np.zeros((9, 2), np.float32)
    for j, start in ((1, 3), (2, 5)):
        sliced = per_position[:, :, start : start + 2].reshape(-1, 2)
        np.add.at(expected, ids[:, :, j].ravel(), sliced)
    assert np.allclose(grads["P"].summed.dense(9), expected)


def test_real_training_steps_move_parameters_as_the_plain_step_does(small_run, tmp_path):
    """300 steps of the default model (casing, shape and document tables, dropout, word
    dropout) on real CoNLL-2003 windows: the fused step and the plain step stay identical."""
    config = small_run(out=str(tmp_path / "out"))
    run = prepare(config, tmp_path / "out", lambda _: None)
    network, t = run.model.network, config.training
    assert {"C", "K", "D"} <= set(network.params) and t.dropout_x and t.word_dropout
    plain = {name: value.copy() for name, value in network.params.items()}
    dropout = Dropout(t.dropout_x, t.dropout_h, run.rng)
    order = run.rng.permutation(len(run.targets))
    fused_sgd, plain_sgd = SGD(), SGD()
    for step in range(300):
        rows = order[(step * 32) % len(order) :][:32]
        ids = run.windows.ids[rows]
        hide_words(ids[:, :, 0], run.rare, t.word_dropout, run.rng)
        _, grads = network.loss(ids, run.targets[rows], dropout)
        # SGD.step consumes its gradients: the plain step gets copies of the dense ones.
        summed = {k: g.summed if isinstance(g, TableGrad) else g.copy() for k, g in grads.items()}
        plain_sgd.step(plain, summed, 0.2)
        fused_sgd.step(network.params, grads, 0.2)
    for name, value in network.params.items():
        assert value.tobytes() == plain[name].tobytes(), name
