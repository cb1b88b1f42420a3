"""Integrations: windowner inside other libraries' pipelines, on top of the Python API.

spacy_component.py is the spaCy pipeline component `windowner` (spaCy finds it through the
entry points in pyproject.toml; it needs the `spacy` extra). Nothing else in windowner imports
this package, and only this package imports spaCy.

May import: api, tagging, choices, errors, atomic; spacy (spacy_component.py only).
"""
