"""spaCy's DocBin files (`.spacy`) read into a Corpus, without trusting them.

A DocBin is zlib-compressed msgpack: a map whose `tokens` is a flat uint64 array, one row per
token and one column per attribute in `attrs` (ORTH, ENT_IOB, ENT_TYPE, SENT_START, ...), whose
`lengths` are the Docs' token counts (int32) and whose `strings` are the strings that the
hashes in `tokens` stand for. What is read of it:

- tokens: ORTH. spaCy's whitespace tokens (a line break, the second of two spaces) are left
  out, as windowner's own tokenizer leaves whitespace out; an entity keeps its other tokens.
- entities: ENT_IOB (0 missing, 1 I, 2 O, 3 B) and ENT_TYPE, read as spaCy's `Doc.ents` reads
  them, then written as tags in the scheme asked for (IOB2 by default) and read back like any
  other source's. A DocBin stores entities per token, so none can overlap or end inside a
  token; what a damaged or hand-made file can hold instead (an I with no entity open, an I
  typed unlike its entity, a token without annotation, an entity of whitespace alone) is a
  UserError naming the Doc and the token, both counted from 0 as `list(doc_bin.get_docs(vocab))`
  counts them.
- sentences: SENT_START (1 starts a sentence); a DocBin written without it gives one sentence
  per Doc.
- documents: each Doc is one, unless the file holds `-DOCSTART-` tokens (what `spacy convert
  --converter ner` makes of a CoNLL file's -DOCSTART- lines: one-token Docs with -n 1, one-token
  sentences inside Docs of n sentences otherwise): then, exactly as in read_conll, each
  -DOCSTART- ends a sentence and starts a document, and the Docs' own bounds end sentences only.

Why not spaCy's `DocBin().from_disk`: it inflates the whole file with no bound (a 1 MB file
can hold a gigabyte), decodes every part of it (categories, user data, span groups) and hands
the arrays to `Doc.from_array`, all to build Doc objects of which four columns are used. Here
the file is inflated as it is read, up to MAX_INFLATED_BYTES, and walked with srsly's msgpack
unpacker without any hook (nothing is built but ints, bytes and strings: no pickle, no numpy
dtype taken from the file); the parts not used are skipped unbuilt; every array is checked
before use and no Doc is built. spaCy is still needed for the strings: a string's id is its
64-bit hash unless it is one of spaCy's symbols (LOC and ORG are), so reading a .spacy file
needs the `spacy` extra.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from windowner.choices import OUTSIDE, quoted
from windowner.data.conll import DOCSTART, Corpus, build_corpus, resolve_scheme_option
from windowner.data.tags import convert
from windowner.errors import UserError, first_line, reading

SUFFIX = ".spacy"
# The most bytes a .spacy file may inflate to (and the most it may hold): about 4.9 million
# tokens with the 13 attributes spaCy's DocBin stores by default, 20 times CoNLL-2003's
# training file (22 MB inflated). The largest part (the token array) is held twice at most.
MAX_INFLATED_BYTES = 512 << 20
CHUNK = 1 << 20  # compressed bytes read at a time
# A DocBin stores at most 9 strings per token (text, tag, lemma, norm, morph, dep, entity type,
# KB id, entity id) besides its span groups' labels: more is a damaged file, and only costs time.
STRINGS_PER_TOKEN = 9
STRINGS_SLACK = 100_000
# Containers unpacked whole are small ones (a string, the attribute list); the large parts
# (the Docs' categories, user data, span groups) are skipped without being built.
MAX_ATTRS = 1000
_IOB = {1: "I", 2: OUTSIDE, 3: "B"}  # ENT_IOB's values; 0 is "missing"


def is_docbin(spec: str | Path) -> bool:
    """True for a path ending in .spacy (any case): read by read_docbin."""
    return Path(str(spec)).suffix.lower() == SUFFIX


def read_docbin(path: str | Path, *, scheme: str | None = None) -> Corpus:
    """Read a DocBin file into a Corpus in IOB2; every problem is one UserError naming the
    file (and the Doc, where one is at fault). `scheme` (None or "auto": IOB2) is the scheme
    the entities are written in as tags before they are read back, as a CoNLL file's would be
    (IO merges two adjacent entities of one type)."""
    forced = resolve_scheme_option(scheme)
    spacy = _spacy(path)
    table = _read_table(path, spacy)
    return _corpus(table, str(path), forced or "iob2")


@dataclass
class _Spacy:
    """What reading needs of spaCy: the attribute ids and the id a string is stored as."""

    ORTH: int
    ENT_IOB: int
    ENT_TYPE: int
    SENT_START: int
    string_id: Callable[[str], int]


def _spacy(path: str | Path) -> _Spacy:
    try:
        from spacy import attrs
        from spacy.strings import get_string_id
    except ImportError as error:
        raise UserError(
            f"reading a .spacy file needs spaCy ({error}): pip install 'windowner[spacy]'", path
        ) from None
    return _Spacy(attrs.ORTH, attrs.ENT_IOB, attrs.ENT_TYPE, attrs.SENT_START, get_string_id)


@dataclass
class _Table:
    """The columns read from a DocBin: one entry per token, and each Doc's token count."""

    orth: np.ndarray  # (n,) uint64: the text's id
    iob: np.ndarray | None  # (n,) uint64: ENT_IOB, None if the file has no such column
    types: np.ndarray | None  # (n,) uint64: ENT_TYPE's id
    sent_start: np.ndarray | None  # (n,) uint64: SENT_START (1, 0 or -1 as uint64)
    lengths: np.ndarray  # (docs,) int64, summing to n
    strings: dict[int, str]  # id -> string, for the ids of orth and types


