"""The corpora a run reads: train, dev and test, as the config names them, in any format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from windowner.config import Config
from windowner.data.conll import Corpus, Sentence
from windowner.data.sources import ROLE_SPLITS, parse_columns, read_corpus


@dataclass(frozen=True)
class Corpora:
    train: Corpus
    dev: Corpus  # selects the best epoch
    test: Corpus | None  # scored once, with the best epoch's model


def read_data(config: Config, role: str) -> Corpus:
    """The train, dev or test data the config names, in whichever format it is."""
    d = config.data
    return read_corpus(
        getattr(d, role),
        split=ROLE_SPLITS[role],
        columns=parse_columns(d.columns) if d.columns else None,
        delimiter=d.delimiter,
        scheme=d.scheme,
    )


def read_corpora(config: Config, log: Callable[[str], None]) -> Corpora:
    """All three, each summarised in one logged line."""
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
