"""Command-line entry points: thin typer commands over the importable core."""