def _read_table(path: str | Path, spacy: _Spacy) -> _Table:
    """Two passes over the file: the map's arrays first, then its strings, of which only those
    the arrays use are kept (a map may put its strings before its arrays)."""
    parts = _walk(path, lambda unpacker, key: _arrays_part(unpacker, key, path))
    for key in ("attrs", "tokens", "lengths"):
        if key not in parts:
            raise UserError(f"not a DocBin: its map has no {quoted(key)}", path)
    attrs, tokens, lengths = parts["attrs"], parts["tokens"], parts["lengths"]
    if spacy.ORTH not in attrs:
        raise UserError("not a DocBin: its attrs hold no ORTH (the tokens' text)", path)
    width = len(attrs)
    if len(tokens) % (8 * width):
        raise UserError(
            f"damaged DocBin: its token array ({len(tokens):,} bytes) is not whole rows of "
            f"{width} attributes",
            path,
        )
    if len(lengths) % 4:
        raise UserError("damaged DocBin: its lengths are not whole int32s", path)
    grid = np.frombuffer(tokens, dtype="<u8").reshape(-1, width)
    counts = np.frombuffer(lengths, dtype="<i4").astype(np.int64)
    if (counts < 0).any() or counts.sum() != len(grid):
        raise UserError(
            f"damaged DocBin: its Docs' lengths add up to {int(counts[counts > 0].sum()):,} "
            f"tokens, its token array holds {len(grid):,}",
            path,
        )
    if not len(counts):
        raise UserError("no Docs in it", path)

    def column(attr: int) -> np.ndarray | None:
        return grid[:, attrs.index(attr)] if attr in attrs else None

    table = _Table(
        column(spacy.ORTH),
        column(spacy.ENT_IOB),
        column(spacy.ENT_TYPE),
        column(spacy.SENT_START),
        counts,
        {},
    )
    needed = set(np.unique(table.orth).tolist())
    if table.types is not None:
        needed |= set(np.unique(table.types).tolist())
    most = STRINGS_PER_TOKEN * len(grid) + STRINGS_SLACK
    table.strings = _walk(
        path, lambda unpacker, key: _strings_part(unpacker, key, needed, spacy, most, path)
    ).get("strings", {})
    table.strings.setdefault(0, "")  # spaCy's id of the empty string (and of "no type")
    return table


