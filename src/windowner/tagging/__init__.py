"""Tagging: options, segmentation, predict, text to entities, records, streams, output formats,
and engines/ for tables (datasets on this machine, Apache Spark beyond it).

May import: data, features, model, choices, errors, atomic, model_file; numpy, tqdm, datasets,
pyarrow, pyspark (the last three in engines/ only: datasets and pyarrow when called, never at
import; pyspark in its spark_*.py modules), spacy, srsly (docbin.py, when --format spacy is
written).
"""
