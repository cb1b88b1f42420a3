"""Tagging: predict, decode, text to entities, streams, tables, output formats."""
