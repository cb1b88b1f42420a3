"""Data in: text read in bounded pieces, CoNLL files, spaCy's DocBin files, `datasets` sources,
tag schemes, the tokenizer, raw text input.

May import: choices, errors; numpy, datasets, huggingface_hub, pyarrow (sources.py, when a table
is read), spacy, srsly (docbin.py, when a .spacy file is read).
"""
