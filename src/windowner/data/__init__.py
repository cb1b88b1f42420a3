"""Data in: CoNLL files, `datasets` sources, tag schemes, the tokenizer, raw text input."""
