"""What the benchmarks make of CoNLL-2003: running text, a file's first sentences, token counts."""

from __future__ import annotations

from pathlib import Path

from project import DATA


def conll_tokens(path: Path) -> int:
    """How many tokens (so windows) a CoNLL file holds."""
    from windowner.data.conll import read_conll

    return read_conll(path).tokens


def raw_text(path: Path) -> tuple[Path, int]:
    """CoNLL-2003's sentences as plain text, one a line, and how many tokens ner-tag will see.

    Tokens are joined by spaces with the space before closing punctuation removed ("Paris ,"
    becomes "Paris,"), so the tokenizer has real splitting to do. The count is the tokenizer's.
    """
    from windowner.data.conll import read_conll
    from windowner.data.tokenizer import sentences

    lines = []
    for name in ("train.txt", "valid.txt", "test.txt"):
        for sentence in read_conll(DATA / name).sentences:
            line = " ".join(sentence.tokens)
            for mark in (" ,", " .", " ;", " :", " ?", " !", " )", " 's", " n't"):
                line = line.replace(mark, mark[1:])
            lines.append(line.replace("( ", "("))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tokens = sum(len(s) for line in lines for s in sentences(line))
    return path, tokens


def head_of_conll(source: Path, target: Path, *, tokens: int = 0, sentences: int = 0) -> Path:
    """The first sentences of a CoNLL file, as written there, until `tokens` tokens or
    `sentences` sentences are reached."""
    kept, n_tokens, n_sentences = [], 0, 0
    for line in source.read_text(encoding="utf-8").splitlines():
        kept.append(line)
        if line.strip() and not line.startswith("-DOCSTART-"):
            n_tokens += 1
        elif not line.strip() and kept[-2:-1] and kept[-2].strip():
            if not kept[-2].startswith("-DOCSTART-"):
                n_sentences += 1
            if (tokens and n_tokens >= tokens) or (sentences and n_sentences >= sentences):
                break
    target.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return target
