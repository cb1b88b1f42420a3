"""Write a CoNLL file as a parquet table, one sentence a row, as the Hugging Face hub holds
CoNLL-2003: a `tokens` and a `ner_tags` column (tag strings, IOB2) and no -DOCSTART- rows, plus
a `document_id` column (each sentence's document: 0, 1, ... in file order) that the hub's copy
lacks.

    python scripts/conll_table.py data/conll2003/valid.txt valid.parquet
    ner-eval runs/conll2003/model.npz valid.parquet --document-column document_id

Read with `--document-column document_id` (ner-eval, ner-tag --dataset) or
`data.document_column = "document_id"` (ner-train), the table's documents are the file's; read
without it, each row is its own document, as in the hub's copy. `--sentences N` keeps the first N
sentences only (the tests' small tables).
"""

from __future__ import annotations

import argparse
import sys

import pyarrow as pa
import pyarrow.parquet as pq

from windowner.atomic import atomic_write
from windowner.data.conll import read_conll
from windowner.errors import UserError


def conll_table(source: str, sentences: int | None = None) -> pa.Table:
    """The sentences of a CoNLL file as a table of tokens, ner_tags (IOB2) and document_id."""
    corpus = read_conll(source)
    kept = corpus.sentences[:sentences]
    return pa.table(
        {
            "tokens": pa.array([list(s.tokens) for s in kept], pa.list_(pa.string())),
            "ner_tags": pa.array([list(s.tags) for s in kept], pa.list_(pa.string())),
            "document_id": pa.array([s.document for s in kept], pa.int64()),
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("conll", help="a CoNLL file, e.g. data/conll2003/valid.txt")
    parser.add_argument("output", help="the parquet file to write")
    parser.add_argument("--sentences", type=int, help="keep only the first N sentences")
    args = parser.parse_args(argv)
    try:
        if args.sentences is not None and args.sentences < 1:
            raise UserError(f"--sentences must be at least 1, got {args.sentences}")
        table = conll_table(args.conll, args.sentences)
        with atomic_write(args.output, "wb") as f:
            pq.write_table(table, f)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    documents = len(set(table.column("document_id").to_pylist()))
    print(f"{args.output}: {table.num_rows:,} sentences in {documents:,} documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
