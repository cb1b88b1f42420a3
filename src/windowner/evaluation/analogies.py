"""The analogy test: gensim's questions-words.txt (19,544 questions in 14 sections), read and
answered by 3CosAdd over unit vectors û,

    d = argmax_{w ∉ {a, b, c}}  ŵ · (b̂ − â + ĉ)

searched over the whole vocabulary. A question with a word the vectors lack is left out and
counted as out of vocabulary, exactly as gensim's evaluate_word_analogies does (whose figures
these reproduce). The search is one matrix product per block of questions and block of
vocabulary, never a Python loop per question.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from windowner.errors import UserError
from windowner.evaluation.space import Space
from windowner.evaluation.word_lists import ANALOGIES, gensim_test_file, read_lines

# Questions and vocabulary rows per matrix product. Of the sizes tried on this project's two
# cores, 4,096 × 1,024 cost the least CPU time: many questions keep the BLAS product efficient,
# few words keep each 16 MB block of scores quick to search.
QUESTION_BLOCK = 4096
VOCAB_BLOCK = 1024


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
    for number, line in enumerate(read_lines(path), start=1):
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
