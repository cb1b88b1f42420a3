"""One measurement per run, in its own process: `python benchmarks/measure.py NAME [options]`.

Each prints one JSON object on its last line of stdout; run.py starts them, reads that line
and takes the child's peak resident memory from the operating system. They use windowner's
public API (train(config), load_model, encode, log_probs, the decoders, load_vectors, the
intrinsic evaluation) so that they keep working while the internals change; `profile` alone
times the layers one by one and reports an error instead of a figure if they have changed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "configs" / "conll2003.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train(config) for a few epochs; seconds of each")
    train.add_argument("--out", required=True)
    train.add_argument("--epochs", type=int, default=3)
    train.add_argument("--train", help="CoNLL file (default: the config's)")
    train.add_argument("--dev", help="CoNLL file (default: the config's)")
    train.add_argument("--hidden", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--blas-threads", type=int, help="limit BLAS threads (default: untouched)")

    matmul = commands.add_parser("matmul", help="numpy's GFLOP/s on the training products")
    matmul.add_argument("--model", required=True, help="model.npz: its W and U give the shapes")
    matmul.add_argument("--batch-size", type=int, default=32)

    profile = commands.add_parser("profile", help="one epoch's time, layer by layer")
    profile.add_argument("--model", required=True)
    profile.add_argument("--batches", type=int, default=2000)
    profile.add_argument("--blas-threads", type=int)

    tag_model = commands.add_parser("tag-model", help="forward + decode on prepared id arrays")
    tag_model.add_argument("--model", required=True)
    tag_model.add_argument("--blas-threads", type=int)
    tag_model.add_argument("conll", nargs="+")

    vectors = commands.add_parser("vectors", help="seconds to load_vectors(spec)")
    vectors.add_argument("spec")

    glove = commands.add_parser("write-glove", help="the default vectors as a GloVe text file")
    glove.add_argument("out")

    commands.add_parser("analogy", help="seconds of the analogy evaluation over every word")

    settings = "--set SECTION.KEY=VALUE over configs/conll2003.toml (repeatable)"
    compare = commands.add_parser("compare", help="one epoch of windowner against the torch twin")
    compare.add_argument("--set", action="append", default=[], help=settings)
    compare.add_argument("--repeats", type=int, default=3, help="epochs of each, alternating")

    check = commands.add_parser("twin-check", help="windowner and the twin, step by step")
    check.add_argument("--set", action="append", default=[], help=settings)
    check.add_argument("--steps", type=int, default=200)

    epochs = commands.add_parser("feature-cost", help="windowner's epoch, each feature off")
    epochs.add_argument("--repeats", type=int, default=2, help="rounds over the settings")

    args = parser.parse_args()
    run = {
        "train": measure_train,
        "matmul": measure_matmul,
        "profile": measure_profile,
        "tag-model": measure_tag_model,
        "vectors": measure_vectors,
        "write-glove": write_glove,
        "analogy": measure_analogy,
        "compare": measure_compare,
        "twin-check": measure_twin_check,
        "feature-cost": measure_feature_cost,
    }[args.command]
    print(json.dumps(run(args)))


def blas_limit(threads: int | None):
    """A context limiting BLAS to `threads` threads; a no-op for None or without threadpoolctl
    (blas_threads() then reports None, so a result never claims a limit it did not have)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    if threads is None:
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


def blas_threads() -> int | None:
    """How many threads BLAS would use now (None if threadpoolctl is not installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    blas = [lib for lib in threadpool_info() if lib.get("user_api") == "blas"]
    return blas[0]["num_threads"] if blas else None


def best_of(function, repeats: int) -> float:
    """The shortest of `repeats` timed calls, in seconds: the least disturbed by other work."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


# ------------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------------


def measure_train(args) -> dict:
    """Train with the default config (overridden as asked); each epoch's seconds and dev F1."""
    from windowner.config import load_config
    from windowner.data.conll import read_conll
    from windowner.training.run import train

    overrides = {"out": args.out, "training.epochs": args.epochs, "data.test": ""}
    for key, value in (
        ("data.train", args.train),
        ("data.dev", args.dev),
        ("model.hidden", args.hidden),
        ("training.batch_size", args.batch_size),
    ):
        if value is not None:
            overrides[key] = value
    with contextlib.chdir(ROOT):  # the config's data paths are relative to the project
        config = load_config(CONFIG, overrides)
        windows = sum(len(s.tokens) for s in read_conll(config.data.train).sentences)
        with blas_limit(args.blas_threads):
            threads = blas_threads()
            result = train(config, force=True, log=lambda line: None, progress=False)
    epochs = [record for record in result.history if "epoch" in record]
    return {
        "windows": windows,
        "blas_threads": threads,
        "seconds": [record["seconds"] for record in epochs],
        # process CPU time: with BLAS on one thread, what a quiet machine's clock would show
        "cpu_seconds": [record["cpu_seconds"] for record in epochs],
        "dev_f1": [record["dev_f1"] for record in epochs],
        "train_loss": [record["train_loss"] for record in epochs],
    }


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


