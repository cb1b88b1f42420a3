"""`ner-eval`: score a model on labelled CoNLL data, exactly as conlleval would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from windowner.cli.common import make_app, user_errors

app = make_app("Score a model on labelled CoNLL data (entity-level, as conlleval computes it).")


@app.command()
def main(
    model: Annotated[Path, typer.Argument(help="Model file (.npz) written by ner-train.")],
    data: Annotated[
        str,
        typer.Argument(help="Labelled data: CoNLL file, hf:NAME[@SPLIT], parquet/jsonl/arrow."),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    decode: Annotated[
        Optional[str],
        typer.Option(
            help="viterbi, greedy, or both (a report for each); default: the model's own."
        ),
    ] = None,
    output: Annotated[
        Optional[Path],
        typer.Option(help="Write 'token gold predicted' lines that conlleval can re-score."),
    ] = None,
    out_scheme: Annotated[
        str, typer.Option(help="Tag scheme of --output: iob2, iob1, iobes, bilou or io.")
    ] = "iob2",
    columns: Annotated[
        Optional[str], typer.Option(help="TOKEN,TAG columns (numbers, or dataset names).")
    ] = None,
    delimiter: Annotated[str, typer.Option(help="whitespace, or tab.")] = "whitespace",
    scheme: Annotated[str, typer.Option(help="Tag scheme of DATA, or auto.")] = "auto",
) -> None:
    """Entity-level precision, recall and F1 (overall and per type) and token accuracy."""
    with user_errors():
        from windowner.data.sources import parse_columns, read_corpus
        from windowner.data.tags import resolve_scheme
        from windowner.errors import UserError
        from windowner.evaluation.conlleval import TokenScores, format_report, format_token_report
        from windowner.evaluation.evaluate import evaluate, write_predictions
        from windowner.model_file import load_model
        from windowner.tagging.decoding import DECODERS

        loaded = load_model(model)
        try:
            out_scheme = resolve_scheme(out_scheme)
        except ValueError as error:
            raise UserError(f"--out-scheme: {error}") from None
        corpus = read_corpus(
            data,
            split="test",
            columns=parse_columns(columns) if columns else None,
            delimiter=delimiter,
            scheme=scheme,
        )
        decoders = DECODERS if decode == "both" else (decode,)
        results = {name: evaluate(loaded, corpus, name) for name in decoders}
        if output is not None:
            _, predicted = results[decoders[-1]]
            write_predictions(output, corpus, predicted, out_scheme)
        if as_json:
            if decode == "both":
                print(json.dumps({name: scores.to_dict() for name, (scores, _) in results.items()}))
            else:
                print(json.dumps(results[decode][0].to_dict()))
            return
        for name, (scores, _) in results.items():
            if decode == "both":
                print(f"== {name} decoding")
            report = format_token_report if isinstance(scores, TokenScores) else format_report
            print(report(scores), end="")


def run() -> None:
    app()
