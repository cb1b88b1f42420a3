"""Every data source a user may bring, read into one Corpus: CoNLL files, spaCy's `.spacy`
(DocBin) files (data/docbin.py), and through `datasets` Hugging Face hub datasets
(`hf:NAME[:CONFIG][@SPLIT]`), `.parquet`, `.jsonl`/`.json` and `.arrow` files and
`save_to_disk` folders with a `tokens` and a `ner_tags` column.

`ner_tags` may hold ClassLabel ids (their names are the tags) or tag strings; either way the
tags go through the same scheme detection and IOB2 conversion as a CoNLL file's. A row whose
only token is `-DOCSTART-` separates documents, as in a CoNLL file; a document column, if one is
named, says instead which rows form a document (data/documents.py).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from windowner.choices import quoted
from windowner.data.conll import DOCSTART, Corpus, build_corpus, read_conll, resolve_scheme_option
from windowner.data.docbin import is_docbin, read_docbin
from windowner.data.documents import check_document_column, document_numbers
from windowner.data.files import TABLE_KINDS
from windowner.errors import UserError, first_line

HUB_PREFIX = "hf:"
DEFAULT_COLUMNS = ("tokens", "ner_tags")
# Which split of a hub dataset (or of a save_to_disk DatasetDict) each data option reads.
ROLE_SPLITS = {"train": "train", "dev": "validation", "test": "test"}

Columns = tuple[int, int] | tuple[str, str]


@dataclass(frozen=True)
class HubSpec:
    """`hf:NAME[:CONFIG][@SPLIT]`, e.g. `hf:eriktks/conll2003@validation`."""

    name: str
    config: str | None
    split: str | None


def parse_hub_spec(spec: str) -> HubSpec:
    """'hf:org/data:config@test' -> HubSpec('org/data', 'config', 'test')."""
    body = spec.removeprefix(HUB_PREFIX)
    body, at, split = body.partition("@")
    name, colon, config = body.partition(":")
    if not name or (colon and not config) or (at and not split):
        raise UserError(f"expected hf:NAME[:CONFIG][@SPLIT], got {quoted(spec)}")
    return HubSpec(name, config or None, split or None)


def parse_columns(text: str) -> Columns:
    """--columns: '0,3' (CoNLL columns, 0-based) or 'words,labels' (dataset column names)."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise UserError(
            f"--columns expects TOKEN,TAG (like 0,3 or tokens,ner_tags), got {quoted(text)}"
        )
    numbers = [_int_or_none(part) for part in parts]
    if all(n is not None for n in numbers):
        return numbers[0], numbers[1]
    if any(n is not None for n in numbers):
        raise UserError(f"--columns: give two numbers or two names, got {quoted(text)}")
    return parts[0], parts[1]


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def is_dataset_source(spec: str | Path) -> bool:
    """True for what `datasets` reads: hf:..., .parquet/.jsonl/.json/.arrow, a dataset folder."""
    text = str(spec)
    if text.startswith(HUB_PREFIX):
        return True
    path = Path(text)
    return path.suffix.lower() in {*TABLE_KINDS, ".arrow"} or _is_saved_dataset(path)


def _is_saved_dataset(path: Path) -> bool:
    return path.is_dir() and any(
        (path / name).exists() for name in ("dataset_dict.json", "state.json")
    )


def read_corpus(
    spec: str | Path,
    *,
    split: str | None = None,
    columns: Columns | None = None,
    delimiter: str | None = None,
    scheme: str | None = None,
    document_column: str | None = None,
) -> Corpus:
    """Read any data source into a Corpus (IOB2 tags, the source's scheme recorded).

    `split` names the split of a hub dataset or a saved DatasetDict (`@SPLIT` in the spec wins;
    default "train"); see ROLE_SPLITS. `columns` are two numbers for a CoNLL file, two names for
    a dataset (default tokens, ner_tags). `delimiter` applies to CoNLL files only,
    `document_column` (consecutive rows of one id are one document) to datasets only. A .spacy
    file's tokens and entities are its Docs' (data/docbin.py): it takes no `columns`.
    """
    if is_docbin(spec):
        if columns is not None:
            raise UserError(
                "--columns is for CoNLL files and datasets; a .spacy file has Docs", spec
            )
        if document_column is not None:
            raise UserError(
                "a document column is for datasets; a .spacy file's Docs are its documents", spec
            )
        return read_docbin(spec, scheme=scheme)
    if not is_dataset_source(spec):
        if columns is not None and not all(isinstance(c, int) for c in columns):
            raise UserError(
                "--columns names dataset columns; a CoNLL file's are numbers like 0,3", spec
            )
        if document_column:
            raise UserError(
                "a document column is for tables; a CoNLL file's documents are separated by "
                "-DOCSTART- lines",
                spec,
            )
        return read_conll(spec, columns=columns, delimiter=delimiter, scheme=scheme)
    if columns is not None and not all(isinstance(c, str) for c in columns):
        raise UserError("--columns numbers CoNLL columns; a dataset's are names", spec)
    return read_dataset(
        spec,
        split=split,
        columns=columns or DEFAULT_COLUMNS,
        scheme=scheme,
        document_column=document_column,
    )