# ------------------------------------------------------------------------------------------------
# windowner against the same model in PyTorch (benchmarks/torch_twin.py)
# ------------------------------------------------------------------------------------------------

# The accuracy round's features, each turned off on its own, and the previous default.
FEATURES_OFF = {
    "default": [],
    "no shape": ["model.shape_dim=0"],
    "no document": ["model.document_dim=0"],
    "no dropout": ["training.dropout_x=0", "training.dropout_h=0"],
    "no word dropout": ["training.word_dropout=0"],
    "previous default": [
        "model.head=softmax",
        "model.shape_dim=0",
        "model.document_dim=0",
        "training.dropout_x=0",
        "training.dropout_h=0",
        "training.word_dropout=0",
    ],
}
STARVED = 1.25  # torch's 2-thread best this much slower than its 1-thread best: starved
NO_DROPOUT = ["training.dropout_x=0", "training.dropout_h=0", "training.word_dropout=0"]


def prepared_run(settings: list[str], out: Path):
    """windowner's Run for configs/conll2003.toml with `settings` (SECTION.KEY=VALUE), made by
    training/run.py's prepare() as ner-train makes it: data, vectors, model, targets, optimiser."""
    from windowner.config import load_config, parse_assignment
    from windowner.training.run import prepare

    overrides = {"out": str(out), "data.test": "", **dict(map(parse_assignment, settings))}
    with contextlib.chdir(ROOT):  # the config's data paths are relative to the project
        config = load_config(CONFIG, overrides)
        return prepare(config, out, log=lambda line: None)


def windowner_epoch(run, order: np.ndarray, epoch: int) -> tuple[float, float]:
    """One epoch through windowner's own trainer, loop.train_epoch, with BLAS on 1 thread as
    ner-train runs; -> (wall seconds of the call, mean loss per window)."""
    from windowner.training.checkpoint import TrainingState
    from windowner.training.loop import Epoch, train_epoch

    state = TrainingState(epoch=epoch - 1, step=(epoch - 1) * run.steps_per_epoch)
    with blas_limit(1):
        started = time.perf_counter()
        outcome = train_epoch(run, state, order, epoch, interrupted=[], progress=False)
        seconds = time.perf_counter() - started
    if outcome is not Epoch.DONE:
        raise RuntimeError(f"windowner's epoch {epoch} ended with {outcome.value}")
    return seconds, state.loss_sum / len(order)


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


def measure_compare(args) -> dict:
    """One epoch of windowner against one of the torch twin, alternating, in this one process.

    Both start from windowner's initialised parameters (copied into the twin before windowner's
    first step) and see the same shuffled order each epoch, drawn from the run's generator as
    loop.run_epochs draws it. Windowner has BLAS on 1 thread (as ner-train), torch 2 threads
    (the issue's setting); a second twin on 1 thread runs in the same rounds, for comparison.
    The best epoch of each is the figure (the least disturbed by other processes); ratio =
    torch_best / windowner_best, above 1 where windowner is faster.
    """
    import torch
    from torch_twin import TorchTwin

    with tempfile.TemporaryDirectory(prefix="windowner-compare-") as out:
        run = prepared_run(args.set, Path(out))
        seed = run.config.training.seed
        twin, twin_1 = TorchTwin(run, seed), TorchTwin(run, seed, threads=1)
        rows = []
        for epoch in range(1, args.repeats + 1):
            order = run.rng.permutation(run.units)
            first_step = (epoch - 1) * run.steps_per_epoch
            load = os.getloadavg()[0]
            windowner_s, windowner_loss = windowner_epoch(run, order, epoch)
            torch_s, torch_loss = twin.train_epoch(order, epoch, first_step)
            torch_1_s, _ = twin_1.train_epoch(order, epoch, first_step)
            rows.append(
                {
                    "epoch": epoch,
                    "load_average_1min": round(load, 2),
                    "windowner_seconds": round(windowner_s, 3),
                    "torch_seconds": round(torch_s, 3),
                    "torch_seconds_1_thread": round(torch_1_s, 3),
                    "windowner_train_loss": round(windowner_loss, 5),
                    "torch_train_loss": round(torch_loss, 5),
                }
            )
        floor = matmul_floor(run)
    windowner_best = min(r["windowner_seconds"] for r in rows)
    torch_best = min(r["torch_seconds"] for r in rows)
    torch_1_best = min(r["torch_seconds_1_thread"] for r in rows)
    return {
        "settings": args.set,
        "head": run.model.network.head,
        "windows": int(run.units),
        "steps_per_epoch": run.steps_per_epoch,
        "windowner_blas_threads": 1,
        "torch_threads": twin.threads,
        "torch_version": torch.__version__,
        "epochs": rows,
        "windowner_best_seconds": windowner_best,
        "torch_best_seconds": torch_best,
        "ratio": round(torch_best / windowner_best, 3),
        # torch on one thread as well: on a busy 2-core machine its second thread may wait
        "torch_best_seconds_1_thread": torch_1_best,
        "ratio_torch_1_thread": round(torch_1_best / windowner_best, 3),
        # Two threads slower than one: other processes held the second core, and torch's
        # threads waited for each other (GNU OpenMP); the 2-thread ratio then flatters windowner.
        "torch_2_threads_starved": torch_best > STARVED * torch_1_best,
        "matmul_floor_seconds": round(floor, 3),
        "windowner_over_matmul_floor": round(windowner_best / floor, 2),
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
    }


