"""How fast windowner tags: the model alone on prepared ids, `ner-tag` end to end on raw text,
and `ner-tag`'s cold start (the `tag` part of run.py, measure.py's `tag-model`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from child_process import console_script, measure, run_child
from corpus import raw_text
from project import DATA
from timing import best_of, blas_limit, blas_threads


def bench_tag(model: Path, work: Path) -> dict:
    """Tagging: the model alone on prepared ids, then ner-tag end to end on raw text; each with
    BLAS on 1 thread (as ner-tag runs) and, for comparison, on 2. Also how long `ner-tag --help`
    and a one-line input from a cold start take (best of 3 each)."""
    found = {}
    conll = (DATA / "valid.txt", DATA / "test.txt")
    for threads in (1, 2):  # the headline is 1 thread, as ner-tag runs
        result, _, _, error = measure(
            "tag-model", "--model", model, "--blas-threads", threads, *conll
        )
        found[f"tag_model_blas_threads_{threads}"] = result or error
    if isinstance(found["tag_model_blas_threads_1"], dict):
        found["tag_tokens_per_s_model"] = found["tag_model_blas_threads_1"]["tokens_per_s"]

    # CoNLL's three files as running text, 4 times over: over a million tokens, so that the
    # start-up (about half a second of imports and model loading) is a small part of the time.
    once, tokens_once = raw_text(work / "raw-once.txt")
    repeats = 4
    text = work / "raw.txt"
    text.write_text(once.read_text(encoding="utf-8") * repeats, encoding="utf-8")
    tokens = tokens_once * repeats
    one_line = work / "one-line.txt"
    one_line.write_text(
        "Angela Merkel met Emmanuel Macron in Paris on Tuesday.\n", encoding="utf-8"
    )
    tag = [*console_script("ner-tag", "windowner.cli.tag"), model]
    help_walls, first_walls = [], []
    for _ in range(3):
        _, _, wall, error = run_child([*tag[:-1], "--help"])
        help_walls.append(wall if not error else float("inf"))
        _, _, wall, error = run_child([*tag, one_line, "--output", work / "one.jsonl"])
        first_walls.append(wall if not error else float("inf"))
    found["tag_help_seconds"] = round(min(help_walls), 3)
    found["tag_first_sentence_seconds"] = round(min(first_walls), 3)
    startup = min(first_walls)
    best = None
    for _ in range(2):
        _, peak_mb, wall, error = run_child([*tag, text, "--output", work / "raw.jsonl"])
        if error:
            return {**found, "tag_e2e_error": error}
        if best is None or wall < best[0]:
            best = (wall, peak_mb)
    wall, peak_mb = best
    # Once more with two BLAS threads, asked the way a user would: through the environment.
    two_threads = {"OPENBLAS_NUM_THREADS": "2"}
    _, _, wall_2, _ = run_child([*tag, text, "--output", work / "raw.jsonl"], env=two_threads)
    found["tag_tokens_per_s_e2e"] = round(tokens / wall)
    found["tag_e2e"] = {
        "command": "ner-tag MODEL raw.txt --output raw.jsonl",
        "input": f"train + valid + test of CoNLL-2003 as raw text, one sentence a line, "
        f"{repeats} times over",
        "lines": text.read_text(encoding="utf-8").count("\n"),
        "tokens": tokens,
        "seconds": round(wall, 2),
        "startup_seconds_one_line": round(startup, 2),
        "tokens_per_s_after_startup": round(tokens / max(wall - startup, 1e-9)),
        "seconds_with_OPENBLAS_NUM_THREADS_2": round(wall_2, 2),
    }
    found["peak_rss_mb_tag"] = peak_mb
    return found


def measure_tag_model(args) -> dict:
    """Tokens per second of the model alone: forward pass and decoding on prepared id arrays.

    The CoNLL files' sentences are encoded into windows first (not timed); then log p for every
    token and the decoded tags, as predict() makes them, best of a few runs. `forward_threads`
    is how many blocks of windows the forward pass runs side by side (model/inference.py).
    """
    from windowner.data import tags
    from windowner.data.conll import read_conll
    from windowner.features.windows import encode
    from windowner.model import decoding
    from windowner.model_file import load_model

    model = load_model(args.model)
    sentences = [s.tokens for path in args.conll for s in read_conll(path).sentences]
    windows = encode(sentences, model.vocabulary, model.network.window, model.features)
    tokens = len(windows)
    transition, start = tags.allowed_transitions(model.tags)

    def forward():
        return model.network.log_probs(windows.ids)

    log_p = forward()
    if hasattr(decoding, "viterbi_batch"):
        decoder = "viterbi_batch"

        def decode():
            return decoding.viterbi_batch(log_p, windows.lengths, transition, start)

    else:  # the per-sentence loop predict() ran before viterbi_batch existed
        decoder = "viterbi per sentence"
        bounds = np.cumsum(windows.lengths)[:-1]

        def decode():
            return [decoding.viterbi(p, transition, start) for p in np.split(log_p, bounds)]

    with blas_limit(args.blas_threads):
        threads = blas_threads()
        forward_s = best_of(forward, 5)
        decode_s = best_of(decode, 5)
        greedy_s = best_of(lambda: decoding.greedy(log_p), 5)
    try:  # blocks forwarded side by side (model/inference.py), each product on `threads`
        from windowner.model.inference import forward_threads

        side_by_side = forward_threads()
    except ImportError:
        side_by_side = 1
    return {
        "tokens": tokens,
        "sentences": len(sentences),
        "decoder": decoder,
        "blas_threads": threads,
        "forward_threads": side_by_side,
        "forward_s": round(forward_s, 4),
        "viterbi_s": round(decode_s, 4),
        "greedy_s": round(greedy_s, 4),
        "tokens_per_s": round(tokens / (forward_s + decode_s)),
        "tokens_per_s_greedy": round(tokens / (forward_s + greedy_s)),
    }
