"""Tagging: predict, decode, text to entities, streams, tables, output formats.

May import: data, features, model, errors, atomic, model_file; numpy, tqdm, datasets, pyarrow
(the last two in tables.py, when called: never at import).
"""
