"""The training loop: minibatch SGD over shuffled windows, model selection on dev F1.

A run can be left alone (early stopping, a checkpoint after every epoch), interrupted (SIGINT or
SIGTERM save a resumable checkpoint) and resumed to the very model an uninterrupted run would
have made: the checkpoint holds the parameters, the optimiser's velocities, the generator's state
and the epoch's shuffled order, and nothing else influences a step.
"""

from __future__ import annotations

import json
import math
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from windowner.atomic import link_or_copy, write_text
from windowner.config import Config, load_config
from windowner.data.conll import Corpus
from windowner.data.sources import ROLE_SPLITS, parse_columns, read_corpus
from windowner.data.tags import parse_tag
from windowner.errors import UserError
from windowner.evaluation.conlleval import Scores, TokenScores
from windowner.evaluation.evaluate import evaluate
from windowner.features.casing import CASING_CLASSES
from windowner.features.vocabulary import build_vocabulary
from windowner.features.windows import Windows, encode
from windowner.model.activations import get_activation
from windowner.model.network import Dropout, WindowNetwork
from windowner.model_file import Model, save_model
from windowner.training.checkpoint import (
    CHECKPOINT_FILE,
    TrainingState,
    load_checkpoint,
    save_checkpoint,
)
from windowner.training.optimizer import SGD
from windowner.training.provenance import data_hashes, package_versions
from windowner.training.schedules import Schedule
from windowner.vectors.loading import load_vectors

