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


def test_at_most_nine_modules_sit_at_the_top_the_rest_in_subpackages():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 9, top
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert {"data", "vectors", "features", "model", "training", "evaluation", "tagging"} <= packages
    for init in PACKAGE.glob("*/__init__.py"):
        assert ast.get_docstring(ast.parse(init.read_text())), f"{init} has no docstring"


@pytest.mark.parametrize("path", modules(PACKAGE / "model"), ids=lambda p: p.name)
def test_the_model_imports_only_numpy_the_standard_library_the_choices_and_itself(path):
    foreign = {
        name
        for name in imports_of(path)
        if name.split(".")[0] not in STDLIB | {"numpy", "__future__"}
        and not name.startswith("windowner.model")
        and name != "windowner.choices"
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


# The floors of the layout, lowest first: a module may import its own floor and those below it,
# never one above, whether at the top of the file or inside a function. Every module of the
# package, top-level ones included, is on one floor (the longest matching prefix decides).
FLOORS = (
    ("windowner.version", "windowner.choices", "windowner.errors"),
    ("windowner.atomic",),
    ("windowner.data",),
    ("windowner.config",),
    ("windowner.vectors",),
    ("windowner.features",),
    ("windowner.model",),
    ("windowner.model_file_checks",),
    ("windowner.model_file",),
    ("windowner.tagging",),
    ("windowner.evaluation",),
    ("windowner.training",),
    ("windowner.api",),
    ("windowner.integrations",),  # other libraries' pipelines, on top of the API
    ("windowner.cli",),
    ("windowner",),  # the package's __init__: the lazy façade over the API
)


def floor_of(module: str) -> int:
    """The floor of a dotted module name: that of its longest prefix in FLOORS."""
    best, floor = -1, None
    for level, prefixes in enumerate(FLOORS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, floor = len(prefix), level
    assert floor is not None, f"{module} is on no floor: add it to FLOORS"
    return floor


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("path", modules(PACKAGE), ids=lambda p: module_name(p))
def test_imports_run_downhill(path):
    """No module imports one on a higher floor: the import graph has no arrow back up."""
    own = floor_of(module_name(path))
    upward = {
        name
        for name in imports_of(path)
        if name.split(".")[0] == "windowner" and floor_of(name) > own
    }
    assert not upward, f"{module_name(path)} (floor {own}) imports {sorted(upward)}"


def test_no_module_imports_by_a_string():
    """importlib.import_module("windowner...") hides an arrow from the check above; only the
    package's lazy façade (windowner/__init__.py, the top floor) may use it."""
    offenders = [
        module_name(p)
        for p in modules(PACKAGE)
        if p != PACKAGE / "__init__.py" and "import_module" in p.read_text(encoding="utf-8")
    ]
    assert not offenders


def test_only_the_spark_engine_imports_pyspark():
    importers = sorted(
        str(p.relative_to(PACKAGE))
        for p in modules(PACKAGE)
        if "pyspark" in {name.split(".")[0] for name in imports_of(p)}
    )
    assert importers and all(name.startswith("tagging/engines/spark_") for name in importers), (
        importers
    )


def test_only_the_spacy_component_imports_spacy():
    """spaCy is an extra: only the component and the two DocBin modules (reading and writing
    .spacy files, imported only when one is named) may import it, and nothing of windowner's
    imports the component (spaCy reaches it through its entry points)."""
    importers = sorted(
        str(p.relative_to(PACKAGE))
        for p in modules(PACKAGE)
        if "spacy" in {name.split(".")[0] for name in imports_of(p)}
    )
    assert importers == [
        "data/docbin.py",
        "integrations/spacy_component.py",
        "tagging/docbin.py",
    ]
    users = [
        module_name(p)
        for p in modules(PACKAGE)
        if any(name.startswith("windowner.integrations") for name in imports_of(p))
    ]
    assert users == []
