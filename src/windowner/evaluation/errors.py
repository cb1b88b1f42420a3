"""What a model gets wrong: every gold and every predicted entity classified, types confused.

Entities are the conlleval chunks scoring counts (data.tags.spans), compared per sentence:

| a gold entity is  | when a predicted entity of its sentence ...                        |
| ----------------- | ------------------------------------------------------------------ |
| correct           | has the same span and type                                         |
| wrong_type        | has the same span and another type                                 |
| wrong_boundary    | overlaps it, but none has the same span                            |
| missed            | overlaps none                                                      |

A predicted entity is likewise correct, wrong_type, wrong_boundary, or spurious (no gold entity
overlaps it). The chunks of one sentence never overlap each other, so a span has at most one
partner with the same span: `correct` and `wrong_type` are the same pairs seen from either side.
The confusion matrix counts gold type × predicted type over the same-span pairs, with row `O`
for spurious entities and column `O` for missed ones; wrong_boundary entities are not in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from windowner.data.tags import Span, spans

GOLD_KINDS = ("correct", "wrong_type", "wrong_boundary", "missed")
PREDICTED_KINDS = ("correct", "wrong_type", "wrong_boundary", "spurious")
OUTSIDE = "O"
TOP = 10  # missed and spurious strings listed


@dataclass(frozen=True)
class SentenceErrors:
    """One sentence's entities with their kinds. Shapes: gold_kinds (len(gold),), and alike."""

    gold: list[Span]
    gold_kinds: list[str]
    predicted: list[Span]
    predicted_kinds: list[str]


@dataclass(frozen=True)
class ErrorAnalysis:
    """Counts of each kind, the type confusion matrix and the most frequent misses.

    `confusion[gold_type][predicted_type]` over every type and `O` (O × O left out);
    `top_missed` and `top_spurious` are (text, type, count), most frequent first.
    """

    gold: dict[str, int]
    predicted: dict[str, int]
    confusion: dict[str, dict[str, int]]
    top_missed: list[tuple[str, str, int]]
    top_spurious: list[tuple[str, str, int]]

    def to_dict(self) -> dict:
        """JSON-ready: {"gold", "predicted", "confusion", "top_missed", "top_spurious"}."""
        return {
            "gold": dict(self.gold),
            "predicted": dict(self.predicted),
            "confusion": self.confusion,
            "top_missed": [{"text": t, "label": lab, "count": n} for t, lab, n in self.top_missed],
            "top_spurious": [
                {"text": t, "label": lab, "count": n} for t, lab, n in self.top_spurious
            ],
        }


def classify(gold: Sequence[Span], predicted: Sequence[Span]) -> tuple[list[str], list[str]]:
    """The kind of every gold and every predicted span of one sentence (module docstring)."""
    return _kinds(gold, predicted, "missed"), _kinds(predicted, gold, "spurious")


def _kinds(mine: Sequence[Span], theirs: Sequence[Span], alone: str) -> list[str]:
    by_extent = {(s.start, s.end): s.label for s in theirs}
    kinds = []
    for span in mine:
        label = by_extent.get((span.start, span.end))
        if label is not None:
            kinds.append("correct" if label == span.label else "wrong_type")
        elif any(s.start < span.end and span.start < s.end for s in theirs):
            kinds.append("wrong_boundary")
        else:
            kinds.append(alone)
    return kinds


def sentence_errors(gold_tags: Sequence[str], predicted_tags: Sequence[str]) -> SentenceErrors:
    """Chunk both tag sequences of a sentence as conlleval does and classify every chunk."""
    gold, predicted = spans(gold_tags), spans(predicted_tags)
    gold_kinds, predicted_kinds = classify(gold, predicted)
    return SentenceErrors(gold, gold_kinds, predicted, predicted_kinds)


def analyse(
    tokens: Sequence[Sequence[str]],
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    top: int = TOP,
) -> ErrorAnalysis:
    """Classify every entity of every sentence and count. Shapes: tokens[i], gold[i] and
    predicted[i] all (n_i,); an entity's text is its tokens joined by spaces."""
    gold_counts = dict.fromkeys(GOLD_KINDS, 0)
    predicted_counts = dict.fromkeys(PREDICTED_KINDS, 0)
    pairs: Counter[tuple[str, str]] = Counter()
    missed: Counter[tuple[str, str]] = Counter()
    spurious: Counter[tuple[str, str]] = Counter()
    labels: set[str] = set()
    for words, gold_tags, predicted_tags in zip(tokens, gold, predicted, strict=True):
        found = sentence_errors(gold_tags, predicted_tags)
        by_extent = {(s.start, s.end): s.label for s in found.predicted}
        for span, kind in zip(found.gold, found.gold_kinds, strict=True):
            gold_counts[kind] += 1
            labels.add(span.label)
            if kind in ("correct", "wrong_type"):
                pairs[span.label, by_extent[span.start, span.end]] += 1
            elif kind == "missed":
                pairs[span.label, OUTSIDE] += 1
                missed[_text(words, span), span.label] += 1
        for span, kind in zip(found.predicted, found.predicted_kinds, strict=True):
            predicted_counts[kind] += 1
            labels.add(span.label)
            if kind == "spurious":
                pairs[OUTSIDE, span.label] += 1
                spurious[_text(words, span), span.label] += 1
    axis = [*sorted(labels), OUTSIDE]
    confusion = {
        row: {column: pairs[row, column] for column in axis if (row, column) != (OUTSIDE, OUTSIDE)}
        for row in axis
    }
    top_missed, top_spurious = _most_common(missed, top), _most_common(spurious, top)
    return ErrorAnalysis(gold_counts, predicted_counts, confusion, top_missed, top_spurious)


def _text(words: Sequence[str], span: Span) -> str:
    return " ".join(words[span.start : span.end])


def _most_common(counts: Counter[tuple[str, str]], top: int) -> list[tuple[str, str, int]]:
    """The `top` most frequent (text, type), ties in order of text and type."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(text, label, n) for (text, label), n in ranked[:top]]


def format_errors(analysis: ErrorAnalysis) -> str:
    """The analysis as text tables: kinds, confusion matrix, most frequent misses."""
    lines = ["entities   " + "".join(f"{k:>16}" for k in (*GOLD_KINDS[:3], "missed/spurious"))]
    lines[0] += f"{'total':>9}"
    for name, counts in (("gold", analysis.gold), ("predicted", analysis.predicted)):
        values = list(counts.values())
        lines.append(f"{name:<11}" + "".join(f"{v:>16,}" for v in values) + f"{sum(values):>9,}")
    axis = list(analysis.confusion)
    width = max(6, *(len(label) + 1 for label in axis))
    lines += [
        "",
        "confusion: gold type (rows) x predicted type (columns), same span; O: missed, spurious",
        f"{'gold/pred':<10}" + "".join(f"{label:>{width}}" for label in axis),
    ]
    for row, cells in analysis.confusion.items():
        shown = [f"{cells[c]:>{width},}" if c in cells else f"{'-':>{width}}" for c in axis]
        lines.append(f"{row:<10}" + "".join(shown))
    for title, found in (
        ("most often missed", analysis.top_missed),
        ("most often spurious", analysis.top_spurious),
    ):
        lines += ["", f"{title}:"]
        lines += [f"{n:>6,}  {label:<6} {text}" for text, label, n in found] or ["     (none)"]
    return "\n".join(lines) + "\n"
