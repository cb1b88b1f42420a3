"""Pretrained word vectors: loading them (gensim), their cache, intrinsic evaluation."""
