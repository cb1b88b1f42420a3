"""`ner-train`: train a window NER model from a config file and/or flags."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from windowner.cli.common import make_app, user_errors

app = make_app("Train a window-based NER model (CS224N lecture 3) on CoNLL data.")


@app.command()
def main(
    config: Annotated[Optional[Path], typer.Option(help="TOML config file.")] = None,
    train: Annotated[Optional[str], typer.Option(help="Training data (CoNLL).")] = None,
    dev: Annotated[Optional[str], typer.Option(help="Dev data: selects the best epoch.")] = None,
    test: Annotated[Optional[str], typer.Option(help="Test data: scored once at the end.")] = None,
    vectors: Annotated[
        Optional[str], typer.Option(help="'glove-6b-50d' or a GloVe/word2vec/gensim file.")
    ] = None,
    out: Annotated[Optional[str], typer.Option(help="Output folder for model and metrics.")] = None,
    epochs: Annotated[Optional[int], typer.Option(help="Passes over the training data.")] = None,
    lr: Annotated[Optional[float], typer.Option(help="SGD learning rate α.")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="Windows per SGD step.")] = None,
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
    freeze_embeddings: Annotated[
        bool, typer.Option("--freeze-embeddings", help="Do not fine-tune word vectors.")
    ] = False,
    set_: Annotated[
        Optional[list[str]],
        typer.Option("--set", help="Override any config key: --set training.lr=0.1"),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace a model already in --out.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the scores.")] = False,
) -> None:
    """Train, select the best epoch on --dev, report --test; flags override the config file."""
    with user_errors():
        from windowner.config import load_config, parse_assignment
        from windowner.trainer import train as run_training

        overrides = dict(parse_assignment(item) for item in set_ or [])
        flags = {
            "data.train": train,
            "data.dev": dev,
            "data.test": test,
            "vectors.spec": vectors,
            "out": out,
            "training.epochs": epochs,
            "training.lr": lr,
            "training.batch_size": batch_size,
            "model.hidden": hidden,
            "model.window": window,
            "model.activation": activation,
            "model.leak": leak,
            "model.beta": beta,
            "model.head": head,
            "model.only_type": only_type,
            "model.decode": decode,
            "training.seed": seed,
            "vectors.freeze": True if freeze_embeddings else None,
        }
        overrides.update({key: value for key, value in flags.items() if value is not None})
        resolved = load_config(config, overrides)
        log = (lambda _: None) if quiet else (lambda line: print(line, flush=True))
        result = run_training(resolved, force=force, log=log, progress=not quiet)
        summary = f"best epoch {result.best_epoch}: dev F1 {result.dev.f1:.4f}"
        if result.test is not None:
            summary += f", test F1 {result.test.f1:.4f}"
        print(f"{summary}; model in {result.out / 'model.npz'}", file=sys.stdout)


def run() -> None:
    app()