def read_dataset(
    spec: str | Path,
    *,
    split: str | None = None,
    columns: tuple[str, str] = DEFAULT_COLUMNS,
    scheme: str | None = None,
    document_column: str | None = None,
) -> Corpus:
    """A hub dataset or a local dataset file or folder, read through `datasets`."""
    forced = resolve_scheme_option(scheme)
    text = str(spec)
    if text.startswith(HUB_PREFIX):
        hub = parse_hub_spec(text)
        split = hub.split or split or "train"
        where = f"{HUB_PREFIX}{hub.name}{':' + hub.config if hub.config else ''}@{split}"
        dataset = _load_hub(hub, split, where)
    else:
        path = Path(text)
        where = text
        if not path.exists():
            raise UserError("no such file or folder", path)
        with _quiet_datasets():
            dataset = _load_local(path, split)
    return _corpus_from_dataset(dataset, where, columns, forced, document_column or None)


def _load_hub(hub: HubSpec, split: str, where: str):
    """load_dataset from the hub; an unreachable hub is one clear UserError, not retries."""
    import datasets

    with _offline_unless_reachable() as offline:
        try:
            return datasets.load_dataset(hub.name, hub.config, split=split)
        except (OSError, ValueError, ImportError, RuntimeError) as error:
            # RuntimeError: a hub dataset that only has a loading script, which datasets >= 4
            # no longer runs.
            reason = first_line(error)
            if isinstance(error, ConnectionError) or offline:
                reason = (
                    "the Hugging Face hub is unreachable (no network?) and the dataset is not in "
                    f"the local datasets cache ({reason})"
                )
            raise UserError(f"cannot load from the hub: {reason}", where) from None


@contextlib.contextmanager
def _offline_unless_reachable(timeout: float = 3.0) -> Iterator[bool]:
    """Switch `datasets` and huggingface_hub to offline mode (cache only) for the duration if the
    hub cannot be reached, so that a machine without network fails at once instead of after
    half a minute of retries. Yields whether offline mode is on."""
    import datasets
    from huggingface_hub import constants

    if datasets.config.HF_HUB_OFFLINE or constants.HF_HUB_OFFLINE:
        yield True
        return
    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        saved = datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE
        datasets.config.HF_HUB_OFFLINE = constants.HF_HUB_OFFLINE = True
        try:
            yield True
        finally:
            datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE = saved
        return
    yield False


@contextlib.contextmanager
def datasets_logs_silenced() -> Iterator[None]:
    """datasets logs its own error line for a malformed file (`Failed to load JSON from file
    ...`) before raising; the UserError made of the exception is the one line to show."""
    import datasets

    verbosity = datasets.logging.get_verbosity()
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)
    try:
        yield
    finally:
        datasets.logging.set_verbosity(verbosity)


def _load_local(path: Path, split: str | None):
    import datasets

    try:
        if path.is_dir():
            if not _is_saved_dataset(path):
                raise UserError("is a folder but not one written by datasets' save_to_disk", path)
            loaded = datasets.load_from_disk(str(path))
            if isinstance(loaded, datasets.DatasetDict):
                split = split or "train"
                if split not in loaded:
                    raise UserError(
                        f"has no split {quoted(split)}; its splits: {', '.join(loaded)}", path
                    )
                loaded = loaded[split]
            return loaded
        if path.suffix.lower() == ".arrow":
            return datasets.Dataset.from_file(str(path))
        builder = TABLE_KINDS[path.suffix.lower()]
        check_table_file(path)
        with datasets_logs_silenced():
            return datasets.load_dataset(builder, data_files=str(path), split="train")
    except UserError:
        raise
    except StopIteration:  # datasets' json reader, on a file of no rows
        raise UserError("no rows: the file holds no data", path) from None
    except (OSError, ValueError, datasets.exceptions.DatasetGenerationError) as error:
        cause = error.__cause__ or error  # "An error occurred while generating" says nothing
        raise UserError(f"cannot read as a dataset: {first_line(cause)}", path) from None


