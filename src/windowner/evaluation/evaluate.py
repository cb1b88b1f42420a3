"""Score a model on labelled data: predict every sentence, then score the predictions."""

from __future__ import annotations

import re
from pathlib import Path

from windowner.atomic import atomic_write
from windowner.choices import quoted
from windowner.data.conll import Corpus
from windowner.data.tags import OUTSIDE, convert, parse_tag
from windowner.errors import UserError
from windowner.evaluation.conlleval import Scores, TokenScores, score, score_tokens
from windowner.model_file import Model
from windowner.tagging.predict import predict_tags

# What ends a column or a line for conlleval.pl, str.split() and read_conll.
_WHITESPACE = re.compile(r"\s")


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
    file conlleval.pl re-scores to the same figures. Written atomically, once every token is
    known to fit in a line (check_output_tokens)."""
    check_output_tokens(corpus)
    with atomic_write(path, "w", encoding="utf-8") as f:
        for sentence, tags in zip(corpus.sentences, predicted, strict=True):
            gold = convert(list(sentence.tags), scheme)
            for token, gold_tag, tag in zip(
                sentence.tokens, gold, convert(tags, scheme), strict=True
            ):
                f.write(f"{token} {gold_tag} {tag}\n")
            f.write("\n")


def check_output_tokens(corpus: Corpus) -> None:
    """Refuse, with a UserError naming the first, a token that 'token gold predicted' lines
    cannot hold: one with whitespace in it (a tab-delimited file's, a dataset's) would be read
    back by conlleval.pl, and by read_conll, as several columns or lines. conlleval has no
    escape for it, so nothing is written rather than a file that scores differently."""
    for number, sentence in enumerate(corpus.sentences, start=1):
        for token in sentence.tokens:
            if _WHITESPACE.search(token):
                raise UserError(
                    f"--output writes whitespace-separated 'token gold predicted' lines, but "
                    f"token {quoted(token)} of sentence {number:,} holds whitespace"
                )
