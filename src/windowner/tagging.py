"""Tag raw text: tokenize and split sentences, predict, and turn tags into character spans."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from windowner.model_file import Model
from windowner.predict import predict_tags
from windowner.tags import spans
from windowner.tokenizer import Token, sentences


@dataclass(frozen=True, slots=True)
class Entity:
    """A labelled span of the text: text[start:end] == self.text."""

    start: int
    end: int
    label: str
    text: str


@dataclass(frozen=True)
class TaggedText:
    """One unit of input (a line) with its sentences' tokens and IOB2 tags."""

    text: str
    sentences: list[list[Token]]
    tags: list[list[str]]

    def entities(self) -> list[Entity]:
        found = []
        for tokens, tags in zip(self.sentences, self.tags, strict=True):
            for span in spans(tags):
                start, end = tokens[span.start].start, tokens[span.end - 1].end
                found.append(Entity(start, end, span.label, self.text[start:end]))
        return found


def tag_texts(model: Model, texts: Iterable[str], batch_size: int = 1000) -> Iterator[TaggedText]:
    """Tag each text (a line, usually), `batch_size` texts per forward pass, in input order."""
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == batch_size:
            yield from _tag_batch(model, batch)
            batch = []
    if batch:
        yield from _tag_batch(model, batch)


def _tag_batch(model: Model, texts: list[str]) -> list[TaggedText]:
    split = [sentences(text) for text in texts]
    flat = [[token.text for token in sentence] for parts in split for sentence in parts]
    predicted = iter(predict_tags(model, flat))
    return [
        TaggedText(text, parts, [next(predicted) for _ in parts])
        for text, parts in zip(texts, split, strict=True)
    ]
