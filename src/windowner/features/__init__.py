"""What the network reads: the vocabulary, casing classes, windows of ids.

May import: vectors, config, choices, errors; numpy.
"""
