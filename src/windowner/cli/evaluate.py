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
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print one JSON object (with --decode both, one per decoding in it)."
        ),
    ] = False,
    decode: Annotated[
        Optional[str],
        typer.Option(
            help="viterbi, greedy, or both (a report for each); default: the model's own."
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
        str, typer.Option(help="Tag scheme of --output: iob2, iob1, iobes, bilou or io.")
    ] = "iob2",
    columns: Annotated[
        Optional[str], typer.Option(help="TOKEN,TAG columns (numbers, or dataset names).")
    ] = None,
    delimiter: Annotated[str, typer.Option(help="whitespace, or tab.")] = "whitespace",
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
        from windowner.atomic import atomic_write, refuse_inputs
        from windowner.data.sources import parse_columns, read_corpus
        from windowner.data.tags import resolve_scheme
        from windowner.errors import UserError
        from windowner.evaluation.conlleval import TokenScores, format_report, format_token_report
        from windowner.evaluation.errors import analyse, format_errors
        from windowner.evaluation.evaluate import evaluate, write_predictions
        from windowner.evaluation.html import evaluation_page
        from windowner.model.decoding import DECODERS
        from windowner.model_file import load_model

        choices = (*DECODERS, "both")
        if decode is not None and decode not in choices:
            listed = ", ".join(choices)
            raise UserError(f"--decode: unknown decoding '{decode}'; choose from {listed}")
        if decode == "both" and output is not None:
            raise UserError(
                "--output writes one prediction per token: with --decode both, give --decode "
                "greedy or --decode viterbi"
            )
        inputs = {"model": model, "gold data": data}
        refuse_inputs(output, inputs)
        refuse_inputs(html, {**inputs, "--output file": output})
        loaded = load_model(model)
        if (errors or html is not None) and loaded.only_type:
            raise UserError("--errors and --html need a model of entities, not an --only-type one")
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
        tokens = [s.tokens for s in corpus.sentences]
        gold_tags = [s.tags for s in corpus.sentences]
        analyses = {
            name: analyse(tokens, gold_tags, predicted)
            for name, (_, predicted) in results.items()
            if errors or html is not None
        }
        if html is not None:
            name = decoders[-1]
            title = f"windowner: {Path(model).name} on {data}" + (f" ({name})" if name else "")
            page = evaluation_page(title, tokens, gold_tags, results[name][1], analyses[name])
            with atomic_write(html, "w") as f:
                f.write(page)
        if output is not None:
            _, predicted = results[decoders[-1]]
            write_predictions(output, corpus, predicted, out_scheme)
        if as_json:
            found = {name: scores.to_dict() for name, (scores, _) in results.items()}
            if errors:
                for name, analysis in analyses.items():
                    found[name]["errors"] = analysis.to_dict()
            print(json.dumps(found if decode == "both" else found[decode]))
            return
        for name, (scores, _) in results.items():
            if decode == "both":
                print(f"== {name} decoding")
            report = format_token_report if isinstance(scores, TokenScores) else format_report
            print(report(scores), end="")
            if errors:
                print("\n" + format_errors(analyses[name]), end="")


def run() -> None:
    app()
