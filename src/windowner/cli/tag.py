"""`ner-tag`: tag raw text, or a parquet/jsonl table of texts, with a trained model.

Only typer is imported at start-up; numpy, the model and (for --dataset) datasets and pyarrow
are imported once the options are parsed, so `ner-tag --help` stays instant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from windowner.choices import (
    BINARY_FORMATS,
    DECODERS,
    ENGINES,
    FORMATS,
    SCHEMES,
    TAG_BATCH_SIZE,
    UNITS,
    listed,
    quoted,
)
from windowner.cli.common import make_app, one_blas_thread, user_errors
from windowner.errors import UserError

app = make_app(
    "Tag raw UTF-8 text (by default one record per input line) with a trained model, "
    "or a parquet/jsonl table of texts with --dataset."
)


@app.command()
def main(
    model: Annotated[Path, typer.Argument(help="Model file (.npz) written by ner-train.")],
    source: Annotated[
        str, typer.Argument(metavar="[FILE|-]", help="Text file, or - for stdin.")
    ] = "-",
    output_format: Annotated[
        Optional[str],
        typer.Option(
            "--format",
            "-f",
            help=f"{FORMATS[0]} (default), {', '.join(FORMATS[1:])} (one page) or "
            f"{listed(BINARY_FORMATS)} (one DocBin file; needs --output).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Optional[str],  # str, not Path: with --engine spark it may be a URI (s3a://, hdfs://)
        typer.Option("--output", "-o", help="Write here (atomically) instead of stdout."),
    ] = None,
    unit: Annotated[
        str,
        typer.Option(
            help=f"One output record per: {listed(UNITS)} (paragraph: blank-line separated; "
            "document: the whole input)."
        ),
    ] = "line",
    encoding: Annotated[str, typer.Option(help="Encoding of the input text.")] = "utf-8",
    pretokenized: Annotated[
        bool,
        typer.Option(
            "--pretokenized", help="Tokens are separated by whitespace; each line is one sentence."
        ),
    ] = False,
    one_sentence_per_line: Annotated[
        bool,
        typer.Option(
            "--one-sentence-per-line", help="Each line is one sentence (tokenized, never split)."
        ),
    ] = False,
    with_tokens: Annotated[
        bool,
        typer.Option(
            "--with-tokens", help="jsonl and --dataset: add every token with its tag and score."
        ),
    ] = False,
    out_scheme: Annotated[
        str,
        typer.Option(help=f"Tag scheme of conll, slash and --with-tokens: {listed(SCHEMES)}."),
    ] = "iob2",
    batch_size: Annotated[
        int, typer.Option(help="Records (or --dataset rows) read, tagged and written together.")
    ] = TAG_BATCH_SIZE,
    decode: Annotated[
        Optional[str],
        typer.Option(help=f"{listed(DECODERS)}; default: the model's own.", show_default=False),
    ] = None,
    progress: Annotated[
        Optional[bool],
        typer.Option(
            "--progress/--no-progress",
            help="Progress bar on stderr; default: on when --output is set and stderr is a "
            "terminal.",
            show_default=False,
        ),
    ] = None,
    dataset: Annotated[
        Optional[str],
        typer.Option(
            help="Tag the texts of this .parquet or .jsonl table (needs --output); with "
            "--engine spark, any path or URI Spark reads."
        ),
    ] = None,
    text_column: Annotated[
        str, typer.Option(help="--dataset: the column holding the texts.")
    ] = "text",
    num_proc: Annotated[
        int,
        typer.Option(
            help="Processes tagging side by side (0: one per core); the output is the same. "
            "With --dataset: shards of the table."
        ),
    ] = 1,
    document_column: Annotated[
        Optional[str],
        typer.Option(
            help="--dataset: a column of document ids; consecutive rows of one id share their "
            "document context (default: each row is one document).",
            show_default=False,
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help=f"--dataset: {listed(ENGINES)}: local is datasets, on this machine; spark is "
            "Apache Spark (OUTPUT becomes a folder of part files)."
        ),
    ] = "local",
    master: Annotated[
        Optional[str],
        typer.Option(
            help="--engine spark: the master URL; default: spark-submit's, else local[*].",
            show_default=False,
        ),
    ] = None,
    conf: Annotated[
        Optional[list[str]],
        typer.Option(
            help="--engine spark: a Spark setting KEY=VALUE (repeatable).", show_default=False
        ),
    ] = None,
    num_partitions: Annotated[
        Optional[int],
        typer.Option(
            help="--engine spark: repartition the rows into N partitions (default: as read).",
            show_default=False,
        ),
    ] = None,
    shared_model: Annotated[
        bool,
        typer.Option(
            "--shared-model",
            help="--engine spark: every executor reads MODEL at this same path (shared "
            "storage) instead of receiving a copy.",
        ),
    ] = False,
) -> None:
    """Tokenize as CoNLL-2003 was (PTB-like), split into sentences, tag, and write entities."""
    one_blas_thread()
    with user_errors():
        from windowner.atomic import refuse_inputs
        from windowner.tagging.options import TagOptions

        inputs = {"model": model}
        inputs["--dataset table" if dataset is not None else "input text"] = dataset or source
        refuse_inputs(output, inputs)
        segmentation = (
            "whitespace" if pretokenized else "lines" if one_sentence_per_line else "sentences"
        )
        options = TagOptions(segmentation, decode, batch_size, with_tokens, out_scheme)
        if progress is None:
            progress = output is not None and sys.stderr.isatty()
        if dataset is None:
            _refuse_table_options(
                text_column, engine, master, conf or None, num_partitions, shared_model
            )
            if document_column is not None:
                raise UserError("--document-column needs --dataset (a table of texts)")
            from windowner.tagging.stream import tag_file

            result = tag_file(
                model,
                source,
                output,
                output_format=output_format or "jsonl",
                unit=unit,
                encoding=encoding,
                options=options,
                progress=progress,
                num_proc=num_proc,
            )
        else:
            if source != "-" or output_format is not None or unit != "line":
                raise UserError("--dataset takes no FILE, --format or --unit: one row is one text")
            if output is None:
                raise UserError("--dataset needs --output OUT.parquet or OUT.jsonl")
            check_choice_option("--engine", engine, ENGINES)
            if engine == "spark":
                if num_proc != 1:
                    raise UserError("--num-proc is for --engine local; Spark uses its cores")
                if document_column is not None:
                    raise UserError(
                        "--document-column is for --engine local: Spark tags each row apart, "
                        "in whichever partition holds it"
                    )
                result = _tag_on_spark(
                    model,
                    dataset,
                    output,
                    options,
                    master=master,
                    conf=conf or [],
                    text_column=text_column,
                    num_partitions=num_partitions,
                    shared=shared_model,
                )
            else:
                if master or conf or num_partitions is not None or shared_model:
                    raise UserError(
                        "--master, --conf, --num-partitions and --shared-model need --engine spark"
                    )
                from windowner.tagging.engines.local import tag_dataset
                from windowner.tagging.parallel import processes

                result = tag_dataset(
                    model,
                    dataset,
                    output,
                    options,
                    text_column=text_column,
                    num_proc=processes(num_proc),
                    progress=progress,
                    document_column=document_column,
                )
        if progress:
            print(result.summary(), file=sys.stderr)


def _refuse_table_options(text_column, engine, master, conf, partitions, shared):
    """Options of --dataset given without it: refused, never silently ignored."""
    given = [
        name
        for name, value, default in (
            ("--text-column", text_column, "text"),
            ("--engine", engine, "local"),
            ("--master", master, None),
            ("--conf", conf, None),
            ("--num-partitions", partitions, None),
            ("--shared-model", shared, False),
        )
        if value != default
    ]
    if given:
        verb = "needs" if len(given) == 1 else "need"
        raise UserError(f"{', '.join(given)} {verb} --dataset (a table of texts)")


def check_choice_option(flag: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise UserError(f"{flag} must be {listed(choices)}, got {quoted(value)}")


def _tag_on_spark(model: Path, dataset: str, output: str, options, *, conf: list[str], **more):
    try:
        from windowner.tagging.engines.spark_job import tag_spark_dataset
        from windowner.tagging.engines.spark_session import parse_conf
    except ImportError as error:
        raise UserError(
            f"--engine spark needs pyspark ({error}): pip install 'windowner[spark]'"
        ) from None
    return tag_spark_dataset(model, dataset, output, options, conf=parse_conf(conf), **more)


def run() -> None:
    app()