def measure_twin_check(args) -> dict:
    """Is the twin the same model? Both trained `steps` SGD steps from the same parameters on the
    same batches, dropout and word dropout off; the largest |windowner − torch| of every
    parameter after them (float32 summed in another order: ~1e-6 expected), and the losses.

    Windowner's step is its trainer's: loop.train_epoch over one batch's order at a time.
    """
    from torch_twin import TorchTwin

    from windowner.training.checkpoint import TrainingState
    from windowner.training.loop import train_epoch

    with tempfile.TemporaryDirectory(prefix="windowner-twin-check-") as out:
        run = prepared_run([*args.set, *NO_DROPOUT], Path(out))
        twin = TorchTwin(run, seed=run.config.training.seed)
        t, params = run.config.training, run.model.network.params
        order = run.rng.permutation(run.units)
        state = TrainingState()
        windowner_J, torch_J = [], []
        for i in range(args.steps):
            rows = order[i * t.batch_size : (i + 1) * t.batch_size]
            lr = run.schedule.at(state.step, 1, run.steps_per_epoch, t.epochs)
            before, state.batch = state.loss_sum, 0
            train_epoch(run, state, rows, 1, interrupted=[], progress=False)
            windowner_J.append((state.loss_sum - before) / len(rows))
            torch_J.append(twin.step(rows, lr))
        theirs = twin.net.params_numpy()
        diff = {name: float(np.abs(params[name] - theirs[name]).max()) for name in theirs}
        moved = {name: float(np.abs(params[name] - p0).max()) for name, p0 in twin.initial.items()}
    shown = sorted({0, 1, 9, args.steps // 2, args.steps - 1})
    return {
        "settings": [*args.set, *NO_DROPOUT],
        "head": run.model.network.head,
        "steps": args.steps,
        "max_param_diff": max(diff.values()),
        "max_abs_diff_by_param": diff,
        "max_abs_change_by_param": moved,  # how far training moved each: the diff's scale
        "max_loss_diff": max(abs(a - b) for a, b in zip(windowner_J, torch_J, strict=True)),
        "losses (step: windowner, torch)": {
            i + 1: [round(windowner_J[i], 6), round(torch_J[i], 6)] for i in shown
        },
    }


def measure_feature_cost(args) -> dict:
    """windowner's epoch at the default and with each feature of the accuracy round off.

    Every setting is prepared first, then their epochs run in rounds (default, no shape, …,
    default, no shape, …), so that a burst of other work hits them alike; best of `repeats`.
    BLAS on 1 thread, as ner-train runs.
    """
    with tempfile.TemporaryDirectory(prefix="windowner-feature-cost-") as out:
        runs = {
            name: prepared_run(settings, Path(out) / str(i))
            for i, (name, settings) in enumerate(FEATURES_OFF.items())
        }
        seconds: dict[str, list[float]] = {name: [] for name in runs}
        loads = []
        for epoch in range(1, args.repeats + 1):
            loads.append(round(os.getloadavg()[0], 2))
            for name, run in runs.items():
                order = run.rng.permutation(run.units)
                seconds[name].append(round(windowner_epoch(run, order, epoch)[0], 3))
    best = {name: min(values) for name, values in seconds.items()}
    return {
        "settings": FEATURES_OFF,
        "load_average_1min_by_round": loads,
        "epoch_seconds_all": seconds,
        "epoch_seconds": best,
        # what each feature adds to the default's epoch (negative: the default is faster)
        "cost_seconds": {
            name.removeprefix("no "): round(best["default"] - best[name], 3)
            for name in best
            if name != "default"
        },
    }


# ------------------------------------------------------------------------------------------------
# One epoch, layer by layer
# ------------------------------------------------------------------------------------------------


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
    sentences = read_conll(ROOT / "data" / "conll2003" / "train.txt").sentences
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


# ------------------------------------------------------------------------------------------------
# Tagging
# ------------------------------------------------------------------------------------------------


def measure_tag_model(args) -> dict:
    """Tokens per second of the model alone: forward pass and decoding on prepared id arrays.

    The CoNLL files' sentences are encoded into windows first (not timed); then log p for every
    token and the decoded tags, as predict() makes them, best of a few runs. `forward_threads`
    is how many blocks of windows the forward pass runs side by side (model/inference.py).
    """
    from windowner.data import tags
    from windowner.data.conll import read_conll
    from windowner.features.windows import encode
    from windowner.model_file import load_model
    from windowner.tagging import decoding

    model = load_model(args.model)
    sentences = [s.tokens for path in args.conll for s in read_conll(path).sentences]
    windows = encode(sentences, model.vocabulary, model.network.window, model.features)
    tokens = len(windows)
    transition, start = tags.allowed_transitions(model.tags)

    def forward():
        return model.network.log_probs(windows.ids)

    log_p = forward()
    if hasattr(decoding, "viterbi_batch"):
        decoder = "viterbi_batch"

        def decode():
            return decoding.viterbi_batch(log_p, windows.lengths, transition, start)

    else:  # the per-sentence loop predict() ran before viterbi_batch existed
        decoder = "viterbi per sentence"
        bounds = np.cumsum(windows.lengths)[:-1]

        def decode():
            return [decoding.viterbi(p, transition, start) for p in np.split(log_p, bounds)]

    with blas_limit(args.blas_threads):
        threads = blas_threads()
        forward_s = best_of(forward, 5)
        decode_s = best_of(decode, 5)
        greedy_s = best_of(lambda: decoding.greedy(log_p), 5)
    try:  # blocks forwarded side by side (model/inference.py), each product on `threads`
        from windowner.model.inference import forward_threads

        side_by_side = forward_threads()
    except ImportError:
        side_by_side = 1
    return {
        "tokens": tokens,
        "sentences": len(sentences),
        "decoder": decoder,
        "blas_threads": threads,
        "forward_threads": side_by_side,
        "forward_s": round(forward_s, 4),
        "viterbi_s": round(decode_s, 4),
        "greedy_s": round(greedy_s, 4),
        "tokens_per_s": round(tokens / (forward_s + decode_s)),
        "tokens_per_s_greedy": round(tokens / (forward_s + greedy_s)),
    }


# ------------------------------------------------------------------------------------------------
# Vectors
# ------------------------------------------------------------------------------------------------


def measure_vectors(args) -> dict:
    from windowner.vectors.loading import load_vectors

    started = time.perf_counter()
    vectors = load_vectors(args.spec)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "words": len(vectors.words), "dim": vectors.dim}


def write_glove(args) -> dict:
    """Write the packaged GloVe 6B 50d as a GloVe text file (word and 50 numbers a line)."""
    from windowner.vectors.loading import load_vectors

    vectors = load_vectors("glove-6b-50d")
    row = " ".join(["%.6g"] * vectors.dim) + "\n"
    started = time.perf_counter()
    out = Path(args.out)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out.parent, delete=False) as f:
        for word, values in zip(vectors.words, vectors.matrix.tolist(), strict=True):
            f.write(word + " " + row % tuple(values))
    os.replace(f.name, out)
    return {
        "words": len(vectors.words),
        "bytes": out.stat().st_size,
        "seconds": round(time.perf_counter() - started, 2),
    }


def measure_analogy(args) -> dict:
    """The analogy evaluation over all 400k words of the default vectors (loading not timed)."""
    from windowner.vectors.intrinsic import Space, evaluate_analogies
    from windowner.vectors.loading import load_vectors

    vectors = load_vectors("glove-6b-50d")
    started = time.perf_counter()
    scores = evaluate_analogies(Space.of(vectors))
    seconds = time.perf_counter() - started
    total = scores.total
    return {
        "seconds": round(seconds, 2),
        "words": len(vectors.words),
        "accuracy": round(total.correct / max(total.answered, 1), 4),
        "answered": total.answered,
        "questions": total.questions,
        "blas_threads": blas_threads(),
    }


if __name__ == "__main__":
    sys.exit(main())
