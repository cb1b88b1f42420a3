"""The corpora a run reads: train, dev and test, as the config names them, in any format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from windowner.choices import quoted
from windowner.config import Config
from windowner.data.conll import Corpus, Sentence
from windowner.data.sources import ROLE_SPLITS, is_dataset_source, parse_columns, read_corpus
from windowner.errors import UserError


@dataclass(frozen=True)
class Corpora:
    train: Corpus
    dev: Corpus  # selects the best epoch
    test: Corpus | None  # scored once, with the best epoch's model


def read_data(config: Config, role: str) -> Corpus:
    """The train, dev or test data the config names, in whichever format it is; the document
    column applies to tables, a CoNLL file keeping its -DOCSTART- lines."""
    d = config.data
    spec = getattr(d, role)
    return read_corpus(
        spec,
        split=ROLE_SPLITS[role],
        columns=parse_columns(d.columns) if d.columns else None,
        delimiter=d.delimiter,
        scheme=d.scheme,
        document_column=(d.document_column or None) if is_dataset_source(spec) else None,
    )


def read_corpora(config: Config, log: Callable[[str], None]) -> Corpora:
    """All three, each summarised in one logged line."""
    d = config.data
    specs = [d.train, d.dev] + ([d.test] if d.test else [])
    if d.document_column and not any(is_dataset_source(spec) for spec in specs):
        raise UserError(
            f"data.document_column is {quoted(d.document_column)}, but the data are all CoNLL "
            "files, whose documents are separated by -DOCSTART- lines: it would be ignored"
        )
    corpora = Corpora(
        read_data(config, "train"),
        read_data(config, "dev"),
        read_data(config, "test") if config.data.test else None,
    )
    for corpus in (corpora.train, corpora.dev, corpora.test):
        if corpus is not None:
            log(corpus.summary())
    return corpora


def with_dev(corpora: Corpora) -> Corpora:
    """Train on train + dev (training.with_dev): dev's sentences follow train's, its documents
    numbered after train's; dev stays as it is, scored each epoch but selecting nothing."""
    train, dev = corpora.train, corpora.dev
    sentences = train.sentences + [
        Sentence(s.tokens, s.tags, s.document + train.documents) for s in dev.sentences
    ]
    joined = Corpus(
        f"{train.path} + {dev.path}", sentences, train.documents + dev.documents, train.scheme
    )
    return Corpora(joined, dev, corpora.test)
