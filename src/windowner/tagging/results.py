"""What tagging gives back: a TaggedText per input text, with its tokens, tags and entities.

These are the API's result types (windowner.TaggedText, .Entity, .TaggedToken); every engine
and format reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from windowner.data.tags import spans
from windowner.data.tokenizer import Token


@dataclass(frozen=True, slots=True)
class Entity:
    """A labelled span of a text: text[start:end] == self.text, offsets in characters.

    `score` is the mean of the model's probabilities of the span's tags (each token's softmax
    probability of the tag that decoding chose for it).
    """

    start: int
    end: int
    label: str
    text: str
    score: float


class TaggedToken(NamedTuple):
    """One token of a tagged text: text[start:end] == self.text, its tag and that tag's
    probability; `sentence` is the 0-based number of its sentence in the text."""

    text: str
    start: int
    end: int
    tag: str
    score: float
    sentence: int


@dataclass(frozen=True)
class TaggedText:
    """One text (one output record) with its sentences' tokens, their IOB2 tags and the
    model's probability of each tag. Shapes: sentences[k], tags[k], scores[k] all (n_k,)."""

    text: str
    sentences: list[list[Token]]
    tags: list[list[str]]
    scores: list[list[float]]

    @cached_property
    def entities(self) -> list[Entity]:
        """The entities of every sentence in text order, read off the tags as conlleval does."""
        found = []
        for tokens, tags, scores in zip(self.sentences, self.tags, self.scores, strict=True):
            for span in spans(tags):
                start, end = tokens[span.start].start, tokens[span.end - 1].end
                score = sum(scores[span.start : span.end]) / (span.end - span.start)
                found.append(Entity(start, end, span.label, self.text[start:end], score))
        return found

    @cached_property
    def tokens(self) -> list[TaggedToken]:
        """Every token of every sentence, in text order, with its offsets, tag and score."""
        return [
            TaggedToken(token.text, token.start, token.end, tag, score, k)
            for k, (tokens, tags, scores) in enumerate(
                zip(self.sentences, self.tags, self.scores, strict=True)
            )
            for token, tag, score in zip(tokens, tags, scores, strict=True)
        ]
