"""windowner's version, in a module of its own so that any layer (the model file records it) can
read it without importing the package's API; pyproject.toml reads it from here too."""

__version__ = "0.1.0"
