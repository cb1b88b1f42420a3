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
        Optional[str], typer.Option(help="viterbi or greedy; default: the model's own.")
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
        scores, predicted = evaluate(loaded, corpus, decode)
        if output is not None:
            with atomic_write(output, "w", encoding="utf-8") as f:
                for sentence, tags in zip(corpus.sentences, predicted, strict=True):
                    for token, gold_tag, tag in zip(
                        sentence.tokens, sentence.tags, tags, strict=True
                    ):
                        f.write(f"{token} {gold_tag} {tag}\n")
                    f.write("\n")
        if as_json:
            print(json.dumps(scores.to_dict()))
        elif isinstance(scores, TokenScores):
            print(format_token_report(scores), end="")
        else:
            print(format_report(scores), end="")


def run() -> None:
    app()
