"""Seconds to load word vectors: the packaged default, and a 400k-word GloVe text file's first and
second (cached) load (the `vectors` part of run.py, measure.py's `vectors` and `write-glove`)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from child_process import measure


def bench_vectors(work: Path) -> dict:
    """Loading the default vectors; a 400k-word GloVe text file's second (cached) load."""
    found = {}
    loads = [measure("vectors", "glove-6b-50d") for _ in range(3)]
    times = [r["seconds"] for r, _, _, error in loads if r]
    found["vectors_load_s"] = min(times) if times else None
    if not times:
        found["vectors_load_error"] = loads[0][3]
    glove = work / "glove.6B.50d.txt"
    written, _, _, error = measure("write-glove", glove)
    if error:
        return {**found, "vectors_cached_load_s": None, "vectors_cached_load_note": error}
    cache = {"WINDOWNER_CACHE": str(work / "vectors-cache")}
    first, _, _, error1 = measure("vectors", glove, env=cache)
    second, _, _, error2 = measure("vectors", glove, env=cache)
    found["vectors_cached_load_s"] = second["seconds"] if second else None
    found["vectors_text"] = {
        "file": f"{written['words']:,} words × 50, {written['bytes'] / 1e6:.0f} MB (GloVe text)",
        "first_load_s (parse and write the cache)": first["seconds"] if first else error1,
        "second_load_s (from the cache)": second["seconds"] if second else error2,
    }
    return found


def measure_vectors(args) -> dict:
    """Seconds of load_vectors(spec), with how many words of what dimension it loaded."""
    from windowner.vectors.loading import load_vectors

    started = time.perf_counter()
    vectors = load_vectors(args.spec)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "words": len(vectors.words), "dim": vectors.dim}


def write_glove(args) -> dict:
    """Write the packaged GloVe 6B 50d as a GloVe text file (word and 50 numbers a line)."""
    from windowner.vectors.loading import load_vectors

    vectors = load_vectors("glove-6b-50d")
    row = " ".join(["%.6g"] * vectors.dim) + "\n"
    started = time.perf_counter()
    out = Path(args.out)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out.parent, delete=False) as f:
        for word, values in zip(vectors.words, vectors.matrix.tolist(), strict=True):
            f.write(word + " " + row % tuple(values))
    os.replace(f.name, out)
    return {
        "words": len(vectors.words),
        "bytes": out.stat().st_size,
        "seconds": round(time.perf_counter() - started, 2),
    }
