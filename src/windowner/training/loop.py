"""The training loop: minibatch SGD over shuffled windows, one epoch after another, with dev F1
recorded after each, SIGINT/SIGTERM turned into a resumable stop and a non-finite loss into a
clear stop (or a restart at half the step size).

A run resumed from its checkpoint makes the very model an uninterrupted run would have made: the
checkpoint holds the parameters, the optimiser's velocities, the generator's state and the
epoch's shuffled order, and nothing else influences a step.
"""

from __future__ import annotations

import enum
import functools
import json
import math
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from windowner.atomic import link_or_copy, write_text
from windowner.config import Config
from windowner.data.conll import Corpus
from windowner.errors import UserError
from windowner.evaluation.evaluate import evaluate
from windowner.features.vocabulary import UNK_ID
from windowner.features.windows import Windows
from windowner.model.network import Dropout
from windowner.model_file import Model, save_model
from windowner.training.batches import Batch, sentence_batches, window_batches
from windowner.training.checkpoint import TrainingState, save_checkpoint
from windowner.training.run_folder import (
    BEST_FILE,
    CHECKPOINT_FILE,
    LAST_FILE,
    METRICS_FILE,
    MODEL_FILE,
)
from windowner.training.schedules import Schedule
from windowner.training.sgd import SGD

