"""`ner-gradcheck`: the hand-derived gradients against numerical differences, as a command."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from windowner.cli.common import make_app, user_errors

app = make_app("Check every backward pass against centred numerical differences in float64.")

TOLERANCE = 1e-6
# Each (activation, head) is checked as trained by default, and again with dropout on x and h
# and L2 weight decay, the training-time terms that change the gradients.
VARIANTS = {"plain": ((0.0, 0.0), 0.0), "dropout+l2": ((0.25, 0.25), 0.01)}
COLUMNS = ("E", "C", "W", "b", "W[value]", "W[gate]", "b[value]", "b[gate]", "U", "c")


@app.command()
def main(
    activation: Annotated[str, typer.Option(help="An activation name, or 'all'.")] = "all",
    head: Annotated[str, typer.Option(help="softmax, sigmoid or 'all'.")] = "all",
    leak: Annotated[float, typer.Option(help="Slope of leaky_relu for z < 0.")] = 0.01,
    beta: Annotated[float, typer.Option(help="β of swish and swiglu.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed of the test network and batch.")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per (activation, head).")
    ] = False,
) -> None:
    """Largest relative error per parameter, rel = max|a−b| / max(1e-8, |a|+|b|); exit 1 if any
    exceeds 1e-6. Covers W, b, U, c, the gate weights of gated units, the embedding rows (a word
    repeated in the batch) and casing rows, plus each activation against its own forward; each
    (activation, head) plain and with dropout on x and h plus L2 weight decay."""
    with user_errors():
        from windowner.errors import UserError
        from windowner.model.activations import ACTIVATIONS
        from windowner.model.gradcheck import check_case
        from windowner.model.network import HEADS

        activations = _choose(activation, ACTIVATIONS, "activation")
        heads = _choose(head, HEADS, "head")
        params = {"leak": leak, "beta": beta}
        worst = 0.0
        if not as_json:
            print(_row("activation", "head", "variant", [*COLUMNS, "f", "max"]))
        for name in activations:
            kwargs = {k: v for k, v in params.items() if k in _hyperparameters(name)}
            for head_name in heads:
                for variant, (dropout, weight_decay) in VARIANTS.items():
                    try:
                        errors = check_case(name, head_name, seed, dropout, weight_decay, **kwargs)
                    except ValueError as error:
                        raise UserError(str(error)) from None
                    errors["f"] = errors.pop("activation")
                    largest = max(errors.values())
                    worst = max(worst, largest)
                    if as_json:
                        record = {"activation": name, "head": head_name, "variant": variant}
                        record.update(kwargs, max_rel_error=errors, passed=largest < TOLERANCE)
                        print(json.dumps(record))
                    else:
                        cells = [_cell(errors.get(column)) for column in (*COLUMNS, "f")]
                        print(_row(name, head_name, variant, [*cells, _cell(largest)]))
        if not as_json:
            verdict = "all below" if worst < TOLERANCE else "FAILED: above"
            print(f"largest relative error {worst:.1e}: {verdict} {TOLERANCE:g}")
        if worst >= TOLERANCE:
            raise typer.Exit(1)


def _choose(value: str, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    from windowner.errors import UserError

    if value == "all":
        return known
    if value not in known:
        raise UserError(f"unknown {what} '{value}'; choose from all, {', '.join(known)}")
    return (value,)


def _hyperparameters(name: str) -> set[str]:
    return {"leaky_relu": {"leak"}, "swish": {"beta"}, "swiglu": {"beta"}}.get(name, set())


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


def _row(name: str, head: str, variant: str, cells: list[str]) -> str:
    return f"{name:<12} {head:<8} {variant:<10} " + " ".join(f"{cell:>8}" for cell in cells)


def run() -> None:
    app()
