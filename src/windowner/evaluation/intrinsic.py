"""The lecture's intrinsic evaluation of word vectors, all at once: WordSim353 and SimLex-999
Spearman ρ (similarity.py) and analogy accuracy (analogies.py) in one report, the table that
compares reports, and a trained model's fine-tuned vectors to set beside the pretrained ones.

Words are matched case-insensitively, a word's most frequent spelling standing for it, and a
question or pair with a word the vectors lack is left out and counted as out of vocabulary,
exactly as gensim's evaluate_word_analogies / evaluate_word_pairs do (whose figures these
reproduce).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from windowner.evaluation.analogies import AnalogyScores, evaluate_analogies
from windowner.evaluation.similarity import PairScores, evaluate_pairs
from windowner.evaluation.space import Space
from windowner.evaluation.word_lists import SIMLEX999, WORDSIM353, gensim_test_file
from windowner.vectors.loading import Vectors


@dataclass(frozen=True)
class IntrinsicReport:
    spec: str
    words: int
    dim: int
    wordsim353: PairScores
    simlex999: PairScores
    analogies: AnalogyScores

    def to_dict(self) -> dict[str, Any]:
        return {
            "vectors": {"spec": self.spec, "words": self.words, "dim": self.dim},
            "wordsim353": self.wordsim353.to_dict(),
            "simlex999": self.simlex999.to_dict(),
            "analogies": self.analogies.to_dict(),
        }


def evaluate(
    vectors: Vectors,
    *,
    max_words: int | None = None,
    analogies: str | Path | None = None,
    wordsim353: str | Path | None = None,
    simlex999: str | Path | None = None,
) -> IntrinsicReport:
    """WordSim353 and SimLex-999 Spearman ρ and analogy accuracy; gensim's test files unless
    others are given. `max_words` restricts the search to the most frequent words."""
    space = Space.of(vectors, max_words)
    return IntrinsicReport(
        vectors.spec,
        len(space.words),
        space.dim,
        evaluate_pairs(space, wordsim353 or gensim_test_file(WORDSIM353), "WordSim353"),
        evaluate_pairs(space, simlex999 or gensim_test_file(SIMLEX999), "SimLex-999"),
        evaluate_analogies(space, analogies),
    )


def format_report(reports: Sequence[IntrinsicReport], labels: Sequence[str] = ()) -> str:
    """A table: one score column per report (pretrained, fine-tuned ...), counts beside."""
    labels = list(labels) or [r.spec for r in reports]
    first = reports[0]
    width = max(12, *(len(label) for label in labels))
    lines = [
        f"{label}: {r.words:,} words × {r.dim}" for label, r in zip(labels, reports, strict=True)
    ]
    header = f"{'':30}" + "".join(f"{label:>{width}}" for label in labels)
    lines += ["", header + "   counted (OOV)"]
    for key in ("wordsim353", "simlex999"):
        scores = [getattr(r, key) for r in reports]
        cells = "".join(f"{s.spearman:>{width}.4f}" for s in scores)
        counted = f"{scores[0].pairs:,} of {scores[0].total:,} pairs ({scores[0].oov_share:.1%})"
        lines.append(f"{scores[0].name + ' Spearman ρ':30}{cells}   {counted}")
    totals = [r.analogies.total for r in reports]
    cells = "".join(f"{t.accuracy:>{width}.2%}" for t in totals)
    counted = f"{totals[0].answered:,} of {totals[0].questions:,} ({totals[0].oov_share:.1%})"
    lines.append(f"{'analogies, accuracy':30}{cells}   {counted}")
    for i, section in enumerate(first.analogies.sections):
        sections = [r.analogies.sections[i] for r in reports]
        cells = "".join(f"{s.accuracy:>{width}.2%}" for s in sections)
        counted = f"{section.answered:,} of {section.questions:,} ({section.oov_share:.1%})"
        lines.append(f"  {section.section:28}{cells}   {counted}")
    seconds = ", ".join(f"{r.analogies.seconds:.1f} s" for r in reports)
    lines.append(f"\nanalogies searched all {first.words:,} words in {seconds}")
    return "\n".join(lines) + "\n"


# a trained model's embeddings


def model_vectors(path: str | Path) -> tuple[Vectors, str | None]:
    """A model's fine-tuned word vectors (the rows of E, <unk>/<s>/</s> left out) and the spec of
    the pretrained vectors it started from (None if its metadata does not say)."""
    from windowner.features.vocabulary import SPECIALS
    from windowner.model_file import load_model

    model = load_model(path)
    E = model.network.params["E"]
    skip = len(SPECIALS)
    vectors = Vectors(f"{path} (fine-tuned)", list(model.vocabulary.words[skip:]), E[skip:])
    config = model.metadata.get("config") or {}
    spec = (config.get("vectors") or {}).get("spec") if isinstance(config, dict) else None
    return vectors, spec if isinstance(spec, str) else None


def aligned(pretrained: Vectors, tuned: Vectors) -> tuple[Vectors, Vectors]:
    """Both restricted to the words both have, in `tuned`'s order, so that a side-by-side
    comparison shows only what fine-tuning changed. Shapes: -> two (n, d) matrices."""
    index = {word: i for i, word in enumerate(pretrained.words)}
    rows = [(i, index[w]) for i, w in enumerate(tuned.words) if w in index]
    mine, theirs = (np.array(column, np.int64) for column in zip(*rows, strict=True))
    words = [tuned.words[i] for i in mine]
    return (
        Vectors(pretrained.spec, words, pretrained.matrix[theirs]),
        Vectors(tuned.spec, words, tuned.matrix[mine]),
    )
