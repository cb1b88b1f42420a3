"""Score a model on labelled data: predict every sentence, then score the predictions."""

from __future__ import annotations

from pathlib import Path

from windowner.atomic import atomic_write
from windowner.data.conll import Corpus
from windowner.data.tags import OUTSIDE, convert, parse_tag
from windowner.evaluation.conlleval import Scores, TokenScores, score, score_tokens
from windowner.model_file import Model
from windowner.tagging.predict import predict_tags


def evaluate(
    model: Model, corpus: Corpus, decode: str | None = None
) -> tuple[Scores | TokenScores, list[list[str]]]:
    """The scores and the predicted tags: entity-level scores as conlleval computes them, or,
    for an --only-type model, token-level scores of its yes/no decision."""
    sentences = corpus.sentences
    predicted = predict_tags(
        model, [s.tokens for s in sentences], decode, [s.document for s in sentences]
    )
    only_type = model.only_type
    if only_type:
        gold = [parse_tag(t)[1] == only_type for s in corpus.sentences for t in s.tags]
        predicted_yes = [t != OUTSIDE for ts in predicted for t in ts]
        return score_tokens(only_type, gold, predicted_yes), predicted
    return score([s.tags for s in corpus.sentences], predicted), predicted


def write_predictions(
    path: str | Path, corpus: Corpus, predicted: list[list[str]], scheme: str = "iob2"
) -> None:
    """Write 'token gold predicted' lines, a blank line after each sentence, in `scheme`: the
    file conlleval.pl re-scores to the same figures. Written atomically."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        for sentence, tags in zip(corpus.sentences, predicted, strict=True):
            gold = convert(list(sentence.tags), scheme)
            for token, gold_tag, tag in zip(
                sentence.tokens, gold, convert(tags, scheme), strict=True
            ):
                f.write(f"{token} {gold_tag} {tag}\n")
            f.write("\n")
