"""`ner-vectors`: the lecture's intrinsic evaluation of word vectors, and exploring them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from windowner.choices import DEFAULT_VECTORS
from windowner.cli.common import json_text, make_app, user_errors

app = make_app("Evaluate and explore word vectors: analogies, word similarity, nearest neighbours.")

VectorsOption = Annotated[
    Optional[str],
    typer.Option(
        help=f"'{DEFAULT_VECTORS}' (default), a GloVe/word2vec/gensim file, or gensim:NAME."
    ),
]
ModelOption = Annotated[
    Optional[Path],
    typer.Option(help="A model (.npz) from ner-train: use its fine-tuned embeddings."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
JsonListOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON array of {word, cosine} objects.")
]


def _load(vectors: str | None, model: Path | None):
    """The vectors to work on: --model's fine-tuned embeddings, else --vectors."""
    from windowner.errors import UserError
    from windowner.evaluation.intrinsic import model_vectors
    from windowner.vectors.loading import load_vectors

    if vectors is not None and model is not None:
        raise UserError("give --vectors or --model, not both")
    if model is not None:
        return model_vectors(model)[0]
    return load_vectors(vectors or DEFAULT_VECTORS)


@app.command("eval")
def evaluate(
    vectors: VectorsOption = None,
    model: ModelOption = None,
    compare: Annotated[
        bool,
        typer.Option(help="With --model: pretrained and fine-tuned side by side, same words."),
    ] = False,
    max_vectors: Annotated[
        Optional[int], typer.Option(help="Search only the N most frequent words (default: all).")
    ] = None,
    analogies: Annotated[
        Optional[Path], typer.Option(help="Analogy file (default: gensim's questions-words.txt).")
    ] = None,
    wordsim: Annotated[
        Optional[Path], typer.Option(help="Word pairs (default: gensim's wordsim353.tsv).")
    ] = None,
    simlex: Annotated[
        Optional[Path], typer.Option(help="Word pairs (default: gensim's simlex999.txt).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Analogy accuracy (total and per section) and WordSim353 / SimLex-999 Spearman ρ."""
    with user_errors():
        from windowner.errors import UserError
        from windowner.evaluation.intrinsic import aligned, evaluate, format_report, model_vectors
        from windowner.vectors.loading import load_vectors

        if max_vectors is not None and max_vectors < 1:
            raise UserError("--max-vectors must be at least 1")
        files = {"analogies": analogies, "wordsim353": wordsim, "simlex999": simlex}
        if compare:
            if model is None or vectors is not None:
                raise UserError("--compare needs --model (and takes its pretrained vectors)")
            tuned, spec = model_vectors(model)
            if spec is None:
                raise UserError("does not record its pretrained vectors", model)
            pairs = aligned(load_vectors(spec), tuned)
            labels = ["pretrained", "fine-tuned"]
        else:
            pairs = (_load(vectors, model),)
            labels = [pairs[0].spec]
        reports = [evaluate(v, max_words=max_vectors, **files) for v in pairs]
        if as_json:
            if compare:
                out = {"pretrained": reports[0].to_dict(), "fine_tuned": reports[1].to_dict()}
            else:
                out = reports[0].to_dict()
            print(json_text(out))
        else:
            print(format_report(reports, labels), end="")


@app.command()
def neighbors(
    word: Annotated[str, typer.Argument(help="The word whose neighbours to list.")],
    vectors: VectorsOption = None,
    model: ModelOption = None,
    top: Annotated[int, typer.Option(help="How many neighbours (at least 1).")] = 10,
    as_json: JsonListOption = False,
) -> None:
    """The words nearest WORD by cosine similarity."""
    with user_errors():
        from windowner.evaluation.space import Space
        from windowner.evaluation.space import neighbors as nearest

        _check_top(top)
        found = nearest(Space.of(_load(vectors, model)), word, top)
        _print(found, as_json)


@app.command()
def analogy(
    a: Annotated[str, typer.Argument(help="a in a : b :: c : ?")],
    b: Annotated[str, typer.Argument(help="b")],
    c: Annotated[str, typer.Argument(help="c")],
    vectors: VectorsOption = None,
    model: ModelOption = None,
    top: Annotated[int, typer.Option(help="How many answers (at least 1).")] = 5,
    as_json: JsonListOption = False,
) -> None:
    """a : b :: c : ? by 3CosAdd (argmax cos(w, b − a + c), the three words excluded)."""
    with user_errors():
        from windowner.evaluation.space import Space
        from windowner.evaluation.space import analogy as solve

        _check_top(top)
        _print(solve(Space.of(_load(vectors, model)), a, b, c, top), as_json)


def _check_top(top: int) -> None:
    """--top must ask for at least one word (before any vectors are loaded)."""
    if top < 1:
        from windowner.errors import UserError

        raise UserError(f"--top must be at least 1, got {top}")


def _print(found: list[tuple[str, float]], as_json: bool) -> None:
    if as_json:
        print(json_text([{"word": w, "cosine": round(s, 6)} for w, s in found]))
    else:
        for word, cosine in found:
            print(f"{cosine:.4f}  {word}")


def run() -> None:
    app()