def _arrays_part(unpacker, key: str, path: str | Path) -> object:
    """The value of `key` if it is one of the arrays read (else it is skipped: None)."""
    if key == "attrs":
        count = unpacker.read_array_header()
        if count > MAX_ATTRS:
            raise UserError(f"damaged DocBin: {count:,} attributes", path)
        attrs = [unpacker.unpack() for _ in range(count)]
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in attrs):
            raise UserError("damaged DocBin: its attrs are not all numbers", path)
        if len(set(attrs)) != len(attrs):
            raise UserError("damaged DocBin: an attribute is listed twice in its attrs", path)
        return attrs
    if key in ("tokens", "lengths"):
        value = unpacker.unpack()
        if not isinstance(value, bytes):
            raise UserError(f"damaged DocBin: its {key} are not bytes", path)
        return value
    unpacker.skip()
    return None


def _strings_part(
    unpacker, key: str, needed: set[int], spacy: _Spacy, most: int, path: str | Path
) -> dict[int, str] | None:
    """The strings whose ids are `needed`, read one at a time (the others are dropped)."""
    if key != "strings":
        unpacker.skip()
        return None
    count = unpacker.read_array_header()
    if count > most:
        raise UserError(f"damaged DocBin: {count:,} strings, more than its tokens can use", path)
    found: dict[int, str] = {}
    for _ in range(count):
        string = unpacker.unpack()
        if not isinstance(string, str):
            raise UserError("damaged DocBin: its strings are not all strings", path)
        key_id = spacy.string_id(string)
        if key_id in needed:
            found[key_id] = string
    return found


def _walk(path: str | Path, part: Callable) -> dict[str, object]:
    """Unpack the file's top-level map, `part(unpacker, key)` reading (or skipping) each value;
    -> {key: what part returned} for the values it did not skip. Damage is a UserError."""
    from srsly.msgpack._unpacker import Unpacker  # the plain one: srsly.msgpack's adds hooks
    from srsly.msgpack.exceptions import UnpackException

    with reading(path, "a .spacy file"), open(path, "rb") as f:
        inflated = _Inflated(f)
        unpacker = Unpacker(
            inflated,
            read_size=CHUNK,
            raw=False,
            strict_map_key=True,
            max_buffer_size=MAX_INFLATED_BYTES,
            max_array_len=MAX_ATTRS,
            max_map_len=MAX_ATTRS,
        )
        found: dict[str, object] = {}
        try:
            for _ in range(unpacker.read_map_header()):
                key = unpacker.unpack()
                if not isinstance(key, str):
                    raise UserError("not a DocBin: its map's keys are not all strings", path)
                value = part(unpacker, key)
                if value is not None:
                    found[key] = value
            # The map must be all the stream holds, and the stream must end (its checksum
            # read): a file cut short is refused even where the cut spared the map.
            while inflated.read(CHUNK):
                pass
            if inflated.exceeded:
                raise UserError(f"not a .spacy file (DocBin): {inflated.exceeded}", path)
            if not inflated.ended:
                raise UserError(
                    "not a .spacy file (DocBin): its data ends early (a truncated file?)", path
                )
            if inflated.written != unpacker.tell():
                raise UserError("not a .spacy file (DocBin): more data after its map", path)
        except UserError:
            raise
        except zlib.error as error:
            raise UserError(
                f"not a .spacy file (DocBin): zlib: {first_line(error)}", path
            ) from None
        except (UnpackException, ValueError) as error:
            # UnpackException: OutOfData (the data ends early), BufferFull (one part is
            # larger than MAX_INFLATED_BYTES); ValueError: not msgpack, bad UTF-8, too deep.
            reason = first_line(error)
            if inflated.exceeded:
                reason = inflated.exceeded
            elif type(error).__name__ == "OutOfData":
                reason = "its data ends early (a truncated file?)"
            elif type(error).__name__ == "BufferFull":
                reason = f"a part of it is larger than {MAX_INFLATED_BYTES >> 20} MiB"
            raise UserError(f"not a .spacy file (DocBin): {reason}", path) from None
        return found


