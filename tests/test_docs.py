"""docs/backprop.md names the function behind every formula: each name must exist."""

import importlib
import re

from tests.conftest import ROOT

MODULES = {
    "layers": "windowner.model.layers",
    "losses": "windowner.model.losses",
    "activations": "windowner.model.activations",
    "numerics": "windowner.model.numerics",
    "network": "windowner.model.network",
    "gradcheck": "windowner.model.gradcheck",
    "sentence": "windowner.model.sentence",
    "decoding": "windowner.model.decoding",
    "sgd": "windowner.training.sgd",
    "tags": "windowner.data.tags",
    "features.windows": "windowner.features.windows",
}


def resolve(dotted: str) -> bool:
    head, *rest = dotted.split(".")
    if f"{head}.{rest[0]}" in MODULES if rest else False:  # a package-qualified module
        head, rest = f"{head}.{rest[0]}", rest[1:]
    if head in MODULES:
        target = importlib.import_module(MODULES[head])
    else:  # a class of the activations or network modules, e.g. GLU.backward
        candidates = [importlib.import_module(m) for m in MODULES.values()]
        target = next((m for m in candidates if hasattr(m, head)), None)
        if target is None:
            return False
        rest = [head, *rest]
    for name in rest:
        if not hasattr(target, name):
            return False
        target = getattr(target, name)
    return True


def test_every_function_named_in_backprop_md_exists():
    text = (ROOT / "docs" / "backprop.md").read_text(encoding="utf-8")
    names = set(re.findall(r"`([A-Za-z_]+(?:\.[A-Za-z_]+)+)(?:\([^`]*\))?`", text))
    names |= set(re.findall(r"\| `([A-Z][A-Za-z]+)` \|", text))  # the classes in the tables
    names = {n for n in names if not n.endswith(".py") and not n.startswith(("dz.", "np.", "x."))}
    assert len(names) > 20
    missing = sorted(n for n in names if not resolve(n))
    assert not missing, missing


def test_the_readme_lists_every_setting_with_its_default_and_help():
    """The README's settings table is config.py's declarations, key for key."""
    import json

    from windowner.config import settings

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for key, f in settings().items():
        d = f.default
        if isinstance(d, bool):
            shown = "true" if d else "false"
        elif isinstance(d, tuple):
            shown = "[" + ", ".join(json.dumps(x) for x in d) + "]"
        else:
            shown = json.dumps(d) if isinstance(d, str) else repr(d)
        assert text.count(f"| `{key}` | `{shown}` | {f.metadata['help']} |") == 1, key
