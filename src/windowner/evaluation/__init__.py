"""Scoring: the conlleval entity metric, and evaluate(model, corpus)."""
