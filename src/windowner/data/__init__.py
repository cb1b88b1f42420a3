"""Data in: text read in bounded pieces, CoNLL files, `datasets` sources, tag schemes, the
tokenizer, raw text input.

May import: choices, errors; numpy, datasets, huggingface_hub, pyarrow (sources.py, when a table
is read).
"""
