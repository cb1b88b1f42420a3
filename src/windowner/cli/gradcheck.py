"""`ner-gradcheck`: the hand-derived gradients against numerical differences, as a command."""

from __future__ import annotations

from typing import Annotated

import typer

from windowner.choices import DEFAULT_BETA, DEFAULT_LEAK, quoted
from windowner.cli.common import json_text, make_app, user_errors

app = make_app("Check every backward pass against centred numerical differences in float64.")

COLUMNS = (
    *("E", "C", "P", "S", "K", "D", "Q", "L", "R", "W", "b"),
    *("W[value]", "W[gate]", "b[value]", "b[gate]", "U", "c", "A", "a0"),
)


@app.command()
def main(
    activation: Annotated[str, typer.Option(help="An activation name, or 'all'.")] = "all",
    head: Annotated[str, typer.Option(help="softmax, sigmoid or 'all'.")] = "all",
    leak: Annotated[float, typer.Option(help="Slope of leaky_relu for z < 0.")] = DEFAULT_LEAK,
    beta: Annotated[float, typer.Option(help="β of swish and swiglu.")] = DEFAULT_BETA,
    seed: Annotated[int, typer.Option(help="Random seed of the test network and batch.")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line, one per checked case.")
    ] = False,
) -> None:
    """Largest relative error per parameter, rel = max|a−b| / max(1e-8, |a|+|b|); exit 1 if any
    exceeds 1e-6. Covers W, b, U, c, the gate weights of gated units, the embedding rows (a word
    repeated in the batch), casing rows and the feature tables (prefixes P, suffixes S, shapes K,
    document context D, word clusters Q, lexicon matches L, document prior R), plus each
    activation against its own forward; each (activation, head) plain and with dropout on x and
    h plus L2 weight decay,
    and each activation under the sentence objective (transitions A, start scores a0)."""
    with user_errors():
        from windowner.errors import UserError
        from windowner.model.activations import ACTIVATIONS
        from windowner.model.gradcheck import TOLERANCE, each_check
        from windowner.model.network import HEADS

        checks = each_check(
            _choose(activation, ACTIVATIONS, "activation"),
            _choose(head, HEADS, "head"),
            seed,
            leak=leak,
            beta=beta,
        )
        results = []
        while True:  # each row printed as soon as its case is checked (all take ~20 s)
            try:
                r = next(checks, None)
            except ValueError as error:
                raise UserError(str(error)) from None
            if r is None:
                break
            if as_json:
                record = {"activation": r.activation, "head": r.head, "variant": r.variant}
                record.update(r.hyperparameters, max_rel_error=r.errors, passed=r.passed)
                print(json_text(record), flush=True)
            else:
                if not results:
                    print(_row("activation", "head", "variant", [*COLUMNS, "f", "max"]))
                errors = {**r.errors, "f": r.errors["activation"]}
                cells = [_cell(errors.get(column)) for column in (*COLUMNS, "f")]
                print(_row(r.activation, r.head, r.variant, [*cells, _cell(r.largest)]), flush=True)
            results.append(r)
        if not as_json:
            worst = max(r.largest for r in results)
            verdict = "all below" if worst < TOLERANCE else "FAILED: above"
            print(f"largest relative error {worst:.1e}: {verdict} {TOLERANCE:g}")
        if not all(r.passed for r in results):
            raise typer.Exit(1)


def _choose(value: str, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    from windowner.errors import UserError

    if value == "all":
        return known
    if value not in known:
        raise UserError(f"unknown {what} {quoted(value)}; choose from all, {', '.join(known)}")
    return (value,)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


def _row(name: str, head: str, variant: str, cells: list[str]) -> str:
    return f"{name:<12} {head:<8} {variant:<10} " + " ".join(f"{cell:>8}" for cell in cells)


def run() -> None:
    app()
