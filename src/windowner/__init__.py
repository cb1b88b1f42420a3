"""windowner: window-based NER with hand-derived backprop, as CS224N lecture 3 teaches it.

    import windowner
    tagger = windowner.load("model.npz")
    tagger("Angela Merkel met Emmanuel Macron in Paris.").entities

The API (windowner.api) is imported on first use of one of its names, so `import windowner`
loads neither numpy nor anything heavier.
"""

from __future__ import annotations

from windowner.version import __version__

# typing.TYPE_CHECKING without importing typing (12 ms); type checkers treat it the same.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from windowner.api import Tagger, evaluate, load, train
    from windowner.tagging.results import Entity, TaggedText, TaggedToken

# Each lazily imported name and the module that defines it.
_LAZY = {
    "load": "windowner.api",
    "train": "windowner.api",
    "evaluate": "windowner.api",
    "Tagger": "windowner.api",
    "TaggedText": "windowner.tagging.results",
    "TaggedToken": "windowner.tagging.results",
    "Entity": "windowner.tagging.results",
}

__all__ = [
    "Entity",
    "TaggedText",
    "TaggedToken",
    "Tagger",
    "__version__",
    "evaluate",
    "load",
    "train",
]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'windowner' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
