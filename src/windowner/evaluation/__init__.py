"""Scoring: the conlleval entity metric, evaluate(model, corpus), error analysis and its page.

May import: data, tagging, atomic, errors, model_file.
"""
