"""Self-contained HTML pages of entities: `ner-tag --format html`, and the parts ner-eval reuses.

A page is one document with its CSS inline and no external asset, script or font. Each entity
is one `<mark class="entity" data-label="TYPE">` whose text is the entity's text followed by
a `<span class="label">TYPE</span>`; types are coloured from a legend at the top, and every
record (one unit of input) is one `<section class="record">`. Every piece of input text goes
through html.escape, and a Content-Security-Policy forbids scripts besides, so a `<script>` or
an `onerror=` in the input shows as text and never runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from windowner.tagging.results import TaggedText

# CoNLL's four types keep their colours whatever else a model knows; other types take the
# palette in the order of their names.
FIXED_COLOURS = {"PER": "#aa9cfc", "ORG": "#7aecec", "LOC": "#feca74", "MISC": "#c7e9a0"}
PALETTE = ("#ff9561", "#c887fb", "#9cc9cc", "#ffeb80", "#ff8197", "#bfeeb7", "#f0d0ff", "#e4e7d2")

# No script, image, font, frame or connection of any kind: only the inline style sheet.
CSP = "default-src 'none'; style-src 'unsafe-inline'"

BASE_CSS = """
body { font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       margin: 1.5em auto; max-width: 60em; padding: 0 1em; }
h1 { font-size: 1.3em; margin: 0 0 .4em; }
.legend { list-style: none; padding: 0; margin: 0 0 1.2em; display: flex; flex-wrap: wrap;
          gap: .5em; }
.swatch { padding: .1em .5em; border-radius: .3em; font-size: .85em; font-weight: 600;
          background: #ddd; }
.record { position: relative; white-space: pre-wrap; border-top: 1px solid #eee;
          padding: .5em 0 .5em 3em; }
.record::before { content: attr(data-unit); position: absolute; left: 0; width: 2.4em;
                  text-align: right; color: #aaa; font-size: .8em; }
mark.entity { padding: .05em .3em; border-radius: .35em; background: #ddd; color: inherit;
              line-height: 1.9; }
mark.entity .label { font-size: .65em; font-weight: 700; margin-left: .4em;
                     vertical-align: middle; text-transform: uppercase; opacity: .75; }
"""


def page_start(title: str, labels: Sequence[str], heading: str = "", css: str = "") -> str:
    """The document up to its first record: head with the style sheet, title, legend.

    `heading` is HTML (escape what goes into it) shown between the title and the legend.
    """
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f"<style>{BASE_CSS}{type_css(labels)}{css}</style>\n"
        "</head>\n<body>\n"
        f"<header>\n<h1>{escape(title)}</h1>\n{heading}{legend(labels)}</header>\n<main>\n"
    )


PAGE_END = "</main>\n</body>\n</html>\n"


def colours(labels: Iterable[str]) -> dict[str, str]:
    """Each type's background colour: CoNLL's fixed ones, the palette in turn for the rest."""
    others = sorted(set(labels) - FIXED_COLOURS.keys())
    found = {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(others)}
    return {label: FIXED_COLOURS.get(label) or found[label] for label in sorted(set(labels))}


def type_css(labels: Iterable[str]) -> str:
    """One rule per type colouring its entities and its legend swatch."""
    return "".join(
        f'mark.entity[data-label="{_css_string(label)}"], '
        f'.swatch[data-type="{_css_string(label)}"] '
        f"{{ background: {colour}; }}\n"
        for label, colour in colours(labels).items()
    )


def legend(labels: Iterable[str]) -> str:
    """A list of the types, each in its colour."""
    items = "".join(
        f'<li><span class="swatch" data-type="{escape(label)}">{escape(label)}</span></li>'
        for label in sorted(set(labels))
    )
    return f'<ul class="legend">{items}</ul>\n'


def entity(text: str, label: str, title: str = "", attributes: str = "", suffix: str = "") -> str:
    """One entity element: its escaped text, then the label beside it.

    `attributes` (e.g. ' data-kind="missed"') and `suffix`, markup after the label, are HTML
    already escaped.
    """
    hint = f' title="{escape(title)}"' if title else ""
    return (
        f'<mark class="entity" data-label="{escape(label)}"{hint}{attributes}>'
        f'{escape(text)}<span class="label">{escape(label)}</span>{suffix}</mark>'
    )


def header(labels: Sequence[str]) -> str:
    """What `--format html` writes before its first record."""
    return page_start("windowner: tagged text", labels)


def record(tagged: TaggedText, unit: int) -> str:
    """One unit as a `<section class="record">`: its text with every entity marked."""
    parts = []
    at = 0
    for e in tagged.entities:
        parts.append(escape(tagged.text[at : e.start]))
        parts.append(entity(e.text, e.label, f"{e.label} {e.score:.3f}"))
        at = e.end
    parts.append(escape(tagged.text[at:]))
    return f'<section class="record" data-unit="{unit}">{"".join(parts)}</section>\n'


def footer() -> str:
    """What `--format html` writes after its last record."""
    return PAGE_END


def _css_string(text: str) -> str:
    """`text` inside a double-quoted CSS string in a <style> element."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return escaped.replace("<", "\\3c ").replace("\n", "\\a ")
