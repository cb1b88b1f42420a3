"""The rest of the document, a second pass: is it worth building into the product? 3 seeds.

Ratinov & Roth (2009) credit about +2 F1 to non-local features that share evidence between the
mentions of a name in one document. This experiment measures their form that the issue "What
the window cannot see" names, before any of it enters the model file:

1. a first pass, the default model, tags every document;
2. for each token, its lowercased word's other occurrences in the same document average the
   first pass's entity-type distribution (O, PER, LOC, ORG, MISC); the average becomes a class,
   "alone" (no other occurrence, or no letters) or the likeliest type × confident (≥ 0.75) or not;
3. a second pass, the default model whose document-context slot (D) reads that class beside
   its own (6 × 12 = 72 rows of D instead of 6), is trained and scored.

Cross-fitted, so that no training sentence sees a class made from its own gold tags: the train
documents are cut into K folds (document i in fold i mod K); the first pass of fold k is trained
on the other folds and tags fold k. Dev and test read the first pass trained on all of train
(dev selecting its epoch as always). Nothing is changed in windowner: the second pass is trained
in this process with the D slot's classes handed to encode() and to tagging's _log_probs.

    python experiments/second_pass.py                 # seeds 0, 1, 2, two at a time
    python experiments/second_pass.py --seed 0        # one seed, in this process
    python experiments/second_pass.py --table         # only rebuild the table

Results: experiments/second-pass-results.json and experiments/second-pass.md.
Cost at tag time, were it built in: a second forward pass (tagging at about half the speed) and
the first pass's parameters in the model file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "runs" / "second-pass"
RESULTS = ROOT / "experiments" / "second-pass-results.json"
TABLE = ROOT / "experiments" / "second-pass.md"
FOLDS = 3
SEEDS = (0, 1, 2)
TYPES = ("O", "PER", "LOC", "ORG", "MISC")
CONFIDENT = 0.75
PRIOR_CLASSES = 2 + 2 * len(TYPES)  # padding, alone, then (type, confident) pairs
BLAS_ONE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
EXTRA: list[str] = []  # --smoke: one epoch everywhere, into runs/second-pass-smoke


def ner_train(out: Path, seed: int, overrides: list[str]) -> Path:
    """A default-config run kept in `out` (not run again when its model is there) -> model."""
    model = out / "model.npz"
    if not model.exists():
        command = [str(Path(sys.executable).with_name("ner-train")), "--config"]
        command += ["configs/conll2003.toml", "--seed", str(seed), "--out", str(out)]
        command += ["--force", "--quiet"]
        for override in ["model.prior_dim=0", *EXTRA, *overrides]:  # the first pass: no prior
            command += ["--set", override]
        subprocess.run(command, cwd=ROOT, env={**os.environ, **BLAS_ONE}, check=True)
    return model


def write_conll(path: Path, sentences) -> None:
    """Sentences as a CoNLL file, a -DOCSTART- line before each document's first sentence."""
    lines, document = [], None
    for s in sentences:
        if s.document != document:
            lines += ["-DOCSTART- -X- -X- O", ""]
            document = s.document
        lines += [f"{token} {tag}" for token, tag in zip(s.tokens, s.tags, strict=True)] + [""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def type_probabilities(model, sentences, documents) -> np.ndarray:
    """The first pass's distribution over TYPES for each token. Shapes: -> (T, 5), rows sum to 1."""
    from windowner.tagging.predict import _ORIGINAL_LOG_PROBS, token_table

    lengths = np.array([len(s) for s in sentences], np.int64)
    found = token_table(model).type_ids(sentences)
    log_p, _ = _ORIGINAL_LOG_PROBS(model, found, lengths, documents, None)
    return types_of(log_p, model.tags)


def types_of(log_p: np.ndarray, tags) -> np.ndarray:
    """Shapes: log_p (T, C) -> (T, 5). The sigmoid head gives σ(s_c) per tag c; a type's score
    is the larger of its B- and I- tags'; the scores are then normalised to sum to 1."""
    p = np.exp(log_p)
    out = np.zeros((len(p), len(TYPES)))
    for c, tag in enumerate(tags):
        kind = "O" if tag == "O" else tag.split("-", 1)[1]
        if kind in TYPES:
            out[:, TYPES.index(kind)] = np.maximum(out[:, TYPES.index(kind)], p[:, c])
    if "O" not in tags:
        out[:, 0] = 1 - out[:, 1:].max(axis=1)
    out = np.maximum(out, 1e-9)
    return out / out.sum(axis=1, keepdims=True)


def prior_classes(sentences, documents, p: np.ndarray, capital_only: bool = False) -> np.ndarray:
    """Each token's class from its word's other occurrences in its document.

    Shapes: sentences (S,) of tokens, documents (S,), p (T, 5) -> classes (T,) in
    1 .. PRIOR_CLASSES − 1 (0 is the padding beyond a sentence's edges).
    """
    tokens = [t for s in sentences for t in s]
    document = np.repeat(np.asarray(documents, np.int64), [len(s) for s in sentences])
    has_letter = np.array([any(c.isalpha() for c in t) for t in tokens], bool)
    words: dict[tuple[int, str], int] = {}
    group = np.array(
        [
            words.setdefault((int(d), t.lower()), len(words))
            for d, t in zip(document, tokens, strict=True)
        ]
    )
    count = np.bincount(group, minlength=len(words))[group]
    sums = np.zeros((len(words), p.shape[1]))
    np.add.at(sums, group, p)
    others = (sums[group] - p) / np.maximum(count - 1, 1)[:, None]
    likeliest = others.argmax(axis=1)
    confident = others.max(axis=1) >= CONFIDENT
    classes = 2 + 2 * likeliest + confident
    classes[(count < 2) | ~has_letter] = 1
    if capital_only:  # the "self" variant: only words with a capital letter read a prior
        classes[~np.array([any(c.isupper() for c in t) for t in tokens], bool)] = 1
    return classes.astype(np.int32)


def second_pass(seed: int, variant: str = "separate") -> dict:
    """Train seed's first passes (fold and full) and its second pass; -> its figures."""
    import windowner.features.windows as windows_module
    import windowner.model_file as model_file
    import windowner.tagging.predict as predict
    import windowner.training.build as build
    import windowner.training.run as run
    from windowner.config import load_config, parse_assignment
    from windowner.data.conll import read_conll
    from windowner.features.document import classes_of_tokens, token_types
    from windowner.model_file import load_model

    out = RUNS / f"seed-{seed}"
    train = read_conll(ROOT / "data" / "conll2003" / "train.txt")
    fold_of = [s.document % FOLDS for s in train.sentences]
    p_train = [None] * len(train.sentences)
    started = time.perf_counter()
    for k in range(FOLDS):
        kept = [s for s, f in zip(train.sentences, fold_of, strict=True) if f != k]
        held = [i for i, f in enumerate(fold_of) if f == k]
        write_conll(out / f"fold-{k}" / "train.txt", kept)
        model = load_model(
            ner_train(out / f"fold-{k}", seed, [f"data.train={out}/fold-{k}/train.txt"])
        )
        sentences = [train.sentences[i].tokens for i in held]
        p = type_probabilities(model, sentences, [train.sentences[i].document for i in held])
        ends = np.cumsum([len(s) for s in sentences])
        for i, rows in zip(held, np.split(p, ends[:-1]), strict=True):
            p_train[i] = rows
    first = load_model(ner_train(out / "first", seed, []))
    train_sentences = [s.tokens for s in train.sentences]
    train_documents = [s.document for s in train.sentences]
    prior_train = prior_classes(
        train_sentences, train_documents, np.concatenate(p_train), variant != "separate"
    )

    # The second pass: D reads old class × 12 + prior class.
    n_classes = 6 * PRIOR_CLASSES
    build.DOCUMENT_CLASSES = model_file.DOCUMENT_CLASSES = tuple(range(n_classes))

    def encode_train(sentences, vocabulary, half, features, documents=None, document_classes=None):
        assert [tuple(s) for s in sentences] == [tuple(s) for s in train_sentences]
        types, type_of = token_types(sentences)
        lengths = np.array([len(s) for s in sentences], np.int64)
        old = classes_of_tokens(types, type_of, lengths, documents)
        windows = windows_module.encode(
            sentences,
            vocabulary,
            half,
            features,
            document_classes=old * PRIOR_CLASSES + prior_train,
        )
        return centre_only(windows, features, half) if variant != "separate" else windows

    def log_probs_two_pass(model, found, lengths, documents, document_classes):
        if model is first or document_classes is not None:
            return predict._ORIGINAL_LOG_PROBS(model, found, lengths, documents, document_classes)
        sentences = found.sentences(lengths)
        documents = range(len(sentences)) if documents is None else documents
        old = predict.token_table(model).document_classes(found, lengths, documents)
        prior = prior_classes(sentences, documents, type_probabilities(first, sentences, documents))
        return predict._ORIGINAL_LOG_PROBS(
            model, found, lengths, documents, old * PRIOR_CLASSES + prior
        )

    shares: list[float] = []

    def log_probs_self(model, found, lengths, documents, document_classes):
        """Pass 1 is the model itself with every prior "alone"; pass 2 reads the priors."""
        if document_classes is not None:
            return predict._ORIGINAL_LOG_PROBS(model, found, lengths, documents, document_classes)
        sentences = found.sentences(lengths)
        documents = range(len(sentences)) if documents is None else documents
        table = predict.token_table(model)
        old = table.document_classes(found, lengths, documents)
        allowed = predict.iob2_masks(tuple(model.tags))
        half = model.network.window
        alone = table.windows(found, lengths, half, documents, old * PRIOR_CLASSES + 1)
        log_p = model.network.log_probs(alone.ids, lengths=alone.lengths, allowed=allowed)
        prior = prior_classes(sentences, documents, types_of(log_p, model.tags), True)
        shares.append(float(np.mean(prior != 1)))
        windows = table.windows(found, lengths, half, documents, old * PRIOR_CLASSES + prior)
        windows = centre_only(windows, model.features, half)
        return model.network.log_probs(windows.ids, lengths=windows.lengths, allowed=allowed), None

    def log_probs_cheap(model, found, lengths, documents, document_classes):
        """Pass 1 is the separate first model; the second model re-scores only the tokens
        whose centre reads a prior (capital letter, another mention): the rest keep pass 1's."""
        if model is first or document_classes is not None:
            return predict._ORIGINAL_LOG_PROBS(model, found, lengths, documents, document_classes)
        sentences = found.sentences(lengths)
        documents = range(len(sentences)) if documents is None else documents
        first_found = predict.token_table(first).type_ids(sentences)
        log_p, _ = predict._ORIGINAL_LOG_PROBS(first, first_found, lengths, documents, None)
        prior = prior_classes(sentences, documents, types_of(log_p, first.tags), True)
        shares.append(float(np.mean(prior != 1)))
        table = predict.token_table(model)
        old = table.document_classes(found, lengths, documents)
        windows = table.windows(
            found, lengths, model.network.window, documents, old * PRIOR_CLASSES + prior
        )
        windows = centre_only(windows, model.features, model.network.window)
        rows = np.flatnonzero(prior != 1)
        allowed = predict.iob2_masks(tuple(model.tags))
        log_p = log_p.copy()
        if len(rows):
            log_p[rows] = model.network.log_probs(windows.ids[rows], allowed=allowed)
        return log_p, None

    run.encode = encode_train
    predict._log_probs = {
        "self": log_probs_self,
        "cheap": log_probs_cheap,
        "separate": log_probs_two_pass,
    }[variant]
    second = "second" if variant == "separate" else f"second-{variant}"
    overrides = dict(
        parse_assignment(a)
        for a in ("model.prior_dim=0", *EXTRA, f"training.seed={seed}", f"out={out / second}")
    )
    config = load_config(ROOT / "configs" / "conll2003.toml", overrides)
    result = run.train(config, force=True, log=lambda _: None, progress=False)
    scores = json.loads((out / second / "scores.json").read_text())
    first_scores = json.loads((out / "first" / "scores.json").read_text())
    figures = {
        "seed": seed,
        "folds": FOLDS,
        "first_dev_f1": first_scores["dev"]["overall"]["f1"],
        "first_test_f1": first_scores["test"]["overall"]["f1"],
        "second_dev_f1": scores["dev"]["overall"]["f1"],
        "second_test_f1": scores["test"]["overall"]["f1"],
        "best_epoch": scores["best_epoch"],
        "seconds": round(time.perf_counter() - started, 1),
    }
    if shares:  # the tokens whose second pass differs from the first: what tagging would redo
        figures["share_read_prior"] = round(shares[-1], 4)
    del result
    name = "figures.json" if variant == "separate" else f"figures-{variant}.json"
    (out / name).write_text(json.dumps(figures) + "\n")
    print(json.dumps(figures), flush=True)
    return figures


def centre_only(windows, features, half: int):
    """The windows with the prior read at the centre only: elsewhere D's class is its own
    class × 12 + 1 ("alone"), padding staying 0. Shapes: ids (T, n, m), changed in place."""
    d = features.slots.index("D")
    column = windows.ids[:, :, d]
    neighbours = np.arange(column.shape[1]) != half
    part = column[:, neighbours]
    column[:, neighbours] = np.where(part == 0, 0, part // PRIOR_CLASSES * PRIOR_CLASSES + 1)
    return windows


def table(results: list[dict]) -> str:
    def cell(values):
        values = np.array(values)
        return f"{values.mean():.4f} ± {values.std(ddof=1) if len(values) > 1 else 0:.4f}"

    rows = [
        "| pass | seeds | dev F1 | test F1 |",
        "|---|---|---|---|",
        f"| first (the default) | {len(results)} | {cell([r['first_dev_f1'] for r in results])} "
        f"| {cell([r['first_test_f1'] for r in results])} |",
        f"| second, {FOLDS}-fold cross-fitted | {len(results)} "
        f"| {cell([r['second_dev_f1'] for r in results])} "
        f"| {cell([r['second_test_f1'] for r in results])} |",
    ]
    d_dev = [r["second_dev_f1"] - r["first_dev_f1"] for r in results]
    d_test = [r["second_test_f1"] - r["first_test_f1"] for r in results]
    rows.append(
        f"\nSecond minus first, seed by seed: dev {', '.join(f'{100 * d:+.2f}' for d in d_dev)}; "
        f"test {', '.join(f'{100 * d:+.2f}' for d in d_test)} points."
    )
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, help="run one seed in this process")
    parser.add_argument("--variant", choices=("separate", "self", "cheap"), default="separate")
    parser.add_argument("--table", action="store_true", help="only rebuild the table")
    parser.add_argument("--smoke", action="store_true", help="one epoch each: try the script")
    args = parser.parse_args()
    if args.smoke:
        global RUNS
        RUNS = ROOT / "runs" / "second-pass-smoke"
        EXTRA.append("training.epochs=1")
    if args.seed is not None:
        os.environ.update(BLAS_ONE)
        second_pass(args.seed, args.variant)
        return
    if not args.table:

        def one(seed: int) -> None:
            if not (RUNS / f"seed-{seed}" / "figures.json").exists():
                command = [sys.executable, __file__, "--seed", str(seed)]
                subprocess.run(command, env={**os.environ, **BLAS_ONE}, check=True)

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(one, SEEDS))
    results = [
        {"variant": "separate", **json.loads((RUNS / f"seed-{seed}" / "figures.json").read_text())}
        for seed in SEEDS
        if (RUNS / f"seed-{seed}" / "figures.json").exists()
    ]
    variants = [
        {"variant": variant, **json.loads(path.read_text())}
        for variant in ("self", "cheap")
        for seed in SEEDS
        if (path := RUNS / f"seed-{seed}" / f"figures-{variant}.json").exists()
    ]
    RESULTS.write_text(json.dumps(results + variants, indent=1) + "\n")
    TABLE.write_text(table(results) + variant_rows(variants))
    print(TABLE.read_text())


