"""Tagging: options, segmentation, predict, text to entities, records, streams, tables, formats.

May import: data, features, model, choices, errors, atomic, model_file; numpy, tqdm, datasets,
pyarrow (the last two in tables.py, when called: never at import).
"""
