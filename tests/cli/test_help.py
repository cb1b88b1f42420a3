"""The commands' help names the choices their owners declare, no more and no fewer.

ner-tag --help must not import numpy, so its help texts spell the choices out; this test keeps
those words the owners' tuples (formats, decoders, tag schemes)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from windowner.choices import BINARY_FORMATS
from windowner.cli import evaluate, tag
from windowner.data.tags import SCHEMES
from windowner.model.decoding import DECODERS
from windowner.tagging.formats import FORMATS


def option_help(app, option: str) -> str:
    """The help text of `option`, read off the click command typer builds."""
    import typer.main

    command = typer.main.get_command(app)
    (param,) = [p for p in command.params if option in p.opts]
    return param.help


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z][a-z0-9_]+", text.split(";")[0]))


@pytest.mark.parametrize(
    ("app", "option", "choices", "extra"),
    [
        (
            tag.app,
            "--format",
            (*FORMATS, *BINARY_FORMATS),
            {"default", "one", "page", "or", "docbin", "file"},
        ),
        (tag.app, "--decode", DECODERS, {"or"}),
        (
            tag.app,
            "--out-scheme",
            SCHEMES,
            {"tag", "scheme", "of", "conll", "slash", "and", "with", "tokens", "or"},
        ),
        (evaluate.app, "--decode", DECODERS, {"both", "or", "a", "report", "for", "each"}),
        (evaluate.app, "--out-scheme", SCHEMES, {"tag", "scheme", "of", "output", "or"}),
    ],
)
def test_help_lists_exactly_the_owners_choices(app, option, choices, extra):
    named = words(option_help(app, option).lower()) - extra
    assert named == set(choices)


def test_help_runs():
    for app in (tag.app, evaluate.app):
        assert CliRunner().invoke(app, ["--help"]).exit_code == 0


def test_json_help_says_what_is_printed():
    """neighbors and analogy print an array of {word, cosine}; eval and ner-eval one object."""
    import typer.main

    from windowner.cli import vectors

    group = typer.main.get_command(vectors.app)
    for name, printed in (("neighbors", "array"), ("analogy", "array"), ("eval", "object")):
        (param,) = [p for p in group.commands[name].params if "--json" in p.opts]
        assert f"one JSON {printed}" in param.help, (name, param.help)
    assert "one JSON object" in option_help(evaluate.app, "--json")


def test_quiet_help_is_what_the_readme_says():
    from tests.conftest import ROOT
    from windowner.cli import train

    help_text = option_help(train.app, "--quiet")
    (row,) = [
        line
        for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `--quiet`")
    ]
    assert row.split("|")[2].strip() == help_text.removesuffix(".").replace("Print", "print")
