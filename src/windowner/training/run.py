"""train() and resume(): a whole run, from a config to the model, metrics and scores in its
folder. These are what ner-train calls, and the library's entry points."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

import numpy as np

from windowner.atomic import write_text
from windowner.config import Config, load_config
from windowner.data.sources import HUB_PREFIX
from windowner.data.tags import allowed_transitions
from windowner.errors import UserError
from windowner.features.vocabulary import SPECIALS
from windowner.features.windows import encode
from windowner.model_file import Model
from windowner.training.build import new_model
from windowner.training.checkpoint import TrainingState, check_resumable, load_checkpoint
from windowner.training.data import Corpora, read_corpora, with_dev
from windowner.training.finish import TrainResult, finish
from windowner.training.init import load_start, starting_config, starting_model
from windowner.training.loop import Run, run_epochs
from windowner.training.prior_folds import first_passes, read_train_prior, refuse_unsupported
from windowner.training.provenance import data_hashes
from windowner.training.run_folder import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    CURVES_FILE,
    MODEL_FILE,
    NEXT_DIR,
    SCORES_FILE,
    discard_next,
    holds_run,
    locked,
    swap_in,
    swap_pending,
)
from windowner.training.schedules import Schedule
from windowner.training.sgd import SGD
from windowner.training.targets import targets
from windowner.vectors.loading import DEFAULT_VECTORS, GENSIM_PREFIX


def train(
    config: Config,
    *,
    force: bool = False,
    log: Callable[[str], None] = print,
    progress: bool = True,
    given: Collection[str] | None = None,
    first_pass: bool = False,
    corpora: Corpora | None = None,
) -> TrainResult:
    """Train a window network as `config` says; write model, metrics and config to config.out.

    Into a folder that holds a run already, the new run trains in OUT/.next and replaces the
    previous one only once it has finished (run_folder.swap_in). With training.init the run
    starts from that model (training/init.py), `given` being the keys the user set (None:
    those not at their defaults), which must not contradict the model's architecture.
    `first_pass`: a run of the document prior's first passes (training/prior_folds.py): the
    prior is read "alone" everywhere and no first passes of its own are trained; `corpora`, the
    data already read (a fold of train), else the config's are read.
    """
    out = Path(config.out)
    if not config.data.train or not config.data.dev:
        raise UserError("training needs --train and --dev (or a config that names them)")
    staged = out / NEXT_DIR
    if not force and ((out / MODEL_FILE).exists() or (staged / MODEL_FILE).exists()):
        raise UserError("already holds a model; use --force to replace it", out)
    with locked(out):
        if swap_pending(out):  # a finished run whose swap a SIGKILL cut short
            swap_in(out)
        folder = staged if holds_run(out) else out
        run = prepare(config, folder, log, given=given, first_pass=first_pass, corpora=corpora)
        run.folder = out
        discard_next(out)  # an unfinished run beside the folder's: --force replaces it
        state = TrainingState()
        with _left_only_if_resumable(run):  # run.config: with --init, the model's architecture
            write_text(folder / CONFIG_FILE, _anchored(run.config).to_toml())
            stopped_early = run_epochs(run, state, None, log, progress)
            result = finish(run, state, log, stopped_early)
        return _swapped_in(run, result)


def resume(
    out: str | Path, *, log: Callable[[str], None] = print, progress: bool = True
) -> TrainResult:
    """Continue the run whose checkpoint and resolved config are in `out`, or in OUT/.next when
    a run was training there beside a previous one."""
    out = Path(out)
    if swap_pending(out):
        with locked(out):
            swap_in(out)
    staged = out / NEXT_DIR
    folder = staged if (staged / CHECKPOINT_FILE).exists() else out
    if (folder / SCORES_FILE).exists():  # finish() wrote it: the run ended, by its epochs or early
        raise UserError(
            f"the run is complete ({SCORES_FILE} holds its scores): nothing to resume, "
            "nothing changed",
            out,
        )
    if not (folder / CHECKPOINT_FILE).exists():
        raise UserError(f"no {CHECKPOINT_FILE} to resume from", out)
    with locked(out):
        config = load_config(folder / CONFIG_FILE)
        model, state, velocity, order = load_checkpoint(folder / CHECKPOINT_FILE)
        recorded = model.metadata.get("data_sha256", {})
        paths = {"train": config.data.train, "dev": config.data.dev, "test": config.data.test}
        changed = [k for k, v in data_hashes(paths).items() if recorded.get(k) not in (None, v)]
        if changed:
            raise UserError(f"the {', '.join(changed)} data changed since the run started", out)
        run = prepare(config, folder, log, model)
        check_resumable(
            folder / CHECKPOINT_FILE,
            state,
            velocity,
            order,
            units=run.units,
            batches=lambda order: len(run.batches(order)),
            epochs=config.training.epochs,
            momentum=config.training.momentum,
            rng=run.rng,
            steps_per_epoch=None if run.sentence_objective else run.steps_per_epoch,
        )
        run.folder = out
        run.optimizer.velocity = velocity
        run.rng.bit_generator.state = state.rng
        log(f"resuming after epoch {state.epoch}, batch {state.batch}")
        with _left_only_if_resumable(run):
            stopped_early = run_epochs(run, state, order, log, progress)
            result = finish(run, state, log, stopped_early)
        return _swapped_in(run, result)


def _anchored(config: Config) -> Config:
    """`config` with each data, vectors or --init model file named by a relative path named by
    its absolute one: what config.toml records, so that --resume (and --config) read the same
    files from any working directory. Hub datasets, gensim: names and the packaged vectors stay
    as they are."""

    def absolute(spec: str) -> str:
        named = spec == DEFAULT_VECTORS or spec.startswith((HUB_PREFIX, GENSIM_PREFIX))
        return spec if not spec or named or not os.path.exists(spec) else os.path.abspath(spec)

    data = dataclasses.replace(
        config.data,
        train=absolute(config.data.train),
        dev=absolute(config.data.dev),
        test=absolute(config.data.test),
    )
    vectors = dataclasses.replace(config.vectors, spec=absolute(config.vectors.spec))
    training = dataclasses.replace(config.training, init=absolute(config.training.init))
    return dataclasses.replace(config, data=data, vectors=vectors, training=training)


@contextlib.contextmanager
def _left_only_if_resumable(run: Run) -> Iterator[None]:
    """A run in .next that stops before its end keeps there what --resume needs (or a finished
    run not yet swapped in); one that stops before its first checkpoint leaves nothing beside the
    previous run."""
    try:
        yield
    except BaseException:
        if run.out != run.folder and not any(
            (run.out / name).exists() for name in (CHECKPOINT_FILE, SCORES_FILE)
        ):
            discard_next(run.folder)
        raise


def _swapped_in(run: Run, result: TrainResult) -> TrainResult:
    """The finished run in its folder: moved there from .next when it trained beside another."""
    if run.out == run.folder:
        return result
    swap_in(run.folder)
    curves = None if result.curves is None else run.folder / CURVES_FILE
    return dataclasses.replace(result, out=run.folder, curves=curves)


def prepare(
    config: Config,
    out: Path,
    log: Callable[[str], None],
    model: Model | None = None,
    given: Collection[str] | None = None,
    first_pass: bool = False,
    corpora: Corpora | None = None,
):
    """Read the data and build (or take) the model, the targets and the optimiser.

    -> Run. When resuming, the model and the generator's state are the checkpoint's. A run
    with training.init starts from that model, and its config takes the model's architecture
    (init.starting_config, `given` as train() has it): Run.config is the config it runs.
    A run with the document prior (model.prior_dim) trains its first passes here, before its
    own epochs, unless it is one of them (`first_pass`) or resumes (it reads their priors back).
    """
    refuse_unsupported(config)
    rng = np.random.default_rng(config.training.seed)
    start = None
    if model is None and config.training.init:
        start, origin = load_start(config.training.init)
        config = starting_config(config, start, config.training.init, given)
    corpora = corpora or read_corpora(config, log)
    if config.training.with_dev:
        corpora = with_dev(corpora)
        log(f"training on train + dev: {corpora.train.summary()}")
    if start is not None:
        model = starting_model(config, start, origin, corpora.train, rng, log)
    elif model is None:
        model = new_model(config, corpora.train, rng, log)
    train = corpora.train.sentences
    prior = None
    if config.model.prior_dim and not first_pass:
        if model.first_pass is not None:  # resuming: the checkpoint's model holds it
            prior = read_train_prior(out, corpora.train.tokens)
        else:
            model.first_pass, whole, prior = first_passes(config, corpora, out, log)
            if whole.vocabulary.words != model.vocabulary.words:
                raise UserError("the first pass's vocabulary differs from the run's", out)
    windows = encode(
        [s.tokens for s in train],
        model.vocabulary,
        config.model.window,
        model.features,
        [s.document for s in train],
        prior=prior,
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
