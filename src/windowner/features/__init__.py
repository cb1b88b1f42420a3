"""What the network reads: the vocabulary, casing classes, windows of ids, lexicon matches and
word clusters.

May import: data (the tokenizer, for lexicon phrases), vectors, config, choices, errors; numpy.
"""
