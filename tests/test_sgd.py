import numpy as np

from windowner.model.layers import RowGrad
from windowner.sgd import sgd_step


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