MODEL_FILE = "model.npz"  # the best epoch on dev: what ner-eval and ner-tag are given
BEST_FILE, LAST_FILE = "model-best.npz", "model-last.npz"
METRICS_FILE, CONFIG_FILE, SCORES_FILE = "metrics.jsonl", "config.toml", "scores.json"
CURVES_FILE = "training-curves.png"
MAX_HALVINGS = 5  # non-finite restarts before giving up


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived; a checkpoint was saved in `out`."""

    def __init__(self, out: Path, signal_name: str):
        self.out = out
        super().__init__(
            f"{signal_name}: checkpoint saved in {out}; continue with ner-train --resume {out}"
        )


@dataclass
class TrainResult:
    out: Path
    best_epoch: int
    dev: Scores | TokenScores
    test: Scores | TokenScores | None
    history: list[dict] = field(default_factory=list)
    stopped_early: bool = False


@dataclass
class _Run:
    """What the loop works on: the data as windows and targets, the model and the optimiser."""

    config: Config
    out: Path
    model: Model
    windows: Windows
    targets: np.ndarray
    dev: Corpus
    test: Corpus | None
    optimizer: SGD
    schedule: Schedule
    rng: np.random.Generator


def train(
    config: Config,
    *,
    force: bool = False,
    log: Callable[[str], None] = print,
    progress: bool = True,
) -> TrainResult:
    """Train a window network as `config` says; write model, metrics and config to config.out."""
    out = Path(config.out)
    if (out / MODEL_FILE).exists() and not force:
        raise UserError("already holds a model; use --force to replace it", out)
    if not config.data.train or not config.data.dev:
        raise UserError("training needs --train and --dev (or a config that names them)")
    run = _prepare(config, out, log)
    out.mkdir(parents=True, exist_ok=True)
    for stale in (CHECKPOINT_FILE, METRICS_FILE):
        (out / stale).unlink(missing_ok=True)
    write_text(out / CONFIG_FILE, config.to_toml())
    return _loop(run, TrainingState(), None, log, progress)


def resume(out: str | Path, *, log: Callable[[str], None] = print, progress: bool = True):
    """Continue the run whose checkpoint and resolved config are in `out`."""
    out = Path(out)
    if not (out / CHECKPOINT_FILE).exists():
        raise UserError(f"no {CHECKPOINT_FILE} to resume from", out)
    config = load_config(out / CONFIG_FILE)
    model, state, velocity, order = load_checkpoint(out / CHECKPOINT_FILE)
    recorded = model.metadata.get("data_sha256", {})
    paths = {"train": config.data.train, "dev": config.data.dev, "test": config.data.test}
    changed = [k for k, v in data_hashes(paths).items() if recorded.get(k) not in (None, v)]
    if changed:
        raise UserError(f"the {', '.join(changed)} data changed since the run started", out)
    run = _prepare(config, out, log, model)
    run.optimizer.velocity = velocity
    run.rng.bit_generator.state = state.rng
    log(f"resuming after epoch {state.epoch}, batch {state.batch}")
    return _loop(run, state, order, log, progress)


def _prepare(config: Config, out: Path, log, model: Model | None = None) -> _Run:
    """Read the data and build (or take) the model, the targets and the optimiser."""
    rng = np.random.default_rng(config.training.seed)
    train_data = read_data(config, "train")
    dev_data = read_data(config, "dev")
    test_data = read_data(config, "test") if config.data.test else None
    for corpus in (train_data, dev_data, test_data):
        if corpus is not None:
            log(corpus.summary())
    if model is None:  # when resuming, the model and the generator's state are the checkpoint's
        model = _new_model(config, train_data, rng, log)
    windows = encode(
        [s.tokens for s in train_data.sentences], model.vocabulary, config.model.window
    )
    targets = _targets(train_data, model.tags, config.model.head, config.model.only_type)
    t = config.training
    optimizer = SGD(
        t.momentum, t.weight_decay, t.clip_norm, ("E",) if config.vectors.freeze else ()
    )
    schedule = Schedule(t.schedule, t.lr, t.gamma, t.step_size, t.warmup_epochs)
    return _Run(config, out, model, windows, targets, dev_data, test_data, optimizer, schedule, rng)


def _new_model(config: Config, train_data: Corpus, rng: np.random.Generator, log) -> Model:
    only_type = config.model.only_type
    if only_type and config.model.head != "sigmoid":
        raise UserError("--only-type needs --head sigmoid: it trains the lecture's σ(s) score")
    if only_type and only_type not in train_data.entity_counts():
        known = ", ".join(train_data.entity_counts())
        raise UserError(f"no '{only_type}' entities in the training data; it has {known}")
    tags = [only_type] if only_type else _tag_set(train_data)

    v = config.vectors
    vectors = load_vectors(v.spec, log=log, skip_bad_lines=v.skip_bad_lines)
    train_tokens = [t for s in train_data.sentences for t in s.tokens]
    vocabulary, E = build_vocabulary(
        vectors, train_tokens, rng, v.min_count, lookup=v.lookup, max_vectors=v.max_vectors or None
    )
    log(
        f"vectors {vectors.spec}: {len(vectors.words):,} words × {vectors.dim}; vocabulary "
        f"{len(vocabulary):,} rows; lookup {' → '.join(v.lookup)}"
    )
    log(f"train {vocabulary.coverage(train_tokens).summary()}")
    m = config.model
    activation = get_activation(
        m.activation, **{k: getattr(m, k) for k in _activation_keys(m.activation)}
    )
    network = WindowNetwork.initialise(
        E,
        len(CASING_CLASSES),
        len(tags),
        window=m.window,
        hidden=m.hidden,
        activation=activation,
        casing_dim=m.casing_dim,
        rng=rng,
        head=m.head,
    )
    paths = {"train": config.data.train, "dev": config.data.dev, "test": config.data.test}
    metadata = {
        "config": config.to_dict(),
        "decode": m.decode,
        "scheme": train_data.scheme,
        "seed": config.training.seed,
        "data_sha256": data_hashes(paths),
        "versions": package_versions(),
    }
    if only_type:
        metadata["only_type"] = only_type
    return Model(network, vocabulary, tags, metadata)


def _loop(run: _Run, state: TrainingState, order, log, progress: bool) -> TrainResult:
    config, out = run.config, run.out
    steps_per_epoch = math.ceil(len(run.targets) / config.training.batch_size)
    stopped_early = False
    with _signals_raise_interrupt() as interrupted:
        while state.epoch < config.training.epochs:
            epoch = state.epoch + 1
            if order is None:
                order = run.rng.permutation(len(run.targets))
            snapshot = _snapshot(run, state)
            finished = _train_epoch(
                run, state, order, epoch, steps_per_epoch, interrupted, progress
            )
            if finished is None:  # interrupted mid-epoch: checkpoint where we are
                _checkpoint(run, state, order)
                raise Interrupted(out, interrupted[0])
            if not finished:  # a non-finite loss
                order = _recover(run, state, snapshot, epoch, log)
                continue
            order = None
            stopped_early = _end_epoch(run, state, epoch, log)
            _checkpoint(run, state, None)
            if interrupted:
                raise Interrupted(out, interrupted[0])
            if stopped_early:
                log(f"no better dev F1 for {config.training.patience} epochs: stopping")
                break
    return _finish(run, state, log, stopped_early)


def _train_epoch(run: _Run, state, order, epoch, steps_per_epoch, interrupted, progress):
    """SGD over the epoch's batches from state.batch on. Returns True when the epoch is done,
    False on a non-finite loss, None when a signal asked to stop (state is then resumable)."""
    from tqdm import tqdm

    config, network = run.config, run.model.network
    size = config.training.batch_size
    t = config.training
    dropout = Dropout(t.dropout_x, t.dropout_h, run.rng) if t.dropout_x or t.dropout_h else None
    starts = range(state.batch * size, len(order), size)
    # disable=None: tqdm draws only when stderr is a terminal, so logs and CI stay clean.
    bar = tqdm(
        starts, desc=f"epoch {epoch}", unit="batch", leave=False, disable=None if progress else True
    )
    started = time.perf_counter()
    # Overflow to inf or NaN is caught below as a non-finite loss; numpy's warnings would only
    # print noise above that clear message.
    with bar, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            for start in bar:
                batch = order[start : start + size]
                lr = state.lr_scale * run.schedule.at(state.step, epoch, steps_per_epoch, t.epochs)
                J, grads = network.loss(
                    run.windows.words[batch],
                    run.windows.casing[batch],
                    run.targets[batch],
                    dropout,
                )
                if not math.isfinite(J):
                    return False
                norm = run.optimizer.step(network.params, grads, lr)
                if not math.isfinite(norm):
                    return False
                state.loss_sum += J * len(batch)
                state.batch += 1
                state.step += 1
                if interrupted:
                    return None
        finally:
            state.seconds += time.perf_counter() - started
    return True


def _end_epoch(run: _Run, state: TrainingState, epoch: int, log) -> bool:
    """Score dev, record the epoch, keep the best and last models; True to stop early."""
    config, out, model = run.config, run.out, run.model
    dev, _ = evaluate(model, run.dev)
    steps_per_epoch = math.ceil(len(run.targets) / config.training.batch_size)
    record = {
        "epoch": epoch,
        "train_loss": round(state.loss_sum / len(run.targets), 6),
        "lr": state.lr_scale
        * run.schedule.at(state.step - 1, epoch, steps_per_epoch, config.training.epochs),
        "dev_precision": dev.precision,
        "dev_recall": dev.recall,
        "dev_f1": dev.f1,
        "seconds": round(state.seconds, 3),
    }
    state.history.append(record)
    log(json.dumps(record))
    model.metadata.update(epoch=epoch, dev=dev.to_dict())
    save_model(out / LAST_FILE, model)
    improved = dev.f1 > state.best_f1
    if improved:
        state.best_f1, state.best_epoch, state.epochs_without_improvement = dev.f1, epoch, 0
        save_model(out / BEST_FILE, model)
        link_or_copy(out / BEST_FILE, out / MODEL_FILE)
    else:
        state.epochs_without_improvement += 1
    state.epoch, state.batch, state.loss_sum, state.seconds = epoch, 0, 0.0, 0.0
    _write_metrics(out / METRICS_FILE, state.history)
    patience = config.training.patience
    return bool(patience) and state.epochs_without_improvement >= patience


def _snapshot(run: _Run, state: TrainingState) -> dict:
    """What a non-finite restart needs: parameters, velocities and counters at epoch start.

    Only taken when --on-nonfinite halve can use it; E is copied whole (tens of MB) once an epoch.
    """
    if run.config.training.on_nonfinite != "halve":
        return {}
    return {
        "params": {k: v.copy() for k, v in run.model.network.params.items()},
        "velocity": {k: v.copy() for k, v in run.optimizer.velocity.items()},
        "step": state.step,
        "batch": state.batch,
        "loss_sum": state.loss_sum,
    }


def _recover(run: _Run, state: TrainingState, snapshot: dict, epoch: int, log):
    """A NaN or inf: stop (the last good model is on disk), or halve α and redo the epoch."""
    kept = run.out / BEST_FILE if (run.out / BEST_FILE).exists() else None
    where = f"epoch {epoch}, step {state.step + 1}"
    if run.config.training.on_nonfinite != "halve" or state.lr_scale < 0.5**MAX_HALVINGS:
        kept_text = f"the last good model is {kept}" if kept else "no epoch had finished"
        raise UserError(
            f"training diverged at {where} (non-finite loss or gradient); {kept_text}; "
            "try a smaller --lr or --clip-norm"
        )
    run.model.network.params.update(snapshot["params"])
    run.optimizer.velocity = snapshot["velocity"]
    state.step, state.batch, state.loss_sum = (
        snapshot["step"],
        snapshot["batch"],
        snapshot["loss_sum"],
    )
    state.lr_scale /= 2
    log(f"non-finite loss at {where}: restarting the epoch with α × {state.lr_scale:g}")
    return run.rng.permutation(len(run.targets))


def _finish(run: _Run, state: TrainingState, log, stopped_early: bool) -> TrainResult:
    """Score the best model on test once, write scores and curves."""
    from windowner.model_file import load_model

    out = run.out
    best = load_model(out / BEST_FILE)
    dev = next(r for r in state.history if r.get("epoch") == state.best_epoch)
    dev_scores, _ = evaluate(best, run.dev)
    test = None
    if run.test is not None:
        test, _ = evaluate(best, run.test)
        final = {
            "best_epoch": state.best_epoch,
            "dev_f1": dev["dev_f1"],
            "test_precision": test.precision,
            "test_recall": test.recall,
            "test_f1": test.f1,
        }
        state.history.append(final)
        log(json.dumps(final))
        _write_metrics(out / METRICS_FILE, state.history)
    scores = {"best_epoch": state.best_epoch, "dev": dev_scores.to_dict()}
    if test is not None:
        scores["test"] = test.to_dict()
    write_text(out / SCORES_FILE, json.dumps(scores, indent=2) + "\n")
    try:
        from windowner.training.curves import plot_curves

        plot_curves(state.history, out / CURVES_FILE, title=str(out))
    except ImportError:
        log("matplotlib is not installed: no training-curves.png")
    return TrainResult(out, state.best_epoch, dev_scores, test, state.history, stopped_early)


@contextmanager
def _signals_raise_interrupt() -> Iterator[list[str]]:
    """While training, SIGINT and SIGTERM only set a flag the loop checks after every batch."""
    received: list[str] = []

    def handler(signum, frame):
        received.append(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _checkpoint(run: _Run, state: TrainingState, order: np.ndarray | None) -> None:
    """Save what the next step depends on; `order` only when stopping mid-epoch."""
    state.rng = run.rng.bit_generator.state
    save_checkpoint(run.out / CHECKPOINT_FILE, run.model, state, run.optimizer.velocity, order)


def _targets(corpus: Corpus, tags: list[str], head: str, only_type: str) -> np.ndarray:
    """What the loss compares s with. Shapes: (T,) tag ids for the softmax head; (T, n_tags)
    one-vs-rest 0/1 targets for the sigmoid head; (T, 1) "is it only_type?" for --only-type."""
    gold = [t for s in corpus.sentences for t in s.tags]
    if only_type:
        return np.array([[parse_tag(t)[1] == only_type] for t in gold], dtype=np.float32)
    tag_id = {tag: i for i, tag in enumerate(tags)}
    unknown = sorted({t for t in gold if t not in tag_id})
    if unknown:
        raise UserError(f"tags {', '.join(unknown)} are not in the model's tag set", corpus.path)
    y = np.fromiter((tag_id[t] for t in gold), np.int64, count=len(gold))
    if head == "sigmoid":
        return np.eye(len(tags), dtype=np.float32)[y]
    return y


def read_data(config: Config, role: str) -> Corpus:
    """The train, dev or test data the config names, in whichever format it is."""
    d = config.data
    return read_corpus(
        getattr(d, role),
        split=ROLE_SPLITS[role],
        columns=parse_columns(d.columns) if d.columns else None,
        delimiter=d.delimiter,
        scheme=d.scheme,
    )


def _activation_keys(name: str) -> tuple[str, ...]:
    """The config keys an activation takes as hyperparameters."""
    return {"leaky_relu": ("leak",), "swish": ("beta",), "swiglu": ("beta",)}.get(name, ())


def _tag_set(corpus: Corpus) -> list[str]:
    """'O' first, then B-/I- tags sorted by type: a stable order for the output rows."""
    seen = {tag for s in corpus.sentences for tag in s.tags} | {"O"}
    return sorted(seen, key=lambda t: (t != "O", t.partition("-")[2], t))


def _write_metrics(path: Path, history: list[dict]) -> None:
    write_text(path, "".join(json.dumps(record) + "\n" for record in history))
