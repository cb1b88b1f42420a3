"""`ner-tag`: tag raw text with a trained model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from windowner.cli.common import make_app, user_errors

app = make_app("Tag raw UTF-8 text (one paragraph per line) with a trained model.")


@app.command()
def main(
    model: Annotated[Path, typer.Argument(help="Model file (.npz) written by ner-train.")],
    source: Annotated[
        str, typer.Argument(metavar="[FILE|-]", help="Text file, or - for stdin.")
    ] = "-",
    output_format: Annotated[
        str, typer.Option("--format", help="jsonl, conll or inline.")
    ] = "jsonl",
    output: Annotated[
        Optional[Path], typer.Option(help="Write here (atomically) instead of stdout.")
    ] = None,
) -> None:
    """Tokenize each line as CoNLL was (PTB-like), split it into sentences and tag it."""
    with user_errors():
        from windowner.errors import UserError
        from windowner.model_file import load_model
        from windowner.output_formats import FORMATTERS
        from windowner.tagging import tag_texts
        from windowner.text_input import read_lines

        formatter = FORMATTERS.get(output_format)
        if formatter is None:
            raise UserError(
                f"unknown --format '{output_format}'; choose from {', '.join(FORMATTERS)}"
            )
        loaded = load_model(model)
        lines = read_lines(source)
        if output is None:
            for tagged in tag_texts(loaded, lines):
                sys.stdout.write(formatter(tagged))
            sys.stdout.flush()
        else:
            from windowner.atomic import atomic_write

            with atomic_write(output, "w", encoding="utf-8") as f:
                for tagged in tag_texts(loaded, lines):
                    f.write(formatter(tagged))


def run() -> None:
    app()