def check_table_file(path: str | Path) -> None:
    """Refuse, with one line, the .parquet or .jsonl/.json files that `datasets` and pyarrow
    report badly (a traceback, a line of their internals or several lines): an empty one and
    a parquet file with two columns of one name. Other damage is left to them."""
    path = Path(path)
    with contextlib.suppress(OSError):
        if path.is_file() and path.stat().st_size == 0:
            raise UserError("no rows: the file is empty", path)
    if path.suffix.lower() != ".parquet":
        return
    import pyarrow.parquet

    try:
        metadata = pyarrow.parquet.ParquetFile(path).metadata
    except Exception:  # not parquet, or damaged: datasets says how
        return
    names = metadata.schema.to_arrow_schema().names
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise UserError(f"two columns named {quoted(twice[0])}: columns need distinct names", path)
    if metadata.num_rows == 0:
        raise UserError("no rows: the file holds no data", path)


@contextlib.contextmanager
def _quiet_datasets() -> Iterator[None]:
    """No progress bars while `datasets` converts a small local file."""
    import datasets

    was_enabled = datasets.is_progress_bar_enabled()
    quiet = was_enabled and os.environ.get("HF_DATASETS_DISABLE_PROGRESS_BARS") is None
    if quiet:
        datasets.disable_progress_bars()
    try:
        yield
    finally:
        if quiet:
            datasets.enable_progress_bars()


def _corpus_from_dataset(
    dataset, where: str, columns: tuple[str, str], scheme: str | None, document_column: str | None
) -> Corpus:
    """Rows of (tokens, ner_tags) -> a Corpus; tag ids become their ClassLabel names. With a
    `document_column`, its ids say which rows form a document and -DOCSTART- rows are skipped."""
    token_column, tag_column = columns
    for column in columns:
        if column not in dataset.column_names:
            raise UserError(
                f"no column {quoted(column)}; its columns: {', '.join(dataset.column_names)}", where
            )
    if document_column is not None:
        check_document_column(document_column, dataset.column_names, where)
    names = _label_names(dataset.features[tag_column])
    table = dataset.with_format("arrow")[:]
    all_tokens = table.column(token_column).to_pylist()
    all_tags = table.column(tag_column).to_pylist()
    all_ids = table.column(document_column).to_pylist() if document_column else None
    id_rows: list[tuple[int, object]] = []  # (row, document id) of each sentence
    raw: list[tuple[tuple[str, ...], list[str]]] = []
    first_row: dict[str, int] = {}
    documents = 0
    document_of: list[int] = []  # each sentence's -DOCSTART- document, if rows mark them
    for row, (tokens, tags) in enumerate(zip(all_tokens, all_tags, strict=True), start=1):
        tokens, tags = tokens or [], tags or []
        if tokens == [DOCSTART]:
            if documents == 0 and raw:
                documents = 1  # the rows before the first -DOCSTART- are a document too
            documents += 1
            continue
        if len(tokens) != len(tags):
            raise UserError(f"row {row}: {len(tokens)} tokens but {len(tags)} tags", where)
        if not tokens:
            continue
        tags = [_tag_name(tag, names, row, where) for tag in tags]
        if not all(isinstance(token, str) and token for token in tokens):
            raise UserError(f"row {row}: {quoted(token_column)} must hold non-empty strings", where)
        for tag in tags:
            first_row.setdefault(tag, row)
        raw.append((tuple(tokens), tags))
        document_of.append(max(documents - 1, 0))
        if all_ids is not None:
            id_rows.append((row, all_ids[row - 1]))
    if not raw:
        raise UserError("no sentences found (no row has tokens)", where)

    def error_at(message: str, tag: str) -> UserError:
        return UserError(f"row {first_row.get(tag)}: {message}", where)

    if document_column is not None:
        marked = document_numbers(id_rows, document_column, where)
        return build_corpus(where, raw, marked[-1] + 1, scheme, error_at, marked)
    # Rows without -DOCSTART- rows between them carry no document boundaries: each row (one
    # sentence in the Hugging Face NER datasets) is then its own document, and counted as one
    # (training.with_dev numbers dev's documents after train's).
    if not documents:
        return build_corpus(where, raw, len(raw), scheme, error_at, None)
    return build_corpus(where, raw, documents, scheme, error_at, document_of)


def _label_names(feature: Any) -> list[str] | None:
    """The ClassLabel names of a sequence-of-ClassLabel feature, else None (tag strings)."""
    from datasets import ClassLabel

    inner = getattr(feature, "feature", None)
    return list(inner.names) if isinstance(inner, ClassLabel) else None


def _tag_name(tag: Any, names: list[str] | None, row: int, where: str) -> str:
    if isinstance(tag, str):
        return tag
    if isinstance(tag, int) and not isinstance(tag, bool):
        if names is None:
            raise UserError(
                f"row {row}: tags are numbers but the dataset has no label names (ClassLabel); "
                "store the tag strings instead",
                where,
            )
        if 0 <= tag < len(names):
            return names[tag]
        raise UserError(f"row {row}: tag id {tag} is not one of the {len(names)} labels", where)
    raise UserError(f"row {row}: a tag must be a string or a label id, got {tag!r}", where)
