"""Command-line entry points: thin typer commands over the importable core.

May import: data, vectors, features, model, training, evaluation, tagging, config, choices,
errors, atomic, model_file, spark; typer.
"""
