"""train() and resume(): a whole run, from a config to the model, metrics and scores in its
folder. These are what ner-train calls, and the library's entry points."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from windowner.atomic import write_text
from windowner.config import Config, load_config
from windowner.data.tags import allowed_transitions
from windowner.errors import UserError
from windowner.features.vocabulary import SPECIALS
from windowner.features.windows import encode
from windowner.model_file import Model
from windowner.training.build import new_model
from windowner.training.checkpoint import TrainingState, load_checkpoint
from windowner.training.data import read_corpora, with_dev
from windowner.training.finish import TrainResult, finish
from windowner.training.loop import Run, run_epochs
from windowner.training.provenance import data_hashes
from windowner.training.run_folder import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    METRICS_FILE,
    MODEL_FILE,
    SCORES_FILE,
    locked,
)
from windowner.training.schedules import Schedule
from windowner.training.sgd import SGD
from windowner.training.targets import targets


def train(
    config: Config,
    *,
    force: bool = False,
    log: Callable[[str], None] = print,
    progress: bool = True,
) -> TrainResult:
    """Train a window network as `config` says; write model, metrics and config to config.out."""
    out = Path(config.out)
    if not config.data.train or not config.data.dev:
        raise UserError("training needs --train and --dev (or a config that names them)")
    if (out / MODEL_FILE).exists() and not force:
        raise UserError("already holds a model; use --force to replace it", out)
    with locked(out):
        run = prepare(config, out, log)
        for stale in (CHECKPOINT_FILE, METRICS_FILE, SCORES_FILE):
            (out / stale).unlink(missing_ok=True)
        write_text(out / CONFIG_FILE, config.to_toml())
        state = TrainingState()
        stopped_early = run_epochs(run, state, None, log, progress)
        return finish(run, state, log, stopped_early)


def resume(
    out: str | Path, *, log: Callable[[str], None] = print, progress: bool = True
) -> TrainResult:
    """Continue the run whose checkpoint and resolved config are in `out`."""
    out = Path(out)
    if (out / SCORES_FILE).exists():  # finish() wrote it: the run ended, by its epochs or early
        raise UserError(
            f"the run is complete ({SCORES_FILE} holds its scores): nothing to resume, "
            "nothing changed",
            out,
        )
    if not (out / CHECKPOINT_FILE).exists():
        raise UserError(f"no {CHECKPOINT_FILE} to resume from", out)
    with locked(out):
        config = load_config(out / CONFIG_FILE)
        model, state, velocity, order = load_checkpoint(out / CHECKPOINT_FILE)
        recorded = model.metadata.get("data_sha256", {})
        paths = {"train": config.data.train, "dev": config.data.dev, "test": config.data.test}
        changed = [k for k, v in data_hashes(paths).items() if recorded.get(k) not in (None, v)]
        if changed:
            raise UserError(f"the {', '.join(changed)} data changed since the run started", out)
        run = prepare(config, out, log, model)
        run.optimizer.velocity = velocity
        run.rng.bit_generator.state = state.rng
        log(f"resuming after epoch {state.epoch}, batch {state.batch}")
        stopped_early = run_epochs(run, state, order, log, progress)
        return finish(run, state, log, stopped_early)


def prepare(config: Config, out: Path, log: Callable[[str], None], model: Model | None = None):
    """Read the data and build (or take) the model, the targets and the optimiser.

    -> Run. When resuming, the model and the generator's state are the checkpoint's.
    """
    rng = np.random.default_rng(config.training.seed)
    corpora = read_corpora(config, log)
    if config.training.with_dev:
        corpora = with_dev(corpora)
        log(f"training on train + dev: {corpora.train.summary()}")
    if model is None:
        model = new_model(config, corpora.train, rng, log)
    train = corpora.train.sentences
    windows = encode(
        [s.tokens for s in train],
        model.vocabulary,
        config.model.window,
        model.features,
        [s.document for s in train],
    )
    t, m = config.training, config.model
    optimizer = SGD(
        t.momentum, t.weight_decay, t.clip_norm, ("E",) if config.vectors.freeze else ()
    )
    schedule = Schedule(t.schedule, t.lr, t.gamma, t.step_size, t.warmup_epochs)
    # The sentence objective scores paths of tag ids, as the softmax head's targets are.
    head = "softmax" if t.objective == "sentence" else m.head
    y = targets(corpora.train, model.tags, head, m.only_type)
    # Word dropout hides the words seen once in training (counted at window centres).
    centre = windows.words[:, config.model.window]
    rare = np.bincount(centre, minlength=len(model.vocabulary)) == 1
    rare[: len(SPECIALS)] = False  # <unk>, <s>, </s>
    allowed = None if m.only_type else allowed_transitions(model.tags)
    return Run(
        config,
        out,
        model,
        windows,
        y,
        corpora.dev,
        corpora.test,
        optimizer,
        schedule,
        rng,
        rare,
        allowed,
    )
