"""What `ner-eval` reports: scores per decoding, predictions and error analyses, as one object.

    report = evaluate_report(model, corpus, decode="both", errors=True)
    print(report.to_text(), end="")                # conlleval's report, then the --errors tables
    json.dumps(report.to_dict())                   # what --json prints
    report.write_html("errors.html", "my model")   # what --html writes
    report.write_predictions("predicted.txt")      # what --output writes (one decoding only)

The checks of the user's choices live here too (check_decode, check_errors, check_out_scheme),
so that the API and the command refuse the same things with the same messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from windowner.atomic import atomic_write
from windowner.choices import DECODERS, quoted
from windowner.data.conll import Corpus
from windowner.data.tags import resolve_scheme
from windowner.errors import UserError
from windowner.evaluation.conlleval import Scores, TokenScores, format_report, format_token_report
from windowner.evaluation.errors import ErrorAnalysis, analyse, format_errors
from windowner.evaluation.evaluate import evaluate, write_predictions
from windowner.evaluation.html import evaluation_page
from windowner.model_file import Model

BOTH = "both"
DECODINGS = (*DECODERS, BOTH)  # what `decode` may be, besides None (the model's own)
ONLY_TYPE_REFUSED = "--errors and --html need a model of entities, not an --only-type one"


def check_decode(decode: str | None, output: bool = False) -> None:
    """A UserError unless `decode` is None or one of DECODINGS; also for "both" when one
    prediction per token is to be written (`output`)."""
    if decode is not None and decode not in DECODINGS:
        listed = ", ".join(DECODINGS)
        raise UserError(f"--decode: unknown decoding {quoted(decode)}; choose from {listed}")
    if decode == BOTH and output:
        raise UserError(
            "--output writes one prediction per token: with --decode both, give --decode "
            "greedy or --decode viterbi"
        )


def check_errors(model: Model) -> None:
    """A UserError for an --only-type model: its yes/no decisions have no types to confuse."""
    if model.only_type:
        raise UserError(ONLY_TYPE_REFUSED)


def check_out_scheme(scheme: str) -> str:
    """The canonical name of the tag scheme predictions are written in, or a UserError."""
    try:
        return resolve_scheme(scheme)
    except ValueError as error:
        raise UserError(f"--out-scheme: {error}") from None


@dataclass(frozen=True)
class Decoding:
    """One decoding's scores and predicted tags, and its error analysis when asked for.

    `name` is "greedy", "viterbi" or None (the model's own). Shapes: predicted[i] (n_i,).
    """

    name: str | None
    scores: Scores | TokenScores
    predicted: list[list[str]]
    errors: ErrorAnalysis | None = None

    def to_text(self) -> str:
        """conlleval's report (token-level for an --only-type model), then the error tables."""
        scores = self.scores
        text = (
            format_token_report(scores)
            if isinstance(scores, TokenScores)
            else format_report(scores)
        )
        if self.errors is not None:
            text += "\n" + format_errors(self.errors)
        return text

    def to_dict(self) -> dict:
        """The scores' JSON object, with "errors" in it when analysed."""
        found = self.scores.to_dict()
        if self.errors is not None:
            found["errors"] = self.errors.to_dict()
        return found


@dataclass(frozen=True)
class Report:
    """Every decoding asked for, in DECODERS order, on one corpus.

    `decode` is what was asked: None (the model's own), a decoder, or "both" (one Decoding per
    decoder). Files are written from the last decoding: Viterbi's with "both".
    """

    corpus: Corpus
    decode: str | None
    decodings: tuple[Decoding, ...]

    @property
    def scores(self) -> Scores | TokenScores:
        """The scores of the last decoding (the only one unless decode is "both")."""
        return self.decodings[-1].scores

    def to_text(self) -> str:
        """What ner-eval prints: each decoding's report, under a `== NAME decoding` line with
        decode "both"."""
        both = self.decode == BOTH
        return "".join(
            (f"== {d.name} decoding\n" if both else "") + d.to_text() for d in self.decodings
        )

    def to_dict(self) -> dict:
        """What ner-eval --json prints: one decoding's object, or {NAME: object} with "both"."""
        if self.decode == BOTH:
            return {d.name: d.to_dict() for d in self.decodings}
        return self.decodings[-1].to_dict()

    def html_page(self, title: str) -> str:
        """The page of gold and predicted entities, errors marked, of the last decoding; its
        name, when one was asked for, follows `title` in brackets."""
        decoding = self.decodings[-1]
        if isinstance(decoding.scores, TokenScores):
            raise UserError(ONLY_TYPE_REFUSED)
        tokens = [s.tokens for s in self.corpus.sentences]
        gold = [s.tags for s in self.corpus.sentences]
        analysis = decoding.errors or analyse(tokens, gold, decoding.predicted)
        if decoding.name:
            title += f" ({decoding.name})"
        return evaluation_page(title, tokens, gold, decoding.predicted, analysis)

    def write_html(self, path: str | Path, title: str) -> None:
        """Write html_page(title) to `path`, atomically."""
        page = self.html_page(title)
        with atomic_write(path, "w") as f:
            f.write(page)

    def write_predictions(self, path: str | Path, scheme: str = "iob2") -> None:
        """Write 'token gold predicted' lines in `scheme` that conlleval re-scores to the same
        figures (one decoding: not with decode "both"). Written atomically."""
        check_decode(self.decode, output=True)
        write_predictions(path, self.corpus, self.decodings[-1].predicted, check_out_scheme(scheme))


def evaluate_report(
    model: Model, corpus: Corpus, decode: str | None = None, errors: bool = False
) -> Report:
    """Predict and score `corpus` with each decoding `decode` asks for (None: the model's own,
    "greedy", "viterbi" or "both") and, with `errors`, classify every entity (evaluation.errors).

    Raises UserError for an unknown decoding, and for `errors` with an --only-type model.
    """
    check_decode(decode)
    if errors:
        check_errors(model)
    names = DECODERS if decode == BOTH else (decode,)
    tokens = [s.tokens for s in corpus.sentences]
    gold = [s.tags for s in corpus.sentences]
    decodings = []
    for name in names:
        scores, predicted = evaluate(model, corpus, name)
        analysis = analyse(tokens, gold, predicted) if errors else None
        decodings.append(Decoding(name, scores, predicted, analysis))
    return Report(corpus, decode, tuple(decodings))
