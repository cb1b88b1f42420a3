"""The end of a run: the best epoch's model scored once on test, scores.json and the curves."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from windowner.atomic import link_or_copy, write_text
from windowner.evaluation.conlleval import Scores, TokenScores, scores_from_dict
from windowner.evaluation.evaluate import evaluate
from windowner.model_file import load_model, save_model
from windowner.training.checkpoint import TrainingState
from windowner.training.loop import Run, write_metrics
from windowner.training.run_folder import (
    BEST_FILE,
    CHECKPOINT_FILE,
    CURVES_FILE,
    LAST_FILE,
    METRICS_FILE,
    MODEL_FILE,
    SCORES_FILE,
)


@dataclass
class TrainResult:
    out: Path
    best_epoch: int
    dev: Scores | TokenScores  # of the best epoch, as scored when it ended
    test: Scores | TokenScores | None
    history: list[dict] = field(default_factory=list)  # metrics.jsonl's records
    stopped_early: bool = False
    curves: Path | None = None  # the PNG of the curves, unless matplotlib is missing


def finish(
    run: Run, state: TrainingState, log: Callable[[str], None], stopped_early: bool
) -> TrainResult:
    """Score the best model on test once; write scores.json and the training curves.

    The dev scores are the ones the best epoch recorded in its model's metadata: dev is never
    scored again. scores.json marks the run complete: from then on nothing resumes it, so the
    checkpoint and the last epoch's model (each the size of a model, 28 MB uncompressed with all
    of GloVe) are deleted, and model.npz (= model-best.npz), deflated, is what stays.
    """
    out = run.out
    best = load_model(out / BEST_FILE)
    # The epochs wrote it uncompressed: the model the run keeps is deflated once, here, before
    # scores.json marks the run complete (a run stopped before that finishes again on --resume).
    save_model(out / BEST_FILE, best)
    link_or_copy(out / BEST_FILE, out / MODEL_FILE)
    dev = scores_from_dict(best.metadata["dev"])
    test = None
    if run.test is not None:
        test, _ = evaluate(best, run.test)
        final = {
            "best_epoch": state.best_epoch,
            "dev_f1": dev.f1,
            "test_precision": test.precision,
            "test_recall": test.recall,
            "test_f1": test.f1,
        }
        state.history.append(final)
        log(json.dumps(final))
        write_metrics(out / METRICS_FILE, state.history)
    scores = {"best_epoch": state.best_epoch, "dev": dev.to_dict()}
    if "init" in best.metadata:  # the model the run started from (training/init.py)
        scores["init"] = best.metadata["init"]
    if test is not None:
        scores["test"] = test.to_dict()
    write_text(out / SCORES_FILE, json.dumps(scores, indent=2) + "\n")
    for unneeded in (CHECKPOINT_FILE, LAST_FILE):
        (out / unneeded).unlink(missing_ok=True)
    curves = None
    try:
        from windowner.training.curves import plot_curves

        plot_curves(state.history, out / CURVES_FILE, title=str(run.folder))
        curves = out / CURVES_FILE
    except ImportError:
        log("matplotlib is not installed: no training-curves.png")
    return TrainResult(out, state.best_epoch, dev, test, state.history, stopped_early, curves)
