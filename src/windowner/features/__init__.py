"""What the network reads: the vocabulary, casing classes, windows of ids.

May import: data (the tokenizer, for lexicon phrases), vectors, errors; numpy.
"""