class _Inflated:
    """A file-like object: the zlib stream in `f` inflated as it is read, `read(n)` giving at
    most n bytes; past MAX_INFLATED_BYTES (in or out) it ends, and says why in `exceeded`."""

    def __init__(self, f: BinaryIO):
        self._file = f
        self._zlib = zlib.decompressobj()
        self._tail = b""  # compressed bytes read and not yet inflated
        self._read = 0
        self.written = 0  # bytes inflated so far
        self.exceeded = ""

    @property
    def ended(self) -> bool:
        """Whether the zlib stream has ended, its checksum read and right."""
        return self._zlib.eof

    def read(self, n: int) -> bytes:
        while not self._zlib.eof and not self.exceeded:
            out = self._zlib.decompress(self._tail, n)
            self._tail = self._zlib.unconsumed_tail
            if out:
                self.written += len(out)
                if self.written > MAX_INFLATED_BYTES:
                    self.exceeded = f"it inflates to more than {MAX_INFLATED_BYTES >> 20} MiB"
                    return b""
                return out
            if not self._tail:  # every byte read so far is inflated: read on
                self._tail = self._file.read(CHUNK)
                self._read += len(self._tail)
                if not self._tail:
                    return b""  # the stream stops short: the unpacker says so
                if self._read > MAX_INFLATED_BYTES:
                    self.exceeded = f"it is larger than {MAX_INFLATED_BYTES >> 20} MiB"
        return b""


def _corpus(table: _Table, path: str, scheme: str) -> Corpus:
    """The table's Docs as sentences of (tokens, tags) and their documents."""
    strings = table.strings
    docstart = _docstart_id(strings)
    marked = docstart is not None and bool((table.orth == docstart).any())
    raw: list[tuple[tuple[str, ...], list[str]]] = []
    document_of: list[int] = []
    first_doc: dict[str, int] = {}  # each tag -> the Doc it first appears in
    documents = 0  # -DOCSTART- tokens seen so far, counted as read_conll counts its lines

    begin = 0
    for d, length in enumerate(table.lengths.tolist()):
        end = begin + length
        doc = _Doc(table, d, begin, end, path, docstart)
        begin = end
        if not marked:
            documents = d + 1
        for tokens, tags in doc.sentences():
            if tokens is None:  # a -DOCSTART- token
                if documents == 0 and raw:
                    documents = 1  # the sentences before the first -DOCSTART- are a document
                documents += 1
                continue
            tags = convert(tags, scheme, "iob2") if scheme != "iob2" else tags
            for tag in tags:
                first_doc.setdefault(tag, d)
            raw.append((tokens, tags))
            document_of.append(max(documents - 1, 0))
    if not raw:
        raise UserError("no sentences found (its Docs hold no tokens)", path)

    def error_at(message: str, tag: str) -> UserError:
        return UserError(f"Doc {first_doc.get(tag)}: {message}", path)

    return build_corpus(path, raw, max(documents, 1), scheme, error_at, document_of)


def _docstart_id(strings: dict[int, str]) -> int | None:
    return next((key for key, string in strings.items() if string == DOCSTART), None)


