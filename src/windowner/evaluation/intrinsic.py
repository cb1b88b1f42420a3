"""The lecture's intrinsic evaluation of word vectors: analogies and word similarity.

Analogies a : b :: c : ? are answered by 3CosAdd over unit vectors û,

    d = argmax_{w ∉ {a, b, c}}  ŵ · (b̂ − â + ĉ)

searched over the whole vocabulary, and scored on gensim's questions-words.txt (19,544 questions
in 14 sections). Word similarity is the Spearman ρ between human ratings and cos(a, b) on
WordSim353 and SimLex-999. Words are matched case-insensitively, a word's most frequent spelling
standing for it, and a question or pair with a word the vectors lack is left out and counted as
out of vocabulary, exactly as gensim's evaluate_word_analogies / evaluate_word_pairs do (whose
figures these reproduce). The analogy search is one matrix product per block of questions and
block of vocabulary, never a Python loop per question.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from windowner.data.bounded import decoded_lines
from windowner.errors import UserError
from windowner.vectors.loading import Vectors

ANALOGIES = "questions-words.txt"
WORDSIM353 = "wordsim353.tsv"
SIMLEX999 = "simlex999.txt"
# Questions and vocabulary rows per matrix product. Of the sizes tried on this project's two
# cores, 4,096 × 1,024 cost the least CPU time: many questions keep the BLAS product efficient,
# few words keep each 16 MB block of scores quick to search.
QUESTION_BLOCK = 4096
VOCAB_BLOCK = 1024
# A word pair or an analogy question is a line of a few words: past this it is no such file.
MAX_LINE_BYTES = 1 << 16


def gensim_test_file(name: str) -> Path:
    """A file of the test data gensim ships (questions-words.txt, wordsim353.tsv, ...)."""
    from gensim.test.utils import datapath

    return Path(datapath(name))


@dataclass(frozen=True)
class Space:
    """Vectors made ready for cosine search: unit rows and a case-insensitive word index.

    Shapes: unit (V, d) float32 with ‖row‖ = 1 (all-zero rows stay 0); fold (V,) int64, the
    first row of each row's case-insensitive spelling.
    """

    spec: str
    words: list[str]
    unit: np.ndarray
    index: dict[str, int]  # UPPER-CASED word -> its first (most frequent) row
    fold: np.ndarray

    @classmethod
    def of(cls, vectors: Vectors, max_words: int | None = None) -> Space:
        """The first `max_words` rows of `vectors` (all by default), unit-normalised."""
        words = vectors.words[:max_words] if max_words else vectors.words
        matrix = np.asarray(vectors.matrix[: len(words)], dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        unit = np.ascontiguousarray(matrix / np.where(norms > 0, norms, 1), dtype=np.float32)
        index: dict[str, int] = {}
        fold = np.empty(len(words), np.int64)
        for i, word in enumerate(words):
            fold[i] = index.setdefault(word.upper(), i)
        return cls(vectors.spec, list(words), unit, index, fold)

    @property
    def dim(self) -> int:
        return int(self.unit.shape[1])

    def row(self, word: str) -> int | None:
        return self.index.get(word.upper())

    def rows(self, words: Sequence[str]) -> list[int]:
        """Rows of words that must be present; UserError naming the missing ones."""
        missing = [w for w in words if self.row(w) is None]
        if missing:
            raise UserError(f"not in the vectors {self.spec}: {', '.join(missing)}")
        return [self.row(w) for w in words]

    def nearest(self, q: np.ndarray, exclude: Sequence[int] = (), topn: int = 10):
        """The `topn` words closest in cosine to direction q, skipping the spellings of the
        rows in `exclude`. Shapes: q (d,) -> list of (word, cosine)."""
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        scores = self.unit @ q.astype(np.float32)
        scores[np.isin(self.fold, self.fold[list(exclude)])] = -np.inf
        top = np.argsort(-scores, kind="stable")[:topn]
        return [(self.words[i], float(scores[i])) for i in top if np.isfinite(scores[i])]


def neighbors(space: Space, word: str, topn: int = 10) -> list[tuple[str, float]]:
    """The words nearest `word` in cosine, itself excluded."""
    (row,) = space.rows([word])
    return space.nearest(space.unit[row], [row], topn)


def analogy(space: Space, a: str, b: str, c: str, topn: int = 5) -> list[tuple[str, float]]:
    """a : b :: c : ? by 3CosAdd, the three input words excluded; the best `topn` answers."""
    ra, rb, rc = space.rows([a, b, c])
    return space.nearest(space.unit[rb] - space.unit[ra] + space.unit[rc], [ra, rb, rc], topn)


# analogies


@dataclass(frozen=True)
class SectionScore:
    """Analogy accuracy of one section (or of all): correct of answered, and the questions
    left out because a word was out of vocabulary."""

    section: str
    correct: int
    answered: int  # questions whose four words are all in the vocabulary
    questions: int  # all questions of the section

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else 0.0

    @property
    def oov_share(self) -> float:
        return 1 - self.answered / self.questions if self.questions else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "accuracy": self.accuracy, "oov_share": self.oov_share}


@dataclass(frozen=True)
class AnalogyScores:
    total: SectionScore
    sections: list[SectionScore]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total.to_dict(),
            "sections": [s.to_dict() for s in self.sections],
            "seconds": round(self.seconds, 3),
        }


def read_analogies(path: str | Path) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """questions-words.txt: `: section` lines, then `a b c d` lines -> (section, questions)."""
    sections: list[tuple[str, list[tuple[str, str, str, str]]]] = []
    for number, line in enumerate(_read_lines(path), start=1):
        if line.startswith(":"):
            sections.append((line[1:].strip(), []))
            continue
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 4:
            raise UserError(f"expected 'a b c d', got {len(fields)} words", path, number)
        if not sections:
            raise UserError("a question before the first ': section' line", path, number)
        sections[-1][1].append((fields[0], fields[1], fields[2], fields[3]))
    if not sections:
        raise UserError("no analogy questions found", path)
    return sections


def evaluate_analogies(
    space: Space,
    path: str | Path | None = None,
    *,
    question_block: int = QUESTION_BLOCK,
    vocab_block: int = VOCAB_BLOCK,
) -> AnalogyScores:
    """Accuracy on every question whose four words are in the vocabulary, total and per section."""
    started = time.perf_counter()
    sections = read_analogies(path or gensim_test_file(ANALOGIES))
    rows, owner = [], []
    counts = []
    for s, (_, questions) in enumerate(sections):
        answerable = [q for q in questions if all(space.row(w) is not None for w in q)]
        rows += [[space.row(w) for w in q] for q in answerable]
        owner += [s] * len(answerable)
        counts.append((len(answerable), len(questions)))
    quads = np.array(rows, dtype=np.int64).reshape(-1, 4)
    predicted = answer_analogies(space, quads[:, :3], question_block, vocab_block)
    correct = space.fold[predicted] == space.fold[quads[:, 3]]
    per_section = np.bincount(np.array(owner, np.int64), correct, minlength=len(sections))
    scores = [
        SectionScore(name, int(per_section[s]), answered, total)
        for s, ((name, _), (answered, total)) in enumerate(zip(sections, counts, strict=True))
    ]
    total = SectionScore(
        "total",
        sum(s.correct for s in scores),
        sum(s.answered for s in scores),
        sum(s.questions for s in scores),
    )
    return AnalogyScores(total, scores, time.perf_counter() - started)


def answer_analogies(
    space: Space,
    abc: np.ndarray,
    question_block: int = QUESTION_BLOCK,
    vocab_block: int = VOCAB_BLOCK,
) -> np.ndarray:
    """The 3CosAdd answer row of each question, its three input words excluded.

    Shapes: abc (Q, 3) rows of a, b, c -> answers (Q,) rows.
    Math: S = (B̂ − Â + Ĉ) Ûᵀ, one (block × block) product at a time; S[i, a_i], S[i, b_i],
    S[i, c_i] = −∞; answer_i = argmaxⱼ S[i, j], kept as a running maximum over vocabulary blocks.
    """
    unit = space.unit
    abc = np.asarray(abc, np.int64).reshape(-1, 3)
    answers = np.empty(len(abc), np.int64)
    for start in range(0, len(abc), question_block):
        block = abc[start : start + question_block]
        q = unit[block[:, 1]] - unit[block[:, 0]] + unit[block[:, 2]]  # (n, d)
        best = np.full(len(block), -np.inf, np.float32)
        best_row = np.zeros(len(block), np.int64)
        every = np.arange(len(block))
        buffer = np.empty((len(block), min(vocab_block, len(unit))), np.float32)
        for lo in range(0, len(unit), vocab_block):
            chunk = unit[lo : lo + vocab_block]
            scores = np.matmul(q, chunk.T, out=buffer[:, : len(chunk)])  # (n, vocabulary block)
            inside = (block >= lo) & (block < lo + scores.shape[1])
            i, k = np.nonzero(inside)
            scores[i, block[i, k] - lo] = -np.inf
            top = scores.argmax(axis=1)
            value = scores[every, top]
            better = value > best
            best[better] = value[better]
            best_row[better] = top[better] + lo
        answers[start : start + len(block)] = best_row
    _exclude_other_spellings(space, abc, answers)
    return answers


def _exclude_other_spellings(space: Space, abc: np.ndarray, answers: np.ndarray) -> None:
    """Where an answer is another spelling of an input word ('Paris' for 'paris', in cased
    vectors), search that question again with every spelling of its inputs excluded."""
    folded = space.fold[abc]
    again = np.flatnonzero((space.fold[answers][:, None] == folded).any(axis=1))
    for i in again:
        q = space.unit[abc[i, 1]] - space.unit[abc[i, 0]] + space.unit[abc[i, 2]]
        scores = space.unit @ q
        scores[np.isin(space.fold, folded[i])] = -np.inf
        answers[i] = int(scores.argmax())


# word similarity


@dataclass(frozen=True)
class PairScores:
    """Spearman ρ between human ratings and cosine similarity on the pairs both words of which
    are in the vocabulary; the others are counted out of vocabulary."""

    name: str
    spearman: float
    pairs: int  # pairs scored
    total: int  # pairs in the file

    @property
    def oov_share(self) -> float:
        return 1 - self.pairs / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "oov_share": self.oov_share}


def read_pairs(path: str | Path) -> list[tuple[str, str, float]]:
    """Tab-separated `word1 word2 rating` lines; `#` lines are comments."""
    pairs = []
    for number, line in enumerate(_read_lines(path), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        try:
            a, b, rating = fields
            pairs.append((a.strip(), b.strip(), float(rating)))
        except ValueError:
            raise UserError("expected 'word1 TAB word2 TAB rating'", path, number) from None
    if not pairs:
        raise UserError("no word pairs found", path)
    return pairs


def evaluate_pairs(space: Space, path: str | Path, name: str) -> PairScores:
    pairs = read_pairs(path)
    found = [(space.row(a), space.row(b), r) for a, b, r in pairs]
    found = [(ra, rb, r) for ra, rb, r in found if ra is not None and rb is not None]
    if len(found) < 2:
        return PairScores(name, float("nan"), len(found), len(pairs))
    ra, rb, ratings = (np.array(column) for column in zip(*found, strict=True))
    cosines = np.einsum("ij,ij->i", space.unit[ra], space.unit[rb])
    return PairScores(name, spearman(ratings, cosines), len(found), len(pairs))


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's ρ: Pearson's correlation of the ranks, ties getting their mean rank."""
    rx, ry = _ranks(np.asarray(x, np.float64)), _ranks(np.asarray(y, np.float64))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denominator = np.sqrt((rx @ rx) * (ry @ ry))
    return float(rx @ ry / denominator) if denominator > 0 else float("nan")


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n; tied values share the mean of the ranks they span."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    first = np.cumsum(counts) - counts  # ranks before each distinct value
    return (first + (counts + 1) / 2)[inverse]


# everything at once


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


def _read_lines(path: str | Path) -> Iterator[str]:
    """The lines of a word-pairs or analogies file, read in bounded pieces (data/bounded.py)."""
    return decoded_lines(path, "a word-pairs or analogies file", max_line=MAX_LINE_BYTES)


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
