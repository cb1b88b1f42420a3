"""The Python API: load a model and tag text, train from a config, score on labelled data.

    import windowner
    tagger = windowner.load("runs/conll2003/model.npz")
    doc = tagger("Angela Merkel met Emmanuel Macron in Paris on Tuesday.")
    [(e.text, e.label) for e in doc.entities]      # [('Angela Merkel', 'PER'), ...]
    for doc in tagger.pipe(open("news.txt")): ...  # one TaggedText per input, in order

These are thin: `Tagger` holds a TagOptions, checked once when it is made, and calls
tagging.text.tag_batch and tag_texts with it, as `ner-tag` does;
`train` is training.run.train, which `ner-train` runs; `evaluate` reads data with
data.sources.read_corpus and scores it with evaluation.evaluate.evaluate, as `ner-eval` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from windowner.choices import TAG_BATCH_SIZE, quoted
from windowner.config import Config, load_config
from windowner.data.conll import Corpus
from windowner.data.sources import read_corpus
from windowner.errors import UserError
from windowner.evaluation.conlleval import Scores, TokenScores
from windowner.evaluation.report import BOTH, Report, evaluate_report
from windowner.evaluation.report import check_decode as check_report_decode
from windowner.model_file import Model, load_model
from windowner.tagging.options import TagOptions
from windowner.tagging.results import TaggedText
from windowner.tagging.text import tag_batch, tag_texts

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
        if not isinstance(model, Model):
            raise UserError(f"Tagger needs a Model (windowner.load reads one), got {_kind(model)}")
        self.model = model
        self.options = TagOptions(segmentation, decode)

    @property
    def segmentation(self) -> str:
        return self.options.segmentation

    @property
    def decode(self) -> str | None:
        return self.options.decode

    @property
    def labels(self) -> list[str]:
        """The entity types the model can predict, sorted: ['LOC', 'MISC', 'ORG', 'PER']."""
        return self.model.entity_types

    def __call__(self, text: str) -> TaggedText:
        """Tag one text: its sentences, tokens (with offsets, tags, scores) and `.entities`."""
        return tag_batch(self.model, [_text(text)], self.options)[0]

    def pipe(self, texts: Iterable[str], batch_size: int = TAG_BATCH_SIZE) -> Iterator[TaggedText]:
        """Tag a stream of texts `batch_size` at a time, yielding one result per text in input
        order (an empty text gives a result with no sentences); memory holds one batch."""
        if isinstance(texts, str | bytes) or not hasattr(texts, "__iter__"):
            raise UserError(
                f"pipe() takes an iterable of texts, got {_kind(texts)}; tag one text with "
                "tagger(text)"
            )
        options = replace(self.options, batch_size=batch_size)  # checked again: a new value
        return tag_texts(self.model, map(_text, texts), options)

    def __repr__(self) -> str:
        return f"Tagger(labels={self.labels}, segmentation={self.segmentation!r})"


def load(path: str | Path, segmentation: str = "sentences", decode: str | None = None) -> Tagger:
    """Load a model file written by `ner-train` (or `train`) as a Tagger (see Tagger)."""
    options = TagOptions(segmentation, decode)  # a bad option fails before the file is read
    if not isinstance(path, str | Path):  # an int would be opened as a file descriptor
        raise UserError(f"load() takes the path of a model file, got {_kind(path)}")
    return Tagger(load_model(path), options.segmentation, options.decode)


def _text(text: object) -> str:
    if not isinstance(text, str):
        raise UserError(f"a text to tag must be a str, got {_kind(text)}")
    return text


def _kind(value: object) -> str:
    """A value as a message names it: its type, and the value itself when short."""
    shown = quoted(value)
    return f"{type(value).__name__} {shown}" if len(shown) <= 40 else type(value).__name__


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
    errors: bool = False,
) -> Scores | TokenScores | Report:
    """Score `model` on labelled `data` exactly as `ner-eval` does (conlleval's entity scores).

    `data` is anything `ner-eval` reads (a CoNLL file, a spaCy .spacy file, `hf:NAME@SPLIT`,
    parquet/jsonl/arrow; a dataset's `test` split unless the spec names one) or an already read
    Corpus. An
    `--only-type` model gives TokenScores, every other model Scores.

    With `errors=True` (`ner-eval --errors`) or `decode="both"` it returns the whole Report
    instead: `report.scores`, each decoding's scores, predictions and error analysis in
    `report.decodings`, and `to_text()`, `to_dict()`, `write_html()` and `write_predictions()`
    for what `ner-eval` prints and writes.
    """
    check_report_decode(decode)
    if isinstance(model, Tagger):
        model = model.model
    elif not isinstance(model, Model):
        model = load_model(model)
    corpus = data if isinstance(data, Corpus) else read_corpus(data, split="test")
    report = evaluate_report(model, corpus, decode, errors)
    return report if errors or decode == BOTH else report.scores
