"""Entity-level precision, recall and F1 exactly as conlleval.pl computes them, and its report.

A chunk counts as correct only if its start, end and type all match a gold chunk. Chunks are read
per sentence with conlleval's rules (windowner.data.tags.spans), so IOB1 and IOB2 tags give the same
entity scores.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from windowner.data.tags import spans


@dataclass(frozen=True)
class TypeScores:
    """Scores of one entity type; precision, recall and f1 are fractions in [0, 1]."""

    precision: float
    recall: float
    f1: float
    found: int  # predicted chunks of this type
    gold: int  # gold chunks of this type (the "support")
    correct: int  # predicted chunks that match a gold chunk exactly


@dataclass(frozen=True)
class Scores:
    """Overall and per-type scores of one evaluation; ratios are fractions in [0, 1]."""

    precision: float
    recall: float
    f1: float
    found: int
    gold: int
    correct: int
    token_accuracy: float  # share of tokens whose gold and predicted tags are identical
    tokens: int
    per_type: dict[str, TypeScores]  # sorted by type name

    def to_dict(self) -> dict:
        """A JSON-ready dict: overall scores, token accuracy and a row per type."""
        return {
            "overall": {
                "precision": self.precision,
                "recall": self.recall,
                "f1": self.f1,
                "found": self.found,
                "gold": self.gold,
                "correct": self.correct,
            },
            "token_accuracy": self.token_accuracy,
            "tokens": self.tokens,
            "per_type": {
                label: {
                    "precision": t.precision,
                    "recall": t.recall,
                    "f1": t.f1,
                    "support": t.gold,
                    "found": t.found,
                    "correct": t.correct,
                }
                for label, t in self.per_type.items()
            },
        }

    @classmethod
    def from_dict(cls, d: dict) -> Scores:
        """The Scores that to_dict gave `d` (a model's metadata records its dev scores so)."""
        per_type = {
            label: TypeScores(
                t["precision"], t["recall"], t["f1"], t["found"], t["support"], t["correct"]
            )
            for label, t in d["per_type"].items()
        }
        o = d["overall"]
        return cls(
            o["precision"],
            o["recall"],
            o["f1"],
            o["found"],
            o["gold"],
            o["correct"],
            d["token_accuracy"],
            d["tokens"],
            per_type,
        )


def score(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> Scores:
    """Score predicted tags against gold tags, sentence by sentence, the way conlleval does.

    Shapes: gold and predicted are lists of sentences, sentence i holding n_i tags in both.
    Pass both in one scheme (e.g. both IOB2): entity scores do not depend on the scheme, but
    token accuracy compares the raw tag strings, as conlleval does, so 'I-PER' and 'B-PER' for
    the same chunk count as a token error.
    Math: P = correct/found, R = correct/gold, F1 = 2PR/(P+R), each 0 where its denominator is 0.
    Raises ValueError, naming the 1-based sentence, for different sentence counts or lengths
    and for malformed tags.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"gold has {len(gold)} sentences but predicted has {len(predicted)}")
    gold_counts: Counter[str] = Counter()
    found_counts: Counter[str] = Counter()
    correct_counts: Counter[str] = Counter()
    tokens = same = 0
    sentences = zip(gold, predicted, strict=True)
    for number, (gold_tags, predicted_tags) in enumerate(sentences, start=1):
        if len(gold_tags) != len(predicted_tags):
            raise ValueError(
                f"sentence {number}: gold has {len(gold_tags)} tags "
                f"but predicted has {len(predicted_tags)}"
            )
        try:
            gold_spans = spans(gold_tags)
            predicted_spans = spans(predicted_tags)
        except ValueError as error:
            raise ValueError(f"sentence {number}: {error}") from error
        gold_counts.update(span.label for span in gold_spans)
        found_counts.update(span.label for span in predicted_spans)
        # Spans carry (start, end, label), so set intersection is conlleval's exact match.
        correct_counts.update(span.label for span in set(gold_spans).intersection(predicted_spans))
        tokens += len(gold_tags)
        same += sum(map(operator.eq, gold_tags, predicted_tags))

    per_type = {
        label: _type_scores(found_counts[label], gold_counts[label], correct_counts[label])
        for label in sorted(gold_counts.keys() | found_counts.keys())
    }
    overall = _type_scores(found_counts.total(), gold_counts.total(), correct_counts.total())
    return Scores(
        precision=overall.precision,
        recall=overall.recall,
        f1=overall.f1,
        found=overall.found,
        gold=overall.gold,
        correct=overall.correct,
        token_accuracy=_ratio(same, tokens),
        tokens=tokens,
        per_type=per_type,
    )


def _ratio(numerator: int, denominator: int) -> float:
    """numerator / denominator, or 0.0 when the denominator is 0 (conlleval's default)."""
    return numerator / denominator if denominator else 0.0


def _type_scores(found: int, gold: int, correct: int) -> TypeScores:
    """Precision, recall and F1 from chunk counts. Math: F1 = 2PR/(P+R), 0 if P+R = 0."""
    precision = _ratio(correct, found)
    recall = _ratio(correct, gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return TypeScores(precision, recall, f1, found, gold, correct)


def format_report(scores: Scores) -> str:
    """conlleval's text report, laid out with its printf formats so the two can be diffed.

    Ends with a newline, like conlleval's output. As in conlleval, the accuracy line is left out
    when there are no tokens, and each type's line ends with its number of predicted chunks.
    """
    head = (
        f"processed {scores.tokens} tokens with {scores.gold} phrases; "
        f"found: {scores.found} phrases; correct: {scores.correct}."
    )
    lines = [head]
    if scores.tokens > 0:
        lines.append(
            f"accuracy: {100 * scores.token_accuracy:6.2f}%; "
            + _prf(scores.precision, scores.recall, scores.f1)
        )
    for label, t in scores.per_type.items():
        lines.append(f"{label:>17}: {_prf(t.precision, t.recall, t.f1)}  {t.found}")
    return "\n".join(lines) + "\n"


def _prf(precision: float, recall: float, f1: float) -> str:
    """'precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f' with the fractions as percentages."""
    return f"precision: {100 * precision:6.2f}%; recall: {100 * recall:6.2f}%; FB1: {100 * f1:6.2f}"


@dataclass(frozen=True)
class TokenScores:
    """Token-level scores of one yes/no decision ("is this token a LOC?"), fractions in [0, 1]."""

    label: str
    precision: float
    recall: float
    f1: float
    accuracy: float
    true_positives: int
    false_positives: int
    false_negatives: int
    tokens: int

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "token": {
                "precision": self.precision,
                "recall": self.recall,
                "f1": self.f1,
                "accuracy": self.accuracy,
                "true_positives": self.true_positives,
                "false_positives": self.false_positives,
                "false_negatives": self.false_negatives,
                "tokens": self.tokens,
            },
        }

    @classmethod
    def from_dict(cls, d: dict) -> TokenScores:
        return cls(d["label"], **d["token"])


def scores_from_dict(d: dict) -> Scores | TokenScores:
    """Scores or TokenScores back from their to_dict()."""
    return TokenScores.from_dict(d) if "token" in d else Scores.from_dict(d)


def score_tokens(label: str, gold: Sequence[bool], predicted: Sequence[bool]) -> TokenScores:
    """Precision, recall, F1 and accuracy of a per-token decision, every token counted once."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold decisions but {len(predicted)} predicted")
    tp = sum(g and p for g, p in zip(gold, predicted, strict=True))
    fp = sum(p and not g for g, p in zip(gold, predicted, strict=True))
    fn = sum(g and not p for g, p in zip(gold, predicted, strict=True))
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = _ratio(len(gold) - fp - fn, len(gold))
    return TokenScores(label, precision, recall, f1, accuracy, tp, fp, fn, len(gold))


def format_token_report(scores: TokenScores) -> str:
    """conlleval-like lines for a binary token decision."""
    return (
        f"processed {scores.tokens} tokens; is the token {scores.label}? "
        f"gold yes: {scores.true_positives + scores.false_negatives}; "
        f"predicted yes: {scores.true_positives + scores.false_positives}; "
        f"correct yes: {scores.true_positives}.\n"
        f"accuracy: {100 * scores.accuracy:6.2f}%; "
        f"{_prf(scores.precision, scores.recall, scores.f1)}\n"
    )


def format_summary_table(results: dict[str, Scores | TokenScores | None]) -> str:
    """Precision, recall and F1 (percentages) per type and overall, a column group per named
    result (e.g. dev and test); None results are left out."""
    shown = {name: s for name, s in results.items() if s is not None}

    def rows_of(s: Scores | TokenScores) -> dict[str, tuple[float, float, float]]:
        if isinstance(s, TokenScores):
            return {
                s.label: (s.precision, s.recall, s.f1),
                "overall": (s.precision, s.recall, s.f1),
            }
        rows = {label: (t.precision, t.recall, t.f1) for label, t in s.per_type.items()}
        return {**rows, "overall": (s.precision, s.recall, s.f1)}

    table = {name: rows_of(s) for name, s in shown.items()}
    labels = sorted({label for rows in table.values() for label in rows} - {"overall"})
    header = f"{'':<8}" + "".join(f"  {name + ' P':>7} {'R':>6} {'F1':>6}" for name in table)
    lines = [header]
    for label in [*labels, "overall"]:
        cells = ""
        for rows in table.values():
            p, r, f = rows.get(label, (0.0, 0.0, 0.0))
            cells += f"  {100 * p:7.2f} {100 * r:6.2f} {100 * f:6.2f}"
        lines.append(f"{label:<8}{cells}")
    return "\n".join(lines) + "\n"
