import numpy as np
import pytest

from windowner.model.layers import RowGrad, scatter_rows
from windowner.training.sgd import SGD, sgd_step


def test_sparse_and_dense_updates_follow_theta_minus_alpha_gradient():
    params = {"E": np.ones((5, 2)), "W": np.ones((2, 2))}
    grads = {
        "E": RowGrad(np.array([1, 3]), np.array([[1.0, 2.0], [3.0, 4.0]])),
        "W": np.full((2, 2), 10.0),
    }
    sgd_step(params, grads, lr=0.5)
    assert params["E"].tolist() == [[1, 1], [0.5, 0.0], [1, 1], [-0.5, -1.0], [1, 1]]
    assert (params["W"] == -4.0).all()


def test_frozen_parameters_do_not_move():
    params = {"E": np.ones((3, 2)), "W": np.ones(2)}
    grads = {"E": RowGrad(np.array([0]), np.ones((1, 2))), "W": np.ones(2)}
    sgd_step(params, grads, lr=1.0, frozen=("E",))
    assert (params["E"] == 1).all() and (params["W"] == 0).all()


def test_a_row_repeated_in_the_batch_moves_by_the_sum_of_its_contributions():
    """scatter_rows adds a repeated row's slices in batch order, as np.add.at does, bit for bit,
    and SGD then moves only the rows the batch touched."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        ids = rng.integers(0, 30, int(rng.integers(1, 200)))
        values = rng.standard_normal((len(ids), 7)).astype(np.float32)
        expected = np.zeros((30, 7), np.float32)
        for i, row in enumerate(ids):  # 0 + v₁ + v₂ + … in the batch's order
            expected[row] += values[i]
        grad = scatter_rows(ids, values)
        assert grad.rows.tolist() == sorted(set(ids.tolist()))
        assert np.array_equal(grad.dense(30), expected)

        E = rng.standard_normal((30, 7)).astype(np.float32)
        params = {"E": E.copy()}
        sgd_step(params, {"E": grad}, lr=0.1)
        touched = np.isin(np.arange(30), ids)
        assert np.array_equal(params["E"][touched], E[touched] - 0.1 * expected[touched])
        assert np.array_equal(params["E"][~touched], E[~touched])


def test_an_empty_batch_scatters_nothing():
    grad = scatter_rows(np.zeros(0, np.int64), np.zeros((0, 4), np.float32))
    assert grad.rows.shape == (0,) and grad.values.shape == (0, 4)


def test_a_numpy_float64_step_size_keeps_float32_parameters_and_their_values():
    """α arrives as np.float64 from some schedules: the update must stay in float32, the same
    numbers as with a Python float."""
    rng = np.random.default_rng(1)
    W = rng.standard_normal((4, 3)).astype(np.float32)
    dW = rng.standard_normal((4, 3)).astype(np.float32)
    rows = RowGrad(np.array([0, 2]), rng.standard_normal((2, 3)).astype(np.float32))
    as_float, as_numpy = ({"W": W.copy(), "E": W.copy()} for _ in range(2))
    sgd_step(as_float, {"W": dW, "E": rows}, 0.3)
    sgd_step(as_numpy, {"W": dW, "E": rows}, np.float64(0.3))
    for name in ("W", "E"):
        assert as_numpy[name].dtype == np.float32
        assert np.array_equal(as_numpy[name], as_float[name])


# --- the optimiser: weight decay, clipping and momentum through step() ---------------------------


def dense(**arrays):
    return {k: np.array(v, dtype=np.float64) for k, v in arrays.items()}


def test_plain_step_moves_by_alpha_g_and_computes_no_norm():
    params = dense(W=[[1.0, 2.0]], U=[[0.0]])
    grads = {"W": np.array([[3.0, 0.0]]), "U": np.array([[4.0]])}
    norm = SGD().step(params, grads, lr=0.5)
    assert norm is None  # only clipping needs ‖g‖
    np.testing.assert_allclose(params["W"], [[-0.5, 2.0]])
    np.testing.assert_allclose(params["U"], [[-2.0]])


def test_weight_decay_adds_lambda_theta_to_w_and_u_only():
    params = dense(W=[[2.0]], U=[[-4.0]], b=[10.0])
    zero = {k: np.zeros_like(v) for k, v in params.items()}
    SGD(weight_decay=0.1).step(params, zero, lr=1.0)
    # g = 0 + λθ for W and U: θ ← θ − α λ θ; b has no penalty and stays.
    np.testing.assert_allclose(params["W"], [[2.0 - 0.2]])
    np.testing.assert_allclose(params["U"], [[-4.0 + 0.4]])
    np.testing.assert_allclose(params["b"], [10.0])


def test_clipping_rescales_every_gradient_rows_included_to_the_threshold():
    params = dense(W=[[0.0, 0.0]], E=np.zeros((4, 2)))
    grads = {"W": np.array([[3.0, 0.0]]), "E": RowGrad(np.array([2]), np.array([[0.0, 4.0]]))}
    norm = SGD(clip_norm=1.0).step(params, grads, lr=1.0)
    assert norm == pytest.approx(5.0)  # before clipping
    np.testing.assert_allclose(params["W"], [[-0.6, 0.0]])
    np.testing.assert_allclose(params["E"][2], [0.0, -0.8])
    assert not params["E"][[0, 1, 3]].any()
    params = dense(W=[[0.0]])
    SGD(clip_norm=10.0).step(params, {"W": np.array([[3.0]])}, lr=1.0)
    np.testing.assert_allclose(params["W"], [[-3.0]])  # under the threshold: untouched


def test_momentum_accumulates_velocity_for_dense_parameters_but_not_embedding_rows():
    params = dense(W=[[0.0]], E=np.zeros((2, 1)))
    optimizer = SGD(momentum=0.9)
    for _ in range(3):
        grads = {"W": np.array([[1.0]]), "E": RowGrad(np.array([1]), np.array([[1.0]]))}
        optimizer.step(params, grads, lr=1.0)
    # v: 1, 1.9, 2.71 -> W = −(1 + 1.9 + 2.71); E takes three plain steps of 1.
    np.testing.assert_allclose(params["W"], [[-5.61]])
    np.testing.assert_allclose(params["E"][1], [-3.0])
    assert set(optimizer.velocity) == {"W"}


def test_frozen_embeddings_neither_move_nor_get_velocity():
    params = dense(W=[[0.0]], E=np.ones((2, 1)))
    optimizer = SGD(momentum=0.5, frozen=("E",))
    optimizer.step(
        params, {"W": np.array([[1.0]]), "E": RowGrad(np.array([0]), np.ones((1, 1)))}, 1.0
    )
    np.testing.assert_allclose(params["E"], np.ones((2, 1)))
    assert set(optimizer.velocity) == {"W"}