class _Doc:
    """One Doc of the table, rows begin:end; `d` its number, in errors. A -DOCSTART- token
    (id `docstart`) is a boundary, not a token: its annotation is not read."""

    def __init__(
        self, table: _Table, d: int, begin: int, end: int, path: str, docstart: int | None
    ):
        self.d, self.path, self.strings, self.docstart = d, path, table.strings, docstart
        self.orth = table.orth[begin:end].tolist()
        if end == begin:
            self.iob = self.types = self.starts = []
            return
        if table.iob is None or table.types is None:
            raise self.error(
                "no entity annotation (the DocBin was written without ENT_IOB and ENT_TYPE)"
            )
        self.iob = table.iob[begin:end].tolist()
        self.types = table.types[begin:end].tolist()
        starts = table.sent_start
        self.starts = [] if starts is None else starts[begin:end].tolist()
        annotated = [iob for iob, orth in zip(self.iob, self.orth, strict=True) if orth != docstart]
        if annotated and not any(annotated):
            raise self.error("no entity annotation (every token's ENT_IOB is 0, 'missing')")

    def error(self, message: str, token: int | None = None) -> UserError:
        where = f"Doc {self.d}" + ("" if token is None else f", token {token}")
        return UserError(f"{where}: {message}", self.path)

    def text(self, i: int) -> str:
        string = self.strings.get(self.orth[i])
        if string is None:
            raise self.error("its text is not among the file's strings (a damaged file)", i)
        return string

    def tags(self) -> list[str]:
        """Each token's IOB2 tag, the entities read as spaCy's Doc.ents reads them."""
        tags = []
        label = ""  # the type of the entity open at this token, "" for none
        for i, (iob, type_id) in enumerate(zip(self.iob, self.types, strict=True)):
            if self.orth[i] == self.docstart:
                label = ""  # a document boundary ends any entity
                tags.append(OUTSIDE)
                continue
            prefix = _IOB.get(iob)
            if iob == 0:
                raise self.error(
                    "no entity annotation (ENT_IOB 0, 'missing'): windowner needs every token "
                    "annotated, O outside entities",
                    i,
                )
            if prefix is None:
                raise self.error(f"ENT_IOB {iob} is not one of 0, 1, 2, 3 (a damaged file)", i)
            if prefix == "B" and type_id != 0:
                label = self._label(type_id, i)
            elif prefix == "I":
                if not label:
                    raise self.error(
                        f"I ({quoted(self.text(i))}) with no entity begun before it", i
                    )
                if type_id != 0 and self._label(type_id, i) != label:
                    raise self.error(
                        f"I of type {quoted(self._label(type_id, i))} inside an entity of type "
                        f"{quoted(label)}",
                        i,
                    )
            else:  # O, or B without a type (which spaCy reads as outside)
                label, prefix = "", OUTSIDE
            tags.append(OUTSIDE if prefix == OUTSIDE else f"{prefix}-{label}")
        return tags

    def _label(self, type_id: int, i: int) -> str:
        label = self.strings.get(type_id)
        if label is None:
            raise self.error("its entity type is not among the file's strings (a damaged file)", i)
        return label

    def sentences(self) -> Iterator[tuple[tuple[str, ...] | None, list[str]]]:
        """The Doc's sentences as (tokens, IOB2 tags), whitespace tokens left out, with
        (None, []) where a -DOCSTART- token stands (it ends the sentence it is in)."""
        tags = self.tags()
        tokens: list[str] = []
        kept: list[str] = []
        entity_tokens = 0  # tokens of the open entity, whitespace included
        entity_kept = 0  # of which kept

        def close() -> Iterator[tuple[tuple[str, ...], list[str]]]:
            if tokens:
                yield tuple(tokens), kept.copy()
                tokens.clear()
                kept.clear()

        for i, tag in enumerate(tags):
            if tag[0] != "I":  # the entity open before this token (if any) has ended here
                if entity_tokens and not entity_kept:
                    raise self.error("an entity of whitespace alone", i - entity_tokens)
                entity_tokens = entity_kept = 0
            if tag != OUTSIDE:
                entity_tokens += 1
            if i and self.starts and self.starts[i] == 1:
                yield from close()
            if self.orth[i] == self.docstart:
                yield from close()
                yield None, []
                continue
            text = self.text(i)
            if not text.strip():
                continue
            if tag != OUTSIDE:
                # an entity's first kept token begins it, whatever its tag in the Doc
                tag = f"{'I' if entity_kept else 'B'}{tag[1:]}"
                entity_kept += 1
            tokens.append(text)
            kept.append(tag)
        if entity_tokens and not entity_kept:
            raise self.error("an entity of whitespace alone", len(tags) - entity_tokens)
        yield from close()