MAX_HALVINGS = 5  # non-finite restarts before giving up
LOSS_SHOWN_EVERY = 50  # batches between updates of the progress bar's running loss


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived; a checkpoint was saved in `saved_in`, the run folder `out`
    or its .next (see run_folder), and `ner-train --resume out` continues."""

    def __init__(self, saved_in: Path, out: Path, signal_name: str):
        self.out = out
        super().__init__(
            f"{signal_name}: checkpoint saved in {saved_in}; continue with ner-train --resume {out}"
        )


class Epoch(enum.Enum):
    """How a pass over the batches ended."""

    DONE = "done"
    NON_FINITE = "a NaN or inf loss or gradient"
    INTERRUPTED = "a signal asked to stop"


@dataclass
class Run:
    """What the loop works on: the data as windows and targets, the model and the optimiser."""

    config: Config
    out: Path
    model: Model
    windows: Windows
    targets: np.ndarray  # see targets.targets
    dev: Corpus
    test: Corpus | None
    optimizer: SGD
    schedule: Schedule
    rng: np.random.Generator
    rare: np.ndarray | None = None  # (V,) bool: E's rows word dropout may hide (seen once)
    allowed: tuple[np.ndarray, np.ndarray] | None = None  # IOB2 masks: the sentence objective's
    # The run folder the user named: `out` itself, or out's parent while the run trains in
    # FOLDER/.next beside a previous run (run_folder.swap_in).
    folder: Path | None = None

    def __post_init__(self):
        if self.folder is None:
            self.folder = self.out

    @property
    def sentence_objective(self) -> bool:
        return self.config.training.objective == "sentence"

    @property
    def units(self) -> int:
        """What an epoch shuffles: windows, or sentences for the sentence objective."""
        return len(self.windows.lengths) if self.sentence_objective else len(self.targets)

    def batches(self, order: np.ndarray) -> list[Batch]:
        size = self.config.training.batch_size
        if self.sentence_objective:
            return sentence_batches(order, self.windows.lengths, size)
        return window_batches(order, size)

    @functools.cached_property
    def steps_per_epoch(self) -> int:
        """Batches per epoch, as the schedules count them: for the sentence objective the count
        of the corpus-order packing (a shuffled order packs to within a few batches of it)."""
        size = self.config.training.batch_size
        if self.sentence_objective:
            return len(sentence_batches(np.arange(self.units), self.windows.lengths, size))
        return math.ceil(len(self.targets) / size)


def run_epochs(
    run: Run,
    state: TrainingState,
    order: np.ndarray | None,
    log: Callable[[str], None],
    progress: bool,
) -> bool:
    """Train from `state` until the last epoch or early stopping; True if it stopped early.

    `order` is the unfinished epoch's shuffled order when resuming mid-epoch, else None.
    Raises Interrupted (after a checkpoint) on SIGINT/SIGTERM, UserError when training diverges.
    """
    config = run.config
    with _signals_set_flag() as interrupted:
        while state.epoch < config.training.epochs:
            epoch = state.epoch + 1
            if order is None:
                order = run.rng.permutation(run.units)
            snapshot = _snapshot(run, state)
            outcome = train_epoch(run, state, order, epoch, interrupted, progress)
            if outcome is Epoch.INTERRUPTED:  # mid-epoch: checkpoint where we are
                checkpoint(run, state, order)
                raise Interrupted(run.out, run.folder, interrupted[0])
            if outcome is Epoch.NON_FINITE:
                order = _recover(run, state, snapshot, epoch, log)
                continue
            order = None
            stop = end_epoch(run, state, epoch, log)
            checkpoint(run, state, None)
            if interrupted:
                raise Interrupted(run.out, run.folder, interrupted[0])
            if stop:
                log(f"no better dev F1 for {config.training.patience} epochs: stopping")
                return True
    return False


def train_epoch(
    run: Run,
    state: TrainingState,
    order: np.ndarray,
    epoch: int,
    interrupted: list[str],
    progress: bool,
) -> Epoch:
    """SGD over the epoch's batches from state.batch on; state stays resumable whatever the end.

    Each step: J and every gradient from WindowNetwork.loss, then SGD.step (θ ← θ − α∇θJ).
    """
    from tqdm import tqdm

    t, network = run.config.training, run.model.network
    dropout = Dropout(t.dropout_x, t.dropout_h, run.rng) if t.dropout_x or t.dropout_h else None
    batches = run.batches(order)[state.batch :]
    # disable=None: tqdm draws only when stderr is a terminal, so logs and CI stay clean.
    bar = tqdm(batches, desc=f"epoch {epoch}", unit="batch", disable=None if progress else True)
    started, cpu_started = time.perf_counter(), time.process_time()
    shown_loss = shown_tokens = 0.0  # the progress bar's running loss, over this call's batches
    # Overflow to inf or NaN is caught below as a non-finite loss; numpy's warnings would only
    # print noise above that clear message.
    with bar, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            for batch in bar:
                lr = state.lr_scale * run.schedule.at(
                    state.step, epoch, run.steps_per_epoch, t.epochs
                )
                ids = run.windows.ids[batch.rows]  # a copy: word dropout may change it
                if t.word_dropout:
                    hide_words(ids[:, :, 0], run.rare, t.word_dropout, run.rng)
                y = run.targets[batch.rows]
                if batch.lengths is None:
                    J, grads = network.loss(ids, y, dropout)
                else:
                    J, grads = network.sentence_loss(ids, y, batch.lengths, run.allowed, dropout)
                if not math.isfinite(J):
                    return Epoch.NON_FINITE
                norm = run.optimizer.step(network.params, grads, lr)
                if norm is not None and not math.isfinite(norm):
                    return Epoch.NON_FINITE
                state.loss_sum += J * len(batch.rows)
                shown_loss += J * len(batch.rows)
                shown_tokens += len(batch.rows)
                state.batch += 1
                state.step += 1
                if state.batch % LOSS_SHOWN_EVERY == 0:
                    bar.set_postfix(loss=f"{shown_loss / shown_tokens:.4f}")
                if interrupted:
                    return Epoch.INTERRUPTED
        finally:
            state.seconds += time.perf_counter() - started
            state.cpu_seconds += time.process_time() - cpu_started
    # A step's loss is checked before its update, so the epoch's last update is checked here
    # (SGD computes no gradient norm without clipping: a non-finite gradient shows in the next
    # loss, or here).
    if not all(np.isfinite(value).all() for value in network.params.values()):
        return Epoch.NON_FINITE
    return Epoch.DONE


def hide_words(words: np.ndarray, rare: np.ndarray, p: float, rng: np.random.Generator) -> None:
    """Word dropout: each rare word (rare[row] true) is read as <unk> with probability p, so
    that the <unk> row learns from words like the ones tagging will not know.

    Shapes: words (N, n) rows of E, changed in place; rare (V,) bool.
    """
    hidden = rare[words] & (rng.random(words.shape) < p)
    words[hidden] = UNK_ID


def end_epoch(run: Run, state: TrainingState, epoch: int, log: Callable[[str], None]) -> bool:
    """Score dev, record the epoch, keep the best and last models; True to stop early."""
    config, out, model = run.config, run.out, run.model
    dev, _ = evaluate(model, run.dev)
    record = {
        "epoch": epoch,
        "train_loss": round(state.loss_sum / len(run.targets), 6),
        "lr": state.lr_scale
        * run.schedule.at(state.step - 1, epoch, run.steps_per_epoch, config.training.epochs),
        "dev_precision": dev.precision,
        "dev_recall": dev.recall,
        "dev_f1": dev.f1,
        "seconds": round(state.seconds, 3),
        "cpu_seconds": round(state.cpu_seconds, 3),
    }
    state.history.append(record)
    log(json.dumps(record))
    model.metadata.update(epoch=epoch, dev=dev.to_dict())
    # The files of every epoch are written uncompressed (deflating E's int8 rows takes half a
    # second); finish() compresses the model the run keeps, once.
    save_model(out / LAST_FILE, model, compress=False)
    # With training.with_dev, dev is training data: the last epoch is kept, whatever dev says.
    if dev.f1 > state.best_f1 or config.training.with_dev:
        state.best_f1, state.best_epoch, state.epochs_without_improvement = dev.f1, epoch, 0
        save_model(out / BEST_FILE, model, compress=False)
        link_or_copy(out / BEST_FILE, out / MODEL_FILE)
    else:
        state.epochs_without_improvement += 1
    state.epoch, state.batch, state.loss_sum = epoch, 0, 0.0
    state.seconds = state.cpu_seconds = 0.0
    write_metrics(out / METRICS_FILE, state.history)
    patience = 0 if config.training.with_dev else config.training.patience
    return bool(patience) and state.epochs_without_improvement >= patience


def checkpoint(run: Run, state: TrainingState, order: np.ndarray | None) -> None:
    """Save what the next step depends on; `order` only when stopping mid-epoch."""
    state.rng = run.rng.bit_generator.state
    save_checkpoint(run.out / CHECKPOINT_FILE, run.model, state, run.optimizer.velocity, order)


def write_metrics(path: Path, history: list[dict]) -> None:
    write_text(path, "".join(json.dumps(record) + "\n" for record in history))


def _snapshot(run: Run, state: TrainingState) -> dict:
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


def _recover(run: Run, state: TrainingState, snapshot: dict, epoch: int, log) -> np.ndarray:
    """A NaN or inf: stop (the last good model is on disk), or halve α and redo the epoch in a
    new order; returns that order."""
    kept = run.out / BEST_FILE if (run.out / BEST_FILE).exists() else None
    where = f"epoch {epoch}, step {state.step + 1}"
    if run.config.training.on_nonfinite != "halve" or state.lr_scale < 0.5**MAX_HALVINGS:
        kept_text = f"the last good model is {kept}" if kept else "no epoch had finished"
        if run.out != run.folder:
            kept_text += f"; {run.folder} still holds the previous run"
        raise UserError(
            f"training diverged at {where} (non-finite loss or gradient); {kept_text}; "
            "try a smaller training.lr or training.clip_norm"
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
    return run.rng.permutation(run.units)


@contextmanager
def _signals_set_flag() -> Iterator[list[str]]:
    """While training, SIGINT and SIGTERM only append their name to a list the loop checks
    after every batch."""
    received: list[str] = []

    def handler(signum, frame):
        received.append(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
