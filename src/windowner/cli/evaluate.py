"""`ner-eval`: score a model on labelled CoNLL data, exactly as conlleval would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from windowner.choices import DECODERS, DELIMITERS, SCHEMES, listed
from windowner.cli.common import make_app, user_errors

app = make_app("Score a model on labelled CoNLL data (entity-level, as conlleval computes it).")


@app.command()
def main(
    model: Annotated[Path, typer.Argument(help="Model file (.npz) written by ner-train.")],
    data: Annotated[
        str,
        typer.Argument(
            help="Labelled data: CoNLL file ('-': stdin), spaCy .spacy, hf:NAME[@SPLIT], "
            "parquet/jsonl/arrow."
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print one JSON object (with --decode both, one per decoding in it)."
        ),
    ] = False,
    decode: Annotated[
        Optional[str],
        typer.Option(
            help=f"{', '.join(DECODERS)}, or both (a report for each); default: the model's own."
        ),
    ] = None,
    output: Annotated[
        Optional[Path],
        typer.Option(
            help="Write 'token gold predicted' lines that conlleval can re-score (one "
            "decoding: not with --decode both)."
        ),
    ] = None,
    out_scheme: Annotated[
        str, typer.Option(help=f"Tag scheme of --output: {listed(SCHEMES)}.")
    ] = "iob2",
    columns: Annotated[
        Optional[str], typer.Option(help="TOKEN,TAG columns (numbers, or dataset names).")
    ] = None,
    document_column: Annotated[
        Optional[str],
        typer.Option(
            help="A table's column of document ids: consecutive rows of one id are one "
            "document (default: each row is one)."
        ),
    ] = None,
    delimiter: Annotated[str, typer.Option(help=f"{listed(DELIMITERS)}.")] = "whitespace",
    scheme: Annotated[str, typer.Option(help="Tag scheme of DATA, or auto.")] = "auto",
    errors: Annotated[
        bool,
        typer.Option(
            "--errors",
            help="Classify every entity (correct, wrong type, wrong boundary, missed or "
            "spurious), with a type confusion matrix and the most often missed and spurious.",
        ),
    ] = False,
    html: Annotated[
        Optional[Path],
        typer.Option(help="Write an HTML page of gold and predicted entities, errors marked."),
    ] = None,
) -> None:
    """Entity-level precision, recall and F1 (overall and per type) and token accuracy."""
    with user_errors():
        from windowner.atomic import refuse_inputs
        from windowner.data.sources import parse_columns, read_corpus
        from windowner.evaluation.evaluate import check_output_tokens
        from windowner.evaluation.report import (
            check_decode,
            check_errors,
            check_out_scheme,
            evaluate_report,
        )
        from windowner.model_file import load_model

        check_decode(decode, output=output is not None)
        inputs = {"model": model, "gold data": data}
        refuse_inputs(output, inputs)
        refuse_inputs(html, {**inputs, "--output file": output})
        loaded = load_model(model)
        if errors or html is not None:
            check_errors(loaded)
        out_scheme = check_out_scheme(out_scheme)
        corpus = read_corpus(
            data,
            split="test",
            columns=parse_columns(columns) if columns else None,
            delimiter=delimiter,
            scheme=scheme,
            document_column=document_column,
        )
        if output is not None:
            check_output_tokens(corpus)  # before the model runs and the page is written
        report = evaluate_report(loaded, corpus, decode, errors)
        if html is not None:
            report.write_html(html, f"windowner: {Path(model).name} on {data}")
        if output is not None:
            report.write_predictions(output, out_scheme)
        if as_json:
            print(json.dumps(report.to_dict()))
        else:
            print(report.to_text(), end="")


def run() -> None:
    app()
