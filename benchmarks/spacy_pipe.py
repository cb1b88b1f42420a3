"""windowner inside spaCy: how often the two tokenizers disagree, and what a Doc costs.

    python benchmarks/spacy_pipe.py MODEL [--repeat 4] [--out benchmarks/spacy-results.json]

On CoNLL-2003's test set (its tokens joined by spaces): windowner's tokens whose boundaries
spacy.blank("en") does not share, MODEL's entities that fall inside a spaCy token, and the time
of windowner.Tagger.pipe beside nlp.pipe (spacy.blank("en") + the windowner component) in one
and two processes, over the sentences and over the documents, `--repeat` times over. One BLAS
thread; one JSON object is printed and written. Needs the `spacy` extra.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads, as ner-tag runs

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import spacy  # noqa: E402
from machine import cpu_jiffies, machine, others_share  # noqa: E402

import windowner  # noqa: E402
from windowner.tagging.segment import segment  # noqa: E402

TEST = HERE.parent / "data" / "conll2003" / "test.txt"


def conll_texts(path: Path) -> tuple[list[str], list[str]]:
    """The file's sentences and its documents as text: tokens joined by single spaces."""
    sentences, documents, tokens, document = [], [], [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        fields = line.split()
        if fields and fields[0] == "-DOCSTART-":
            if document:
                documents.append(" ".join(document))
            document = []
        elif fields:
            tokens.append(fields[0])
        elif tokens:
            sentences.append(" ".join(tokens))
            document.append(sentences[-1])
            tokens = []
    if document:
        documents.append(" ".join(document))
    return sentences, documents


def alignment(nlp, tagger, sentences: list[str]) -> dict:
    """windowner's tokens and entities whose boundaries are not spaCy token boundaries."""
    tokens = tokens_off = entities = entities_off = 0
    examples = []
    for text, tagged in zip(sentences, tagger.pipe(sentences), strict=True):
        doc = nlp.make_doc(text)
        starts, ends = {t.idx for t in doc}, {t.idx + len(t) for t in doc}
        for sentence in segment(text, "sentences"):
            tokens += len(sentence)
            tokens_off += sum(t.start not in starts or t.end not in ends for t in sentence)
        for e in tagged.entities:
            entities += 1
            if doc.char_span(e.start, e.end) is None:
                entities_off += 1
                examples.append(
                    [e.text, doc.char_span(e.start, e.end, alignment_mode="expand").text]
                )
    return {
        "windowner_tokens": tokens,
        "tokens_not_on_spacy_boundaries": tokens_off,
        "entities": entities,
        "entities_inside_a_spacy_token": entities_off,
        "examples": examples,
    }


def rates(nlp, tagger, texts: list[str]) -> dict:
    tokens = sum(len(text.split()) for text in texts)
    runs = {
        "windowner_Tagger_pipe": lambda: list(tagger.pipe(texts)),
        "nlp_pipe_n_process_1": lambda: list(nlp.pipe(texts)),
        "nlp_pipe_n_process_2": lambda: list(nlp.pipe(texts, n_process=2)),
    }
    found = {"texts": len(texts), "tokens": tokens}
    for name, run in runs.items():
        start = time.perf_counter()
        run()
        seconds = time.perf_counter() - start
        found[name] = {"seconds": round(seconds, 2), "tokens_per_s": round(tokens / seconds)}
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--out", type=Path, default=HERE / "spacy-results.json")
    args = parser.parse_args()
    sentences, documents = conll_texts(TEST)
    tagger = windowner.load(args.model)
    nlp = spacy.blank("en")
    nlp.add_pipe("windowner", config={"model": str(Path(args.model).absolute())})
    nlp("Warm up.")  # the model loaded before the clocks start (and before the fork)
    before = cpu_jiffies()
    result = {
        "spacy": spacy.__version__,
        "alignment": alignment(nlp, tagger, sentences),
        "sentences": rates(nlp, tagger, sentences * args.repeat),
        "documents": rates(nlp, tagger, documents * args.repeat),
        "machine": machine(),
    }
    result["others_share_of_cpu"] = others_share(before, 0.0)
    text = json.dumps(result, indent=1)
    print(text)
    args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
