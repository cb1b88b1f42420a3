"""`ner-train`: train a window NER model from a config file and/or flags."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from windowner.cli.common import make_app, one_blas_thread, user_errors

app = make_app("Train a window-based NER model (CS224N lecture 3) on CoNLL data.")

EXIT_INTERRUPTED = 130  # what shells report for a process stopped by SIGINT

# Each flag and the config key it overrides.
FLAG_KEYS = {
    "train": "data.train",
    "dev": "data.dev",
    "test": "data.test",
    "columns": "data.columns",
    "delimiter": "data.delimiter",
    "scheme": "data.scheme",
    "vectors": "vectors.spec",
    "max_vectors": "vectors.max_vectors",
    "out": "out",
    "epochs": "training.epochs",
    "patience": "training.patience",
    "lr": "training.lr",
    "schedule": "training.schedule",
    "batch_size": "training.batch_size",
    "momentum": "training.momentum",
    "weight_decay": "training.weight_decay",
    "clip_norm": "training.clip_norm",
    "dropout_x": "training.dropout_x",
    "dropout_h": "training.dropout_h",
    "on_nonfinite": "training.on_nonfinite",
    "seed": "training.seed",
    "hidden": "model.hidden",
    "window": "model.window",
    "activation": "model.activation",
    "leak": "model.leak",
    "beta": "model.beta",
    "head": "model.head",
    "only_type": "model.only_type",
    "decode": "model.decode",
}


@app.command()
def main(
    config: Annotated[Optional[Path], typer.Option(help="TOML config file.")] = None,
    train: Annotated[Optional[str], typer.Option(help="Training data (CoNLL).")] = None,
    dev: Annotated[Optional[str], typer.Option(help="Dev data: selects the best epoch.")] = None,
    test: Annotated[Optional[str], typer.Option(help="Test data: scored once at the end.")] = None,
    columns: Annotated[
        Optional[str],
        typer.Option(help="TOKEN,TAG columns: 0-based numbers, or a dataset's column names."),
    ] = None,
    delimiter: Annotated[
        Optional[str], typer.Option(help="whitespace, or tab (tokens with spaces).")
    ] = None,
    scheme: Annotated[
        Optional[str], typer.Option(help="Tag scheme: auto, iob1, iob2, iobes, bilou or io.")
    ] = None,
    vectors: Annotated[
        Optional[str],
        typer.Option(help="glove-6b-50d, a GloVe/word2vec/gensim file, or gensim:NAME."),
    ] = None,
    max_vectors: Annotated[
        Optional[int],
        typer.Option(help="Keep the N most frequent pretrained words plus the training words."),
    ] = None,
    skip_bad_lines: Annotated[
        bool,
        typer.Option(
            "--skip-bad-lines",
            help="Leave out and count vector lines with a wrong dimension, a non-number, "
            "NaN/inf or a repeated word.",
        ),
    ] = False,
    lookup: Annotated[
        Optional[str],
        typer.Option(help="How a token finds its vector, in order: e.g. exact,lower,digits."),
    ] = None,
    out: Annotated[Optional[str], typer.Option(help="Output folder for model and metrics.")] = None,
    epochs: Annotated[Optional[int], typer.Option(help="Most passes over the data.")] = None,
    patience: Annotated[
        Optional[int], typer.Option(help="Stop after N epochs without a better dev F1 (0: off).")
    ] = None,
    lr: Annotated[Optional[float], typer.Option(help="SGD learning rate α.")] = None,
    schedule: Annotated[
        Optional[str], typer.Option(help="constant, step, exponential or warmup_linear.")
    ] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="Windows per SGD step.")] = None,
    momentum: Annotated[Optional[float], typer.Option(help="Momentum μ (0: plain SGD).")] = None,
    weight_decay: Annotated[Optional[float], typer.Option(help="L2 penalty λ on W and U.")] = None,
    clip_norm: Annotated[
        Optional[float], typer.Option(help="Clip the gradient's global norm (0: off).")
    ] = None,
    dropout_x: Annotated[Optional[float], typer.Option(help="Dropout rate on x.")] = None,
    dropout_h: Annotated[Optional[float], typer.Option(help="Dropout rate on h.")] = None,
    on_nonfinite: Annotated[
        Optional[str], typer.Option(help="On a NaN/inf loss: stop, or halve α and redo the epoch.")
    ] = None,
    hidden: Annotated[Optional[int], typer.Option(help="Hidden units H.")] = None,
    window: Annotated[Optional[int], typer.Option(help="Words each side of the centre.")] = None,
    activation: Annotated[Optional[str], typer.Option(help="Nonlinearity f.")] = None,
    leak: Annotated[Optional[float], typer.Option(help="leaky_relu's slope for z < 0.")] = None,
    beta: Annotated[Optional[float], typer.Option(help="β of swish and swiglu.")] = None,
    head: Annotated[
        Optional[str], typer.Option(help="softmax, or sigmoid (σ(s) per tag, one-vs-rest).")
    ] = None,
    only_type: Annotated[
        Optional[str],
        typer.Option(help="With --head sigmoid: train one yes/no 'is the word TYPE?' decision."),
    ] = None,
    decode: Annotated[
        Optional[str], typer.Option(help="viterbi (IOB2-constrained) or greedy.")
    ] = None,
    seed: Annotated[Optional[int], typer.Option(help="Random seed.")] = None,
    seeds: Annotated[
        Optional[str],
        typer.Option(help="Train one model per seed (e.g. 0,1,2) into OUT/seed-N; mean ± sd."),
    ] = None,
    freeze_embeddings: Annotated[
        bool, typer.Option("--freeze-embeddings", help="Do not fine-tune word vectors.")
    ] = False,
    set_: Annotated[
        Optional[list[str]],
        typer.Option("--set", help="Override any config key: --set training.lr=0.1"),
    ] = None,
    resume: Annotated[
        Optional[Path],
        typer.Option(help="Continue the interrupted run in this folder (other options ignored)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace a model already in --out.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the scores.")] = False,
) -> None:
    """Train, select the best epoch on --dev, report --test; flags override the config file.

    SIGINT (Ctrl-C) or SIGTERM save a checkpoint and exit 130; --resume continues from it.
    """
    one_blas_thread()
    with user_errors():
        from windowner.config import load_config, parse_assignment
        from windowner.training.loop import Interrupted
        from windowner.training.loop import resume as resume_training
        from windowner.training.loop import train as run_training
        from windowner.training.multiseed import train_seeds

        log = (lambda _: None) if quiet else (lambda line: print(line, flush=True))
        try:
            if resume is not None:
                result = resume_training(resume, log=log, progress=not quiet)
                print(_summary(result))
                return
            overrides = dict(parse_assignment(item) for item in set_ or [])
            given = locals()
            flags = {key: given[flag] for flag, key in FLAG_KEYS.items()}
            if freeze_embeddings:
                flags["vectors.freeze"] = True
            if skip_bad_lines:
                flags["vectors.skip_bad_lines"] = True
            if lookup is not None:
                flags["vectors.lookup"] = [step.strip() for step in lookup.split(",")]
            overrides.update({key: value for key, value in flags.items() if value is not None})
            resolved = load_config(config, overrides)
            if seeds is not None:
                summary = train_seeds(
                    resolved, _seed_list(seeds), force=force, log=log, progress=not quiet
                )
                print(summary.describe())
                return
            result = run_training(resolved, force=force, log=log, progress=not quiet)
            print(_summary(result))
        except Interrupted as interrupted:
            print(f"interrupted by {interrupted}", flush=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None


def _seed_list(text: str) -> list[int]:
    from windowner.errors import UserError

    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UserError(f"--seeds expects comma-separated integers, got '{text}'") from None
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise UserError(f"--seeds expects distinct non-negative integers, got '{text}'")
    return seeds


def _summary(result) -> str:
    summary = f"best epoch {result.best_epoch}: dev F1 {result.dev.f1:.4f}"
    if result.test is not None:
        summary += f", test F1 {result.test.f1:.4f}"
    return f"{summary}; model in {result.out / 'model.npz'}"


def run() -> None:
    app()
