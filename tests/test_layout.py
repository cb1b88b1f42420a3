"""Who may import whom: the layout's rules, checked on the source and in fresh interpreters."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "windowner"
STDLIB = sys.stdlib_module_names


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function, as absolute dotted names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "windowner":
            found |= {f"windowner.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def modules(folder: Path):
    return sorted(p for p in folder.rglob("*.py"))


def test_at_most_eight_modules_sit_at_the_top_the_rest_in_subpackages():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 8, top
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert {"data", "vectors", "features", "model", "training", "evaluation", "tagging"} <= packages
    for init in PACKAGE.glob("*/__init__.py"):
        assert ast.get_docstring(ast.parse(init.read_text())), f"{init} has no docstring"


@pytest.mark.parametrize("path", modules(PACKAGE / "model"), ids=lambda p: p.name)
def test_the_model_imports_only_numpy_the_standard_library_and_itself(path):
    foreign = {
        name
        for name in imports_of(path)
        if name.split(".")[0] not in STDLIB | {"numpy", "__future__"}
        and not name.startswith("windowner.model")
    }
    assert not foreign, f"{path.name} imports {foreign}"


def test_no_core_module_imports_typer():
    offenders = [
        p.relative_to(PACKAGE)
        for p in modules(PACKAGE)
        if "cli" not in p.relative_to(PACKAGE).parts
        and "typer" in {name.split(".")[0] for name in imports_of(p)}
    ]
    assert not offenders


def test_the_tagging_path_loads_neither_gensim_nor_datasets():
    """What ner-tag needs to tag text (the model file, the tagger, its stream and formats) may
    not pull in the heavy libraries when imported; they load only on the paths that read
    vectors or tables."""
    code = (
        "import sys\n"
        "import windowner.model_file, windowner.tagging.text, windowner.tagging.stream\n"
        "import windowner.tagging.formats, windowner.tagging.engines.local, windowner.cli.tag\n"
        "heavy = {'gensim', 'datasets', 'matplotlib'} & {m.split('.')[0] for m in sys.modules}\n"
        "print(','.join(sorted(heavy)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def allowed_imports(package: str) -> tuple[set[str], set[str]]:
    """What the package's docstring says it may import: (windowner modules, other libraries),
    from its 'May import: windowner's; libraries.' line."""
    doc = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text()))
    line = " ".join(doc[doc.index("May import:") :].split())
    inside, _, outside = line.removeprefix("May import:").rstrip(".").partition(";")

    def names(text: str) -> set[str]:
        return {re.sub(r"\(.*", "", n).strip() for n in re.sub(r"\([^)]*\)", "", text).split(",")}

    internal = names(inside) - {"numpy"}
    external = names(outside) | ({"numpy"} if "numpy" in inside else set())
    return {n for n in internal if n}, {n for n in external if n}


# Every package, nested ones too (tagging/engines): each is held to its own docstring as well
# as to those of the packages around it.
SUBPACKAGES = sorted(str(p.parent.relative_to(PACKAGE)) for p in PACKAGE.glob("*/**/__init__.py"))


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_each_package_imports_only_what_its_docstring_allows(package):
    internal, external = allowed_imports(package)
    for path in modules(PACKAGE / package):
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in STDLIB or top == "__future__":
                continue
            if top == "windowner":
                part = name.split(".")[1] if "." in name else ""
                assert part in internal | {package}, f"{path.name} imports {name}"
            else:
                assert top in external, f"{path.name} imports {name}"


def test_only_the_spark_engine_imports_pyspark():
    importers = sorted(
        str(p.relative_to(PACKAGE))
        for p in modules(PACKAGE)
        if "pyspark" in {name.split(".")[0] for name in imports_of(p)}
    )
    assert importers and all(name.startswith("tagging/engines/spark_") for name in importers), (
        importers
    )
