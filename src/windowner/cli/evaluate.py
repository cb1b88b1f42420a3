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
    data: Annotated[Path, typer.Argument(help="Labelled CoNLL file.")],
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
) -> None:
    """Entity-level precision, recall and F1 (overall and per type) and token accuracy."""
    with user_errors():
        from windowner.atomic import atomic_write
        from windowner.conll import read_conll
        from windowner.evaluation import TokenScores, format_report, format_token_report
        from windowner.model_file import load_model
        from windowner.scoring import evaluate

        loaded = load_model(model)
        corpus = read_conll(data)
        decoders = ("greedy", "viterbi") if decode == "both" else (decode,)
        results = {name: evaluate(loaded, corpus, name) for name in decoders}
        if output is not None:
            _, predicted = results[decoders[-1]]
            with atomic_write(output, "w", encoding="utf-8") as f:
                for sentence, tags in zip(corpus.sentences, predicted, strict=True):
                    for token, gold_tag, tag in zip(
                        sentence.tokens, sentence.tags, tags, strict=True
                    ):
                        f.write(f"{token} {gold_tag} {tag}\n")
                    f.write("\n")
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
