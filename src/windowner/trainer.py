"""The training loop: minibatch SGD over shuffled windows, model selection on dev F1."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from windowner.atomic import write_text
from windowner.casing import CASING_CLASSES
from windowner.config import Config
from windowner.conll import Corpus, read_conll
from windowner.errors import UserError
from windowner.evaluation import Scores
from windowner.model.activations import get_activation
from windowner.model.network import WindowNetwork
from windowner.model_file import Model, save_model
from windowner.scoring import evaluate
from windowner.sgd import sgd_step
from windowner.tags import parse_tag
from windowner.vectors import load_vectors
from windowner.vocabulary import build_vocabulary
from windowner.windows import encode

MODEL_FILE, METRICS_FILE, CONFIG_FILE, SCORES_FILE = (
    "model.npz",
    "metrics.jsonl",
    "config.toml",
    "scores.json",
)


@dataclass
class TrainResult:
    out: Path
    best_epoch: int
    dev: Scores
    test: Scores | None
    history: list[dict] = field(default_factory=list)


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
    rng = np.random.default_rng(config.training.seed)

    train_data = read_conll(config.data.train)
    dev_data = read_conll(config.data.dev)
    test_data = read_conll(config.data.test) if config.data.test else None
    for corpus in (train_data, dev_data, test_data):
        if corpus is not None:
            log(corpus.summary())

    vectors = load_vectors(config.vectors.spec)
    train_tokens = [t for s in train_data.sentences for t in s.tokens]
    vocabulary, E = build_vocabulary(vectors, train_tokens, rng, config.vectors.min_count)
    log(
        f"vectors {vectors.spec}: {len(vectors.words):,} words × {vectors.dim}; vocabulary "
        f"{len(vocabulary):,} rows; out-of-vocabulary tokens: train "
        f"{_oov(vocabulary, train_data):.2%}, dev {_oov(vocabulary, dev_data):.2%}"
    )
    del vectors

    only_type = config.model.only_type
    if only_type and config.model.head != "sigmoid":
        raise UserError("--only-type needs --head sigmoid: it trains the lecture's σ(s) score")
    tags = [only_type] if only_type else _tag_set(train_data)
    if only_type and only_type not in train_data.entity_counts():
        known = ", ".join(train_data.entity_counts())
        raise UserError(f"no '{only_type}' entities in the training data; it has {known}")
    activation = get_activation(
        config.model.activation,
        **{k: getattr(config.model, k) for k in _activation_keys(config.model.activation)},
    )
    network = WindowNetwork.initialise(
        E,
        len(CASING_CLASSES),
        len(tags),
        window=config.model.window,
        hidden=config.model.hidden,
        activation=activation,
        casing_dim=config.model.casing_dim,
        rng=rng,
        head=config.model.head,
    )
    metadata = {"config": config.to_dict(), "decode": config.model.decode}
    if only_type:
        metadata["only_type"] = only_type
    model = Model(network, vocabulary, tags, metadata)

    windows = encode([s.tokens for s in train_data.sentences], vocabulary, config.model.window)
    y = _targets(train_data, tags, config.model.head, only_type)

    out.mkdir(parents=True, exist_ok=True)
    write_text(out / CONFIG_FILE, config.to_toml())
    frozen = ("E",) if config.vectors.freeze else ()
    history: list[dict] = []
    best_f1, best_epoch, best_dev = -1.0, 0, None
    best_params: dict[str, np.ndarray] = {}
    for epoch in range(1, config.training.epochs + 1):
        lr = config.training.lr / (1.0 + config.training.lr_decay * (epoch - 1))
        started = time.perf_counter()
        train_loss = _run_epoch(network, windows, y, config, lr, frozen, rng, epoch, progress)
        seconds = time.perf_counter() - started
        dev, _ = evaluate(model, dev_data)
        record = {
            "epoch": epoch,
            "train_loss": round(train_loss, 6),
            "lr": lr,
            "dev_precision": dev.precision,
            "dev_recall": dev.recall,
            "dev_f1": dev.f1,
            "seconds": round(seconds, 3),
        }
        history.append(record)
        log(json.dumps(record))
        if dev.f1 > best_f1:
            best_f1, best_epoch, best_dev = dev.f1, epoch, dev
            best_params = {name: value.copy() for name, value in network.params.items()}
            model.metadata.update(epoch=epoch, dev=dev.to_dict())
            save_model(out / MODEL_FILE, model)
        _write_metrics(out / METRICS_FILE, history)

    network.params.update(best_params)
    test = None
    if test_data is not None:
        test, _ = evaluate(model, test_data)
        final = {
            "best_epoch": best_epoch,
            "dev_f1": best_dev.f1,
            "test_precision": test.precision,
            "test_recall": test.recall,
            "test_f1": test.f1,
        }
        history.append(final)
        log(json.dumps(final))
        _write_metrics(out / METRICS_FILE, history)
    scores = {"best_epoch": best_epoch, "dev": best_dev.to_dict()}
    if test is not None:
        scores["test"] = test.to_dict()
    write_text(out / SCORES_FILE, json.dumps(scores, indent=2) + "\n")
    return TrainResult(out, best_epoch, best_dev, test, history)


def _targets(corpus: Corpus, tags: list[str], head: str, only_type: str) -> np.ndarray:
    """What the loss compares s with. Shapes: (T,) tag ids for the softmax head; (T, n_tags)
    one-vs-rest 0/1 targets for the sigmoid head; (T, 1) "is it only_type?" for --only-type."""
    gold = [t for s in corpus.sentences for t in s.tags]
    if only_type:
        return np.array([[parse_tag(t)[1] == only_type] for t in gold], dtype=np.float32)
    tag_id = {tag: i for i, tag in enumerate(tags)}
    y = np.fromiter((tag_id[t] for t in gold), np.int64, count=len(gold))
    if head == "sigmoid":
        return np.eye(len(tags), dtype=np.float32)[y]
    return y


def _activation_keys(name: str) -> tuple[str, ...]:
    """The config keys an activation takes as hyperparameters."""
    return {"leaky_relu": ("leak",), "swish": ("beta",), "swiglu": ("beta",)}.get(name, ())


def _run_epoch(
    network, windows, y, config: Config, lr: float, frozen, rng, epoch: int, progress: bool
):
    """One pass over the shuffled training windows; returns the mean training loss."""
    from tqdm import tqdm

    batch_size = config.training.batch_size
    order = rng.permutation(len(y))
    starts = range(0, len(order), batch_size)
    total = 0.0
    # disable=None: tqdm draws only when stderr is a terminal, so logs and CI stay clean.
    bar = tqdm(
        starts, desc=f"epoch {epoch}", unit="batch", leave=False, disable=None if progress else True
    )
    for start in bar:
        batch = order[start : start + batch_size]
        J, grads = network.loss(windows.words[batch], windows.casing[batch], y[batch])
        sgd_step(network.params, grads, lr, frozen)
        total += J * len(batch)
    return total / len(y)


def _tag_set(corpus: Corpus) -> list[str]:
    """'O' first, then B-/I- tags sorted by type: a stable order for the output rows."""
    seen = {tag for s in corpus.sentences for tag in s.tags} | {"O"}
    return sorted(seen, key=lambda t: (t != "O", t.partition("-")[2], t))


def _oov(vocabulary, corpus: Corpus) -> float:
    return vocabulary.oov_rate([t for s in corpus.sentences for t in s.tokens])


def _write_metrics(path: Path, history: list[dict]) -> None:
    write_text(path, "".join(json.dumps(record) + "\n" for record in history))