def variant_rows(variants: list[dict]) -> str:
    """The other forms of the second pass, each measured on the seeds it names."""
    what = {
        "self": "the model is its own first pass (every prior read 'alone'); the prior at the "
        "centre only, for words with a capital letter",
        "cheap": "the separate first pass; the prior at the centre only, for words with a capital "
        "letter; only the tokens that read a prior are scored again (model.prior_dim's form)",
    }
    lines = [
        "\nOther forms (`--variant`), against the same seed's first pass:\n",
        "| variant | seed | dev F1 (Δ points) | test F1 (Δ points) | tokens scored again |",
        "|---|---|---|---|---|",
    ]
    for r in variants:
        dev, test = r["second_dev_f1"], r["second_test_f1"]
        lines.append(
            f"| {r['variant']}: {what[r['variant']]} | {r['seed']} "
            f"| {dev:.4f} ({100 * (dev - r['first_dev_f1']):+.2f}) "
            f"| {test:.4f} ({100 * (test - r['first_test_f1']):+.2f}) "
            f"| {100 * r.get('share_read_prior', 1):.1f}% |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    predict_module = __import__("windowner.tagging.predict", fromlist=["_log_probs"])
    predict_module._ORIGINAL_LOG_PROBS = predict_module._log_probs
    main()
