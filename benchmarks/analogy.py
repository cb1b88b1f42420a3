"""Seconds of the analogy evaluation over every word of the default vectors (the `analogy` part of
run.py, measure.py's `analogy`)."""

from __future__ import annotations

import time

from child_process import measure
from timing import blas_threads


def bench_analogy() -> dict:
    """The evaluation with BLAS as it comes, then with OPENBLAS_NUM_THREADS=1."""
    result, _, _, error = measure("analogy")
    if error:
        return {"analogy_eval_s": None, "analogy_note": error}
    one_thread, _, _, _ = measure("analogy", env={"OPENBLAS_NUM_THREADS": "1"})
    return {
        "analogy_eval_s": result["seconds"],
        "analogy": result,
        "analogy_eval_s_OPENBLAS_NUM_THREADS_1": one_thread["seconds"] if one_thread else None,
    }


def measure_analogy(args) -> dict:
    """The analogy evaluation over all 400k words of the default vectors (loading not timed)."""
    from windowner.evaluation.analogies import evaluate_analogies
    from windowner.evaluation.space import Space
    from windowner.vectors.loading import load_vectors

    vectors = load_vectors("glove-6b-50d")
    started = time.perf_counter()
    scores = evaluate_analogies(Space.of(vectors))
    seconds = time.perf_counter() - started
    total = scores.total
    return {
        "seconds": round(seconds, 2),
        "words": len(vectors.words),
        "accuracy": round(total.correct / max(total.answered, 1), 4),
        "answered": total.answered,
        "questions": total.questions,
        "blas_threads": blas_threads(),
    }
