"""`ner-eval --html FILE`: gold and predicted entities of every sentence, one above the other.

Each sentence is a `<section class="sentence">` with two lines, gold then predicted, its tokens
joined by spaces and its entities marked as in `ner-tag --format html` (tagging/html.py), each
with a `data-kind` (evaluation/errors.py: correct, wrong_type, wrong_boundary, missed on the
gold line; spurious instead of missed on the predicted one). Correct entities are drawn plain,
errors with a red outline and their kind named; a checkbox (CSS only, no script) hides the
sentences without errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from windowner.data.tags import Span
from windowner.evaluation.errors import GOLD_KINDS, PREDICTED_KINDS, ErrorAnalysis, sentence_errors
from windowner.tagging import html

CSS = """
.summary { border-collapse: collapse; margin: 0 0 1em; font-size: .9em; }
.summary th, .summary td { padding: .15em .7em; text-align: right; border-bottom: 1px solid #eee; }
.summary th:first-child { text-align: left; }
.filter { display: block; margin: 0 0 1em; font-size: .9em; }
body:has(#only-errors:checked) .sentence:not(.has-errors) { display: none; }
.sentence { border-top: 1px solid #eee; padding: .4em 0 .4em 3em; position: relative; }
.sentence::before { content: attr(data-sentence); position: absolute; left: 0; width: 2.4em;
                    text-align: right; color: #aaa; font-size: .8em; }
.line { margin: .1em 0; }
.line .side { display: inline-block; width: 7.5em; color: #888; font-size: .75em;
              text-transform: uppercase; }
mark.entity[data-kind]:not([data-kind="correct"]) { outline: 2px solid #d33;
                                                     outline-offset: 1px; }
mark.entity[data-kind="missed"], mark.entity[data-kind="spurious"] { outline-style: dashed; }
mark.entity .kind { font-size: .6em; color: #d33; margin-left: .35em; font-weight: 700; }
"""


def evaluation_page(
    title: str,
    tokens: Sequence[Sequence[str]],
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    analysis: ErrorAnalysis,
) -> str:
    """The whole page. Shapes: tokens[i], gold[i], predicted[i] all (n_i,)."""
    labels = [label for label in analysis.confusion if label != "O"]
    parts = [html.page_start(title, labels, _summary(analysis), CSS)]
    for number, (words, gold_tags, predicted_tags) in enumerate(
        zip(tokens, gold, predicted, strict=True), start=1
    ):
        found = sentence_errors(gold_tags, predicted_tags)
        wrong = any(k != "correct" for k in found.gold_kinds + found.predicted_kinds)
        parts.append(
            f'<section class="sentence{" has-errors" if wrong else ""}" data-sentence="{number}">'
            + _line("gold", words, found.gold, found.gold_kinds)
            + _line("predicted", words, found.predicted, found.predicted_kinds)
            + "</section>\n"
        )
    parts.append(html.PAGE_END)
    return "".join(parts)


def _line(side: str, words: Sequence[str], spans: Sequence[Span], kinds: Sequence[str]) -> str:
    """One side of a sentence: its tokens with the side's entities marked by kind."""
    pieces = []
    at = 0
    for span, kind in zip(spans, kinds, strict=True):
        pieces += [escape(word) for word in words[at : span.start]]
        text = " ".join(words[span.start : span.end])
        note = "" if kind == "correct" else f'<span class="kind">{kind}</span>'
        pieces.append(html.entity(text, span.label, kind, f' data-kind="{kind}"', note))
        at = span.end
    pieces += [escape(word) for word in words[at:]]
    return (
        f'<p class="line {side}" data-side="{side}"><span class="side">{side}</span>'
        f"{' '.join(pieces)}</p>"
    )


def _summary(analysis: ErrorAnalysis) -> str:
    """The counts of each kind as a small table, and the errors-only switch."""
    head = "".join(f"<th>{k.replace('_', ' ')}</th>" for k in GOLD_KINDS[:3])
    rows = "".join(
        f"<tr><th>{name}</th>"
        + "".join(f"<td>{counts[k]:,}</td>" for k in kinds)
        + f"<td>{sum(counts.values()):,}</td></tr>"
        for name, counts, kinds in (
            ("gold", analysis.gold, GOLD_KINDS),
            ("predicted", analysis.predicted, PREDICTED_KINDS),
        )
    )
    return (
        f'<table class="summary"><tr><th>entities</th>{head}<th>missed / spurious</th>'
        f"<th>total</th></tr>{rows}</table>\n"
        '<label class="filter"><input type="checkbox" id="only-errors"> '
        "only sentences with errors</label>\n"
    )
