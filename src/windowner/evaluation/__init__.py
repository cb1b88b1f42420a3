"""Scoring: the conlleval entity metric, evaluate(model, corpus), error analysis and its page,
and the intrinsic evaluation of word vectors (analogies, word similarity).

May import: data, vectors, features, tagging, atomic, choices, errors, model_file; numpy, gensim.
"""
