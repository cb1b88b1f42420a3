"""Where one training epoch's time goes, stage by stage (the `profile` part of run.py, measure.py's
`profile`).

It alone times windowner's layers one by one rather than through the public API, and reports an
error instead of a figure if they have changed.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from child_process import measure
from project import CONFIG, DATA
from timing import blas_limit, blas_threads


def bench_profile(model: Path) -> dict:
    """One epoch stage by stage, with BLAS on 1 thread (as ner-train runs) and on 2."""
    profiles = {}
    for threads in (1, 2):
        result, _, _, error = measure("profile", "--model", model, "--blas-threads", threads)
        profiles[f"blas_threads_{threads}"] = result if result else {"error": error}
    return profiles


def measure_profile(args) -> dict:
    """Where one epoch's time goes: each stage of a training step timed on its own.

    Runs `batches` minibatches of the default run (batch 32, its dropout and word dropout)
    through the calls WindowNetwork.loss and SGD.step make, with a clock around each, and scales
    the sums to an epoch. 'python overhead' is the step's time outside every timed stage (loop,
    slicing of the shuffled order, the clocks themselves).
    """
    from windowner.config import load_config
    from windowner.data.conll import read_conll
    from windowner.features.windows import encode
    from windowner.model import layers
    from windowner.model.dropout import dropout_backward, dropout_forward
    from windowner.model.losses import sigmoid_cross_entropy, softmax_cross_entropy
    from windowner.model_file import load_model
    from windowner.training.loop import hide_words
    from windowner.training.sgd import sgd_step

    model = load_model(args.model)
    network, params = model.network, model.network.params
    t = load_config(CONFIG).training
    sentences = read_conll(DATA / "train.txt").sentences
    windows = encode(
        [s.tokens for s in sentences],
        model.vocabulary,
        network.window,
        model.features,
        [s.document for s in sentences],
    )
    tag_id = {tag: i for i, tag in enumerate(model.tags)}
    y = np.fromiter((tag_id[t] for s in sentences for t in s.tags), np.int64)
    head_loss = softmax_cross_entropy
    if network.head == "sigmoid":  # one-vs-rest targets, as training/targets.py makes them
        y = np.eye(len(model.tags), dtype=np.float32)[y]
        head_loss = sigmoid_cross_entropy
    centre = windows.words[:, network.window]
    rare = np.bincount(centre, minlength=len(model.vocabulary)) == 1
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    batch = 32
    n_batches = min(args.batches, len(y) // batch)
    tables = tuple(dict.fromkeys(network.slots))
    clock = time.perf_counter
    totals: dict[str, float] = {}

    def add(name: str, since: float) -> float:
        now = clock()
        totals[name] = totals.get(name, 0.0) + now - since
        return now

    def one_pass() -> float:
        totals.clear()
        started = clock()
        for i in range(n_batches):
            s = clock()
            rows = order[i * batch : (i + 1) * batch]
            ids, y_batch = windows.ids[rows], y[rows]
            s = add("batch indexing", s)
            hide_words(ids[:, :, 0], rare, t.word_dropout, rng)
            s = add("word dropout", s)
            x, window_cache = layers.window_forward(params, network.slots, ids)
            s = add("gather x (window_forward)", s)
            x, x_mask = dropout_forward(x, t.dropout_x, rng)
            s = add("dropout on x, h (masks drawn)", s)
            z, hidden_cache = layers.affine_forward(x, params["W"], params["b"])
            s = add("hidden affine forward (W xᵀ)", s)
            h, activation_cache = network.activation.forward(z)
            s = add("activation forward and backward", s)
            h, h_mask = dropout_forward(h, t.dropout_h, rng)
            s = add("dropout on x, h (masks drawn)", s)
            scores, output_cache = layers.affine_forward(h, params["U"], params["c"])
            s = add("output layer forward and backward", s)
            _, ds = head_loss(scores, y_batch)
            s = add(f"{network.head} + loss", s)
            dh, dU, dc = layers.affine_backward(ds, output_cache)
            s = add("output layer forward and backward", s)
            dh = dropout_backward(dh, h_mask)
            s = add("dropout backward", s)
            delta = network.activation.backward(dh, activation_cache)
            s = add("activation forward and backward", s)
            dx, dW, db = layers.affine_backward(delta, hidden_cache)
            s = add("hidden affine backward (δW, δᵀx)", s)
            dx = dropout_backward(dx, x_mask)
            s = add("dropout backward", s)
            grads = layers.window_backward(dx, window_cache)
            s = add("dx to the tables (window_backward)", s)
            sgd_step(params, {"W": dW, "b": db, "U": dU, "c": dc}, 0.01)
            s = add("SGD on W, b, U, c", s)
            sgd_step(params, {"E": grads["E"]}, 0.01)
            s = add("SGD on E's rows (summed, then the step)", s)
            sgd_step(params, {name: grads[name] for name in tables if name != "E"}, 0.01)
            add("SGD on the small tables' rows", s)
        return clock() - started

    with blas_limit(args.blas_threads):
        threads = blas_threads()
        one_pass()  # warm-up: caches, allocator, BLAS buffers
        best_total, best = float("inf"), {}
        for _ in range(2):
            total = one_pass()
            if total < best_total:
                best_total, best = total, dict(totals)
    scale = len(y) / (n_batches * batch)
    stages = {name: round(seconds * scale, 3) for name, seconds in best.items()}
    stages["python overhead"] = round((best_total - sum(best.values())) * scale, 3)
    return {
        "blas_threads": threads,
        "batches_timed": n_batches,
        "seconds_per_epoch": round(best_total * scale, 3),
        "stages_seconds_per_epoch": stages,
    }
