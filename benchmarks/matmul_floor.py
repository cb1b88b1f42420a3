"""What the training step's six matrix products cost on their own, the floor under an epoch.

Two views of it: numpy's GFLOP/s on the products against the GFLOP/s training achieves (the
`matmul` part of run.py, measure.py's `matmul`), and the seconds of an epoch's products alone,
which the torch comparison reports beside windowner's epoch (matmul_floor).

    forward z = x Wᵀ, s = h Uᵀ; backward dh = ds U, dU = dsᵀ h, dx = δ W, dW = δᵀ x
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from child_process import measure
from project import DEFAULT_BATCH
from timing import best_of, blas_limit


def bench_matmul(model: Path, results: dict) -> dict:
    """numpy's own GFLOP/s on the training step's six products, against what training achieves."""
    result, _, _, error = measure("matmul", "--model", model)
    if error:
        return {"matmul_error": error}
    found = {"numpy_matmul_gflops_by_blas_threads": result["gflops_by_blas_threads"]}
    found["numpy_matmul_gflops"] = max(result["gflops_by_blas_threads"].values())
    if "train_seconds_per_epoch" in results:
        steps = -(-results["train_windows"] // DEFAULT_BATCH)
        flops = result["flops_per_step"] * steps  # the last, short batch counted whole
        found["train_flops_per_epoch"] = flops
        found["train_gflops"] = round(flops / results["train_seconds_per_epoch"] / 1e9, 1)
        found["train_gflops_ratio"] = round(found["train_gflops"] / found["numpy_matmul_gflops"], 3)
        found["train_gflops_by_blas_threads"] = {
            threads: round(flops / seconds / 1e9, 1)
            for threads, seconds in results.get(
                "train_seconds_per_epoch_by_blas_threads", {}
            ).items()
            if isinstance(seconds, float)
        }
        found["matmul_seconds_per_epoch_at_numpy_gflops"] = round(
            flops / found["numpy_matmul_gflops"] / 1e9, 3
        )
    return found


def product_shapes(
    model_path: str, batch: int
) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    """The matrix products of one SGD step, (name, left shape, right shape), from W's and U's.

    Forward z = x Wᵀ and s = h Uᵀ; backward dh = ds U, dU = dsᵀ h, dx = δ W, dW = δᵀ x.
    """
    from windowner.model_file import read_arrays

    arrays = read_arrays(model_path)
    (H_in, D), (T, H) = arrays["W"].shape, arrays["U"].shape
    N = batch
    return [
        ("x Wᵀ", (N, D), (D, H_in)),
        ("h Uᵀ", (N, H), (H, T)),
        ("ds U", (N, T), (T, H)),
        ("dsᵀ h", (T, N), (N, H)),
        ("δ W", (N, H_in), (H_in, D)),
        ("δᵀ x", (H_in, N), (N, D)),
    ]


def step_flops(shapes) -> int:
    """2·m·k·n multiply-adds counted as two operations each, summed over the products."""
    return sum(2 * a[0] * a[1] * b[1] for _, a, b in shapes)


def measure_matmul(args) -> dict:
    """numpy's own throughput on exactly the products of a training step, at 1 and 2 threads.

    Each product is written the way numpy users write it (x @ W.T, ds.T @ h ...), on float32
    operands laid out as the network's are; the best of many repeats is kept.
    """
    rng = np.random.default_rng(0)
    shapes = product_shapes(args.model, args.batch_size)
    (N, D), (_, H_in) = shapes[0][1], shapes[0][2]
    (_, H), (_, T) = shapes[1][1], shapes[1][2]

    def rand(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    x, W, h, U, ds, dz = (
        rand(N, D),
        rand(H_in, D),
        rand(N, H),
        rand(T, H),
        rand(N, T),
        rand(N, H_in),
    )

    def step():
        x @ W.T
        h @ U.T
        ds @ U
        ds.T @ h
        dz @ W
        dz.T @ x

    flops = step_flops(shapes)
    by_threads = {}
    for threads in (1, 2):
        with blas_limit(threads):
            step()
            seconds = best_of(lambda: [step() for _ in range(200)], 15) / 200
        by_threads[str(threads)] = round(flops / seconds / 1e9, 1)
    return {"flops_per_step": flops, "gflops_by_blas_threads": by_threads}


def matmul_floor(run, repeats: int = 3) -> float:
    """Seconds of windowner's matrix products alone for one epoch, with BLAS on 1 thread.

    Exactly the six products of a step in model/layers.py's orientation for a minibatch
    (N ≤ 64): forward z = (W xᵀ)ᵀ and s = (U hᵀ)ᵀ; backward dh = ds U, dU = dsᵀ h, dx = δ W,
    dW = δᵀ x; on float32 operands of the epoch's shapes, as many steps as the epoch has (the
    last, short batch at its own size). Best of `repeats`.
    Shapes: x (N, D), W (H, D), h (N, H), U (T, H), ds (N, T), δ (N, H).
    """
    from windowner.model.layers import SMALL_BATCH

    params = run.model.network.params
    (H, D), (T, _) = params["W"].shape, params["U"].shape
    size = run.config.training.batch_size
    if size > SMALL_BATCH:
        raise ValueError(f"the floor is written for minibatches of at most {SMALL_BATCH}")
    sizes = [len(b.rows) for b in run.batches(np.arange(run.units))]
    rng = np.random.default_rng(0)

    def rand(*shape):
        return rng.standard_normal(shape, dtype=np.float32)

    W, U = rand(H, D), rand(T, H)
    x, h, ds, delta = rand(size, D), rand(size, H), rand(size, T), rand(size, H)
    operands = {n: (x[:n], h[:n], ds[:n], delta[:n]) for n in set(sizes)}
    batches = [operands[n] for n in sizes]

    def epoch():
        for x, h, ds, delta in batches:
            W @ x.T  # zᵀ; layers.py's (W xᵀ)ᵀ takes a view of it, no work
            U @ h.T  # sᵀ
            ds @ U
            ds.T @ h
            delta @ W
            delta.T @ x

    with blas_limit(1):
        return best_of(epoch, repeats)
