"""Tag a text file or stdin as a stream: read a batch of units, tag it, write it, repeat.

Memory stays bounded by a few batches (plus the model), whatever the size of the input, and
output appears as input is read. `tag_file` is what `ner-tag` runs and is also the library
entry point.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from windowner.atomic import atomic_write
from windowner.choices import BINARY_FORMATS, FORMATS, quoted
from windowner.data.text_input import TextReader
from windowner.errors import UserError
from windowner.model.inference import forward_threads
from windowner.model_file import Model, load_model
from windowner.tagging.formats import FORMATTERS, footer, header, long_record
from windowner.tagging.options import TagOptions
from windowner.tagging.results import TaggedText
from windowner.tagging.segment import MAX_PIECE_CHARS
from windowner.tagging.text import DEFAULTS, batches, tag_batch, tag_pieces


@dataclass(frozen=True)
class TagRun:
    """What a run tagged: units (output records), sentences and tokens, in wall seconds."""

    units: int
    sentences: int
    tokens: int
    seconds: float

    def summary(self) -> str:
        rate = self.tokens / self.seconds if self.seconds else 0.0
        return (
            f"tagged {self.units:,} units, {self.sentences:,} sentences, {self.tokens:,} tokens "
            f"in {self.seconds:.1f} s ({rate:,.0f} tokens/s)"
        )


def tag_file(
    model: str | Path | Model,
    source: str = "-",
    output: str | Path | None = None,
    *,
    output_format: str = "jsonl",
    unit: str = "line",
    encoding: str = "utf-8",
    options: TagOptions = DEFAULTS,
    progress: bool = False,
    num_proc: int = 1,
) -> TagRun:
    """Tag `source` (a file, '-' for stdin) into `output` (written atomically; None: stdout),
    one record per `unit` of the text, in `output_format`, on `num_proc` processes (0: one
    per core; the same output whatever their number: tagging/parallel.py).

    The arguments and the input are checked before the model is loaded and anything written.
    A binary format ("spacy": one Doc per record, tagging/docbin.py) needs an `output`.
    """
    check_format(output_format, options)
    if output_format in BINARY_FORMATS and output is None:
        raise UserError(
            f"--format {output_format} writes a binary file (a spaCy DocBin), not text for a "
            "terminal or a pipe: give it --output OUT.spacy"
        )
    docbin = None
    if output_format == "spacy":
        from windowner.tagging.docbin import DocBinWriter

        docbin = DocBinWriter()  # before the model is loaded: is spaCy there?
        num_proc = 1  # one DocBin is built whole in this process: the same file either way
    if num_proc != 1:
        from windowner.tagging import parallel

        num_proc = parallel.processes(num_proc)
    reader = TextReader(source, unit, encoding)
    loaded = model if isinstance(model, Model) else load_model(model)
    # a regular file never makes reading wait, so batches may be tagged ahead of the writing;
    # a pipe or terminal gets each batch's output as soon as it is read
    ahead = TAG_AHEAD if reader.size is not None else 0
    if docbin is not None:
        with progress_bar(progress, reader.size) as advance:
            run = tag_stream(
                loaded,
                reader,
                None,
                options=options,
                after_batch=lambda: advance(reader.bytes_read),
                ahead=ahead,
                collect=docbin.add,
            )
        docbin.write(output)
        return run
    if num_proc > 1:
        return parallel.tag_file_parallel(
            loaded,
            reader,
            output,
            output_format=output_format,
            options=options,
            workers=num_proc,
            progress=progress,
        )
    with _destination(output) as write, progress_bar(progress, reader.size) as advance:
        return tag_stream(
            loaded,
            reader,
            write,
            output_format=output_format,
            options=options,
            after_batch=lambda: advance(reader.bytes_read),
            ahead=ahead,
        )


def tag_stream(
    model: Model,
    texts: Iterable[str],
    write: Callable[[str], object] | None,
    *,
    output_format: str = "jsonl",
    options: TagOptions = DEFAULTS,
    after_batch: Callable[[], object] | None = None,
    ahead: int = 0,
    collect: Callable[[TaggedText], object] | None = None,
) -> TagRun:
    """Tag `texts` (one output record each) and `write` the formatted records batch by batch,
    between the format's header and footer.

    With `ahead` > 0, up to that many batches after the one being written are read and tagged
    on worker threads meanwhile (see _tagged_batches): the same output, sooner, for an input
    that is all there (a file); 0 writes each batch before the next is read.
    With `collect`, each text's TaggedText (a long text's pieces joined into one) is handed to
    it in order instead, and nothing is formatted or written (the binary formats).
    """
    started = time.perf_counter()
    units = sentences = tokens = 0
    if collect is None:
        write(header(output_format, tuple(model.entity_types)))
    tagged_batches = _tagged_batches(model, batches(texts, options.batch_size), options, ahead)
    for batch in tagged_batches:
        if collect is None:
            counts = write_tagged(model, batch, units, write, output_format, options)
        else:
            counts = _collect_tagged(model, batch, collect, options)
        units, sentences, tokens = units + counts[0], sentences + counts[1], tokens + counts[2]
        if after_batch is not None:
            after_batch()
    closing = footer(output_format) if collect is None else ""
    if closing:  # most formats have none: no empty write after the last batch
        write(closing)
    return TagRun(units, sentences, tokens, time.perf_counter() - started)


# Batches of a file tagged ahead of the one being written, on worker threads.
TAG_AHEAD = 2


def _tagged_batches(
    model: Model, texts: Iterator[list[str]], options: TagOptions, ahead: int
) -> Iterator[list[list[TaggedText] | str]]:
    """Each batch of texts tagged, in input order: its runs of ordinary texts as TaggedTexts
    and each long text as itself (written piece by piece by the caller).

    With `ahead` > 0, batches are tagged on forward_threads() worker threads, up to `ahead`
    batches ahead of the one being written: while one thread is in a matrix product, which
    releases the GIL, another tokenizes and formats. Each batch is tagged exactly as alone
    (every table a batch reads holds pure functions of a token), so the output is the same,
    and it comes out in order.
    Reading stays on this thread: a bad line is reported after the batches before it are out.
    """

    def tag_runs(batch: list[str]) -> list[list[TaggedText] | str]:
        return tagged_runs(model, batch, options)

    threads = forward_threads()
    if threads == 1 or ahead < 1:
        yield from map(tag_runs, texts)
        return
    pending: deque[Future] = deque()
    with ThreadPoolExecutor(threads, thread_name_prefix="windowner-tag") as pool:
        try:
            while True:
                try:
                    batch = next(texts)
                except StopIteration:
                    break
                except Exception:  # unreadable input: the batches read before it go out first
                    while pending:
                        yield pending.popleft().result()
                    raise
                pending.append(pool.submit(tag_runs, batch))
                if len(pending) > ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # an error (or the caller stopping): drop the batches not started
            for future in pending:
                future.cancel()


def tagged_runs(
    model: Model, batch: list[str], options: TagOptions
) -> list[list[TaggedText] | str]:
    """One batch of texts tagged, in order: its runs of ordinary texts as TaggedTexts and each
    long text as itself (write_tagged writes it piece by piece)."""
    return [
        run[0] if len(run[0]) > MAX_PIECE_CHARS else tag_batch(model, run, options)
        for run in _runs(batch)
    ]


def _collect_tagged(
    model: Model,
    batch: list[list[TaggedText] | str],
    collect: Callable[[TaggedText], object],
    options: TagOptions,
) -> tuple[int, int, int]:
    """Hand each text of one batch of tagged_runs() to `collect` in order (a long text's pieces
    joined into one); -> (units, sentences, tokens) it held."""
    texts = [_joined(model, run, options) if isinstance(run, str) else run for run in batch]
    flat = [text for run in texts for text in ([run] if isinstance(run, TaggedText) else run)]
    for tagged in flat:
        collect(tagged)
    sentences = sum(len(t.sentences) for t in flat)
    return len(flat), sentences, sum(len(s) for t in flat for s in t.sentences)


def write_tagged(
    model: Model,
    batch: list[list[TaggedText] | str],
    units: int,
    write: Callable[[str], object],
    output_format: str,
    options: TagOptions,
) -> tuple[int, int, int]:
    """`write` the records of one batch of tagged_runs(), numbered from `units` + 1;
    -> (units, sentences, tokens) it held.

    A text too long to tag at once (one enormous line) is tagged and written piece by piece
    between the runs of ordinary texts around it, which were tagged together.
    """
    formatter = FORMATTERS[output_format]
    first, sentences, tokens = units, 0, 0
    for run in batch:
        if isinstance(run, str):
            counts = _write_long(model, run, units + 1, write, output_format, options)
            units, sentences, tokens = units + 1, sentences + counts[0], tokens + counts[1]
            continue
        write("".join(formatter(t, units + i, options) for i, t in enumerate(run, 1)))
        units += len(run)
        sentences += sum(len(t.sentences) for t in run)
        tokens += sum(len(sentence) for t in run for sentence in t.sentences)
    return units - first, sentences, tokens


def _runs(batch: list[str]) -> Iterator[list[str]]:
    """The batch in order as runs of ordinary texts, each long text a run of its own."""
    run: list[str] = []
    for text in batch:
        if len(text) > MAX_PIECE_CHARS:
            if run:
                yield run
                run = []
            yield [text]
        else:
            run.append(text)
    if run:
        yield run


def _write_long(
    model: Model,
    text: str,
    unit: int,
    write: Callable[[str], object],
    output_format: str,
    options: TagOptions,
) -> tuple[int, int]:
    """Tag and write one long text piece by piece; -> (sentences, tokens) it had."""
    counts = [0, 0]

    def pieces() -> Iterator[TaggedText]:
        counts[:] = [0, 0]
        for piece in tag_pieces(model, text, options):
            counts[0] += len(piece.sentences)
            counts[1] += sum(len(sentence) for sentence in piece.sentences)
            yield piece

    for part in long_record(pieces, unit, output_format, options):
        write(part)
    return counts[0], counts[1]


def _joined(model: Model, text: str, options: TagOptions) -> TaggedText:
    """A long text's pieces (tag_pieces) as one TaggedText: for a sink that holds its records
    whole anyway."""
    joined = TaggedText(text, [], [], [])
    for piece in tag_pieces(model, text, options):
        joined.sentences.extend(piece.sentences)
        joined.tags.extend(piece.tags)
        joined.scores.extend(piece.scores)
    return joined


def check_format(output_format: str, options: TagOptions) -> None:
    """Raise a UserError for an unknown format, or tokens asked of a format that has none."""
    if output_format not in FORMATS + BINARY_FORMATS:
        raise UserError(
            f"unknown --format {quoted(output_format)}; choose from "
            f"{', '.join(FORMATS + BINARY_FORMATS)}"
        )
    if options.with_tokens and output_format != "jsonl":
        raise UserError("--with-tokens needs --format jsonl")


@contextlib.contextmanager
def _destination(output: str | Path | None) -> Iterator[Callable[[str], object]]:
    """A write function: into `output` atomically, or UTF-8 to stdout whatever the locale."""
    if output is not None:
        with atomic_write(output, "w") as f:
            yield f.write
        return
    stdout = sys.stdout.buffer
    yield lambda text: stdout.write(text.encode("utf-8"))
    stdout.flush()


@contextlib.contextmanager
def progress_bar(enabled: bool, total: int | None) -> Iterator[Callable[[int], None]]:
    """A function moving a bytes-read progress bar on stderr to its argument, or a no-op."""
    if not enabled:
        yield lambda done: None
        return
    from tqdm import tqdm

    with tqdm(
        total=total, unit="B", unit_scale=True, unit_divisor=1024, desc="ner-tag", file=sys.stderr
    ) as bar:
        yield lambda done: bar.update(done - bar.n)
