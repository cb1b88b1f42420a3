"""`ner-train`: train a window NER model from a config file, the data flags and --set overrides.

Like spaCy's `train`, the command has flags only for what users type daily: the data, the
vectors, the output folder, the epochs and seeds. Every other setting is a config key, changed
in the file or with --set SECTION.KEY=VALUE; its help text and rule live once, in config.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from windowner.choices import quoted
from windowner.cli.common import make_app, one_blas_thread, user_errors
from windowner.config import help_of

app = make_app(
    "Train a window-based NER model (CS224N lecture 3) on CoNLL data. Flags override the config "
    "file, which overrides the defaults (those of configs/conll2003.toml); any other setting is "
    "changed with --set SECTION.KEY=VALUE, every key listed in configs/conll2003.toml."
)

EXIT_INTERRUPTED = 130  # what shells report for a process stopped by SIGINT


@app.command()
def main(
    config: Annotated[
        Optional[Path], typer.Option(help="TOML config file (e.g. configs/conll2003.toml).")
    ] = None,
    train: Annotated[Optional[str], typer.Option(help=help_of("data.train"))] = None,
    dev: Annotated[Optional[str], typer.Option(help=help_of("data.dev"))] = None,
    test: Annotated[Optional[str], typer.Option(help=help_of("data.test"))] = None,
    vectors: Annotated[Optional[str], typer.Option(help=help_of("vectors.spec"))] = None,
    out: Annotated[Optional[str], typer.Option(help=help_of("out"))] = None,
    epochs: Annotated[Optional[int], typer.Option(help=help_of("training.epochs"))] = None,
    seed: Annotated[Optional[int], typer.Option(help=help_of("training.seed"))] = None,
    init: Annotated[Optional[str], typer.Option(help=help_of("training.init"))] = None,
    seeds: Annotated[
        Optional[str],
        typer.Option(help="Train one model per seed (e.g. 0,1,2) into OUT/seed-N; mean ± sd."),
    ] = None,
    ensemble: Annotated[
        bool,
        typer.Option(
            help="With --seeds: also join the seeds' best models into OUT/model.npz, which "
            "averages their probabilities."
        ),
    ] = False,
    set_: Annotated[
        Optional[list[str]],
        typer.Option("--set", help="Set any config key: --set training.lr=0.1 (repeatable)."),
    ] = None,
    resume: Annotated[
        Optional[Path],
        typer.Option(help="Continue the interrupted run in this folder (takes no other option)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace a model already in --out.")] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Print only the last line (best epoch: dev F1, test F1; model in OUT/model.npz); "
            "with --seeds, only the summary.",
        ),
    ] = False,
) -> None:
    """Train, select the best epoch on dev, report test.

    SIGINT (Ctrl-C) or SIGTERM save a checkpoint and exit 130; --resume continues from it.
    """
    one_blas_thread()
    with user_errors():
        from windowner.config import given_keys, load_config, parse_assignment
        from windowner.errors import UserError
        from windowner.training.loop import Interrupted
        from windowner.training.multiseed import train_seeds
        from windowner.training.run import resume as resume_training
        from windowner.training.run import train as run_training
        from windowner.training.run_folder import refuse_own_config

        log = (lambda _: None) if quiet else (lambda line: print(line, flush=True))
        flags = {
            "data.train": train,
            "data.dev": dev,
            "data.test": test,
            "vectors.spec": vectors,
            "out": out,
            "training.epochs": epochs,
            "training.seed": seed,
            "training.init": init,
        }
        given = {key: value for key, value in flags.items() if value is not None}
        try:
            if resume is not None:
                if init is not None:
                    raise UserError(
                        "--init starts a new run from a model, --resume continues an "
                        "interrupted run: give one of them"
                    )
                if given or set_ or config or seeds or ensemble:
                    raise UserError(
                        "--resume continues a run as it was configured: give no other settings"
                    )
                result = resume_training(resume, log=log, progress=not quiet)
                _report(result, quiet)
                return
            overrides = dict(parse_assignment(item) for item in set_ or [])
            twice = sorted(overrides.keys() & given.keys())
            if twice:
                raise UserError(f"'{twice[0]}' is set twice, by its flag and by --set")
            overrides.update(given)
            resolved = load_config(config, overrides)
            # With --init the model fixes the architecture: what the user set must agree.
            keys = given_keys(config, overrides) if resolved.training.init else None
            if ensemble and seeds is None:
                raise UserError("--ensemble joins the models of --seeds: give --seeds too")
            if seeds is not None and "training.seed" in overrides:
                how = "--seed" if seed is not None else "--set training.seed"
                raise UserError(f"--seeds sets the seed of each model: give {how} or --seeds")
            if seeds is None:
                refuse_own_config(config, resolved.out)
            else:
                seed_list = _seed_list(seeds)
                for each in seed_list:
                    refuse_own_config(config, Path(resolved.out) / f"seed-{each}")
                summary = train_seeds(
                    resolved,
                    seed_list,
                    force=force,
                    log=log,
                    progress=not quiet,
                    ensemble=ensemble,
                    given=keys,
                )
                print(summary.describe())
                return
            result = run_training(resolved, force=force, log=log, progress=not quiet, given=keys)
            _report(result, quiet)
        except Interrupted as interrupted:
            print(f"interrupted by {interrupted}", flush=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None


def _seed_list(text: str) -> list[int]:
    from windowner.errors import UserError

    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UserError(f"--seeds expects comma-separated integers, got {quoted(text)}") from None
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise UserError(f"--seeds expects distinct non-negative integers, got {quoted(text)}")
    return seeds


def _report(result, quiet: bool) -> None:
    """The closing table (best epoch, dev and test P/R/F1 per type), the curves' path, and the
    one line --quiet keeps."""
    if not quiet:
        from windowner.evaluation.conlleval import format_summary_table

        print()
        print(f"best epoch {result.best_epoch}")
        print(format_summary_table({"dev": result.dev, "test": result.test}), end="")
        if result.curves is not None:
            print(f"training curves: {result.curves}")
    summary = f"best epoch {result.best_epoch}: dev F1 {result.dev.f1:.4f}"
    if result.test is not None:
        summary += f", test F1 {result.test.f1:.4f}"
    print(f"{summary}; model in {result.out / 'model.npz'}")


def run() -> None:
    app()
