"""The Python API: load a model and tag text, train from a config, score on labelled data.

    import windowner
    tagger = windowner.load("runs/conll2003/model.npz")
    doc = tagger("Angela Merkel met Emmanuel Macron in Paris on Tuesday.")
    [(e.text, e.label) for e in doc.entities]      # [('Angela Merkel', 'PER'), ...]
    for doc in tagger.pipe(open("news.txt")): ...  # one TaggedText per input, in order

These are thin: `Tagger` calls tagging.text.tag_batch and tag_texts, as `ner-tag` does;
`train` is training.run.train, which `ner-train` runs; `evaluate` reads data with
data.sources.read_corpus and scores it with evaluation.evaluate.evaluate, as `ner-eval` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from windowner.config import Config, load_config
from windowner.data.conll import Corpus
from windowner.data.sources import read_corpus
from windowner.errors import UserError
from windowner.evaluation.conlleval import Scores, TokenScores
from windowner.evaluation.evaluate import evaluate as evaluate_corpus
from windowner.model_file import Model, load_model
from windowner.tagging.predict import entity_types
from windowner.tagging.stream import check_decode
from windowner.tagging.text import (
    DEFAULT_BATCH_SIZE,
    SEGMENTATIONS,
    TaggedText,
    tag_batch,
    tag_texts,
)

if TYPE_CHECKING:  # training is imported by train() alone: a tagger never needs it
    from windowner.training.finish import TrainResult


class Tagger:
    """A loaded model that tags raw text: `tagger(text)` and `tagger.pipe(texts)`.

    `segmentation` is how a text becomes sentences: "sentences" (CoNLL-style tokenizer and
    sentence splitter, the default), "lines" (one sentence per line) or "whitespace" (one
    sentence per line of whitespace-separated tokens). `decode` is "greedy" or "viterbi";
    None takes the model's own.
    """

    def __init__(self, model: Model, segmentation: str = "sentences", decode: str | None = None):
        if segmentation not in SEGMENTATIONS:
            raise UserError(f"unknown segmentation '{segmentation}'; choose from {SEGMENTATIONS}")
        check_decode(decode)
        self.model = model
        self.segmentation = segmentation
        self.decode = decode

    @property
    def labels(self) -> list[str]:
        """The entity types the model can predict, sorted: ['LOC', 'MISC', 'ORG', 'PER']."""
        return entity_types(self.model)

    def __call__(self, text: str) -> TaggedText:
        """Tag one text: its sentences, tokens (with offsets, tags, scores) and `.entities`."""
        return tag_batch(self.model, [text], self.segmentation, self.decode)[0]

    def pipe(
        self, texts: Iterable[str], batch_size: int = DEFAULT_BATCH_SIZE
    ) -> Iterator[TaggedText]:
        """Tag a stream of texts `batch_size` at a time, yielding one result per text in input
        order (an empty text gives a result with no sentences); memory holds one batch."""
        if isinstance(texts, str):
            raise TypeError("pipe() takes an iterable of texts; tag one text with tagger(text)")
        if batch_size < 1:
            raise UserError(f"batch_size must be at least 1, got {batch_size}")
        return tag_texts(self.model, texts, self.segmentation, self.decode, batch_size)

    def __repr__(self) -> str:
        return f"Tagger(labels={self.labels}, segmentation={self.segmentation!r})"


def load(path: str | Path, segmentation: str = "sentences", decode: str | None = None) -> Tagger:
    """Load a model file written by `ner-train` (or `train`) as a Tagger (see Tagger)."""
    return Tagger(load_model(path), segmentation, decode)


def train(
    config: str | Path | Config,
    overrides: dict[str, Any] | None = None,
    *,
    force: bool = False,
    log: Callable[[str], None] = print,
    progress: bool = False,
) -> TrainResult:
    """Train as `ner-train --config` does; returns the best epoch and its dev and test scores.

    `config` is a TOML file or a Config (config.load_config); `overrides` are config keys as
    `--set` takes them, e.g. {"training.epochs": 2, "out": "runs/quick"}. The model, metrics
    and resolved config go to the config's `out` folder (`force` replaces a model there).
    `log` receives each progress line (pass `lambda line: None` for silence).
    """
    if isinstance(config, Config):
        if overrides:
            raise ValueError("pass overrides with a config file, or build the Config with them")
        resolved = config
    else:
        resolved = load_config(config, overrides)
        from windowner.training.run_folder import refuse_own_config

        refuse_own_config(config, resolved.out)
    from windowner.training.run import train as run_training

    return run_training(resolved, force=force, log=log, progress=progress)


def evaluate(
    model: str | Path | Model | Tagger,
    data: str | Path | Corpus,
    decode: str | None = None,
) -> Scores | TokenScores:
    """Score `model` on labelled `data` exactly as `ner-eval` does (conlleval's entity scores).

    `data` is anything `ner-eval` reads (a CoNLL file, `hf:NAME@SPLIT`, parquet/jsonl/arrow;
    a dataset's `test` split unless the spec names one) or an already read Corpus. An
    `--only-type` model gives TokenScores, every other model Scores.
    """
    check_decode(decode)
    if isinstance(model, Tagger):
        model = model.model
    elif not isinstance(model, Model):
        model = load_model(model)
    corpus = data if isinstance(data, Corpus) else read_corpus(data, split="test")
    return evaluate_corpus(model, corpus, decode)[0]
