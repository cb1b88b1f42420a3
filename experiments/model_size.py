"""A smaller model file: each way of storing the default model, its size, and what it costs.

The issue "Every core, a smaller model, and time to accuracy" (part 2) asks for the default
model file at most 25 MB (it was 84 MB: 400,477 × 50 float32 rows) and a three-member ensemble
at most 60 MB, with dev and test F1 within 0.0005 of the model before, each way measured. This
script takes a default model written before int8 rows (format 2, `--old`) and measures:

1. Layouts of the same numbers. The old model's rows that training never changed (equal to
   their GloVe vectors) are rounded to int8 (model/int8.py), which is what training with
   vectors.int8 does from the start, and the file is written each way: E float32 (as before);
   int8 rows with float32 scales, float16 scales, the rows every member stores exactly zeroed
   in the int8 block; uncompressed and deflated (save_model's default); two layouts not taken
   (float32 byte planes of the exact rows, a 7-bit grid) for what they would add.
2. What the rounding costs: dev and test F1 of the converted model against the old one, and
   how many tokens change their tag on CoNLL-2003 test and on experiments/far_from_news.txt (a
   text far from news: Python's reference documentation on its execution model and imports,
   from the standard library's pydoc_data under the PSF licence, and passages written for this
   measurement: a recipe, gardening, fantasy, biology, a forum post, a lease, travel, music).
3. Keeping only the N most frequent pretrained words plus every one training reads (what
   vectors.max_vectors does, emulated by dropping the other rows from the converted model,
   whose trained numbers are those of a run with max_vectors, since training never reads the
   rows dropped): size, F1, and the share of tokens that lose their vector and change tag.
4. With `--fresh`, a default trained with vectors.int8 (`make train`): its size, dev and test
   F1, and whether its parameters equal the converted old model's bit for bit; with
   `--ensemble`, an ensemble file's size (`ner-train --config configs/conll2003.toml --seeds
   0,1,2 --ensemble`, short runs are enough: the size does not depend on the epochs).

    python experiments/model_size.py --old OLD.npz [--fresh NEW.npz] [--ensemble ENS.npz]

Results: experiments/model_size-results.json; experiments/model_size.md reads them.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np

from windowner.data.conll import read_conll
from windowner.data.tokenizer import sentences
from windowner.evaluation.evaluate import evaluate
from windowner.features.vocabulary import SPECIALS, Vocabulary
from windowner.model.int8 import encode, round_rows
from windowner.model.network import WindowNetwork
from windowner.model_file import Model, load_model, save_model
from windowner.tagging.predict import predict_tags
from windowner.tagging.text import tag_batch
from windowner.vectors.loading import load_vectors

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "conll2003"
FAR = ROOT / "experiments" / "far_from_news.txt"
RESULTS = ROOT / "experiments" / "model_size-results.json"
KEEP = (50_000, 100_000, 200_000)  # pretrained words kept besides those training reads
MB = 1e6


def converted(old: Model, vectors) -> tuple[Model, np.ndarray]:
    """The old model with every pretrained row training left equal to its vector rounded to
    int8: what training with vectors.int8 makes. -> (model, (V,) bool rows rounded)."""
    E = old.network.params["E"].copy()
    words = old.vocabulary.words
    start = len(SPECIALS)
    if words[start : start + len(vectors.words)] != list(vectors.words):
        raise SystemExit("the old model's rows are not the vectors' words in order")
    untouched = np.zeros(len(E), bool)
    untouched[start : start + len(vectors.words)] = (
        E[start : start + len(vectors.words)] == vectors.matrix
    ).all(axis=1)
    round_rows(E, untouched)
    return with_embedding(old, E), untouched


def with_embedding(model: Model, E: np.ndarray, vocabulary: Vocabulary | None = None) -> Model:
    """The model with E (and its vocabulary) replaced. Its int8 block, which describes another
    E, is dropped: save_model would only ignore it or store more rows exactly, but the block
    of another vocabulary must not ride along."""
    network = model.network
    params = {**network.params, "E": E}
    return dataclasses.replace(
        model,
        network=WindowNetwork(params, network.activation, network.head, network.slots),
        vocabulary=vocabulary or model.vocabulary,
        int8_rows=None,
    )


def pruned(model: Model, read: np.ndarray, keep: int) -> Model:
    """The model with only the specials, the first `keep` pretrained rows, every row training
    reads and the fresh rows; a word whose row is gone reads <unk>. The int8 block of the full
    vocabulary must not ride along (dataclasses.replace keeps it): it is dropped."""
    V = len(model.vocabulary)
    rows = np.zeros(V, bool)
    rows[: len(SPECIALS) + keep] = True
    rows |= read
    pretrained_end = len(SPECIALS) + 400_000
    rows[pretrained_end:] = True  # fresh rows of training words GloVe lacks
    words = [w for w, k in zip(model.vocabulary.words, rows, strict=True) if k]
    vocabulary = Vocabulary(words, model.vocabulary.lowercase, model.vocabulary.lookup)
    return with_embedding(model, model.network.params["E"][rows], vocabulary)


def file_size(model: Model, compress: bool = True) -> int:
    out = io.BytesIO()
    save_model_to(out, model, compress)
    return out.getbuffer().nbytes


def save_model_to(out: io.BytesIO, model: Model, compress: bool) -> None:
    """save_model into memory: through a temporary file (save_model writes atomically)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.npz"
        save_model(path, model, compress=compress)
        out.write(path.read_bytes())


def members_of(data: bytes) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            info.filename[:-4]: np.load(io.BytesIO(archive.read(info)))
            for info in archive.infolist()
        }


def zipped(arrays: dict[str, np.ndarray], compress: bool) -> int:
    out = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(out, **arrays)
    return out.getbuffer().nbytes


def layouts(model: Model, untouched: np.ndarray) -> dict[str, int]:
    """Bytes on disk of the converted model's numbers in each layout (the int8 ones rebuilt
    from the product's file, changed one knob at a time)."""
    sizes = {"float32 E (format 2, as before)": None}
    plain = dataclasses.replace(model, int8_rows=None)
    params = dict(plain.network.params)
    out = io.BytesIO()
    save_model_to(out, model, compress=False)
    product = members_of(out.getvalue())
    whole, _ = encode(params["E"])
    unzeroed = dict(product, E_int8=whole.q, E_scale=whole.scale)
    sizes["int8 rows, float32 scales, exact rows beside (stored)"] = zipped(
        dict(unzeroed, E_scale=unzeroed["E_scale"].astype(np.float32)), False
    )
    sizes["int8 rows, float16 scales (stored)"] = zipped(unzeroed, False)
    sizes["+ deflate"] = zipped(unzeroed, True)
    default = zipped(product, True)
    sizes["+ the int8 rows of rows stored exactly zeroed: save_model's default"] = default
    exact = product["E_exact"]
    planes = exact.view(np.uint8).reshape(-1, 4).T.copy()
    saved = len(zlib.compress(exact.tobytes(), 6)) - len(zlib.compress(planes.tobytes(), 6))
    sizes["not taken: + the exact rows as 4 byte planes"] = default - saved
    return sizes


def seven_bit(model: Model, old: Model, untouched: np.ndarray) -> tuple[Model, int]:
    """Not taken: the untouched rows on a grid of ±63 steps (int8 holding 7 bits), which
    deflate stores in about 6.6 bits a value. -> (model, deflated int8 block bytes)."""
    E = old.network.params["E"].copy()
    rows = E[untouched]
    s = (np.abs(rows).max(axis=1) / 63).astype(np.float16).astype(np.float32)
    q = np.clip(np.rint(rows / s[:, None]), -63, 63).astype(np.int8)
    E[untouched] = q.astype(np.float32) * s[:, None]
    block = np.zeros(E.shape, np.int8)
    block[untouched] = q
    return with_embedding(model, E), len(zlib.compress(block.tobytes(), 6))


def far_texts() -> list[str]:
    return [p for p in FAR.read_text(encoding="utf-8").split("\n\n") if p.strip()]


def tags_of(model: Model, texts: list[str]) -> list[str]:
    return [tag for t in tag_batch(model, texts) for sentence in t.tags for tag in sentence]


def oov_share(model: Model, texts: list[str]) -> float:
    """The share of the texts' tokens (as ner-tag splits them) that have no row: <unk>."""
    words = [token.text for text in texts for s in sentences(text) for token in s]
    return float(model.vocabulary.oov_rate(words))


def scores(model: Model, corpora: dict, reference: dict | None = None) -> dict:
    """Dev and test F1; with `reference` (another model's tags), how many tokens changed tag
    on CoNLL test and on the far-from-news text."""
    found = {}
    for name, corpus in corpora.items():
        started = time.perf_counter()
        found[f"{name}_f1"] = evaluate(model, corpus)[0].f1
        found[f"{name}_seconds"] = round(time.perf_counter() - started, 1)
    test_tags = [t for s in predict_tags(model, [s.tokens for s in corpora["test"].sentences],
                                         None, [s.document for s in corpora["test"].sentences])
                 for t in s]  # fmt: skip
    far = tags_of(model, far_texts())
    found["tags"] = {"test": test_tags, "far": far}
    if reference is not None:
        for where in ("test", "far"):
            ours, theirs = found["tags"][where], reference["tags"][where]
            found[f"{where}_tokens"] = len(ours)
            found[f"{where}_tags_changed"] = sum(a != b for a, b in zip(ours, theirs, strict=True))
            found[f"{where}_entity_tokens"] = sum(t != "O" for t in ours)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="a default model of format 2")
    parser.add_argument("--fresh", type=Path, help="a default trained with vectors.int8")
    parser.add_argument("--ensemble", type=Path, help="a three-member ensemble file")
    args = parser.parse_args()

    results: dict = {"old": str(args.old), "old_bytes": args.old.stat().st_size}
    old = load_model(args.old)
    vectors = load_vectors("glove-6b-50d")
    corpora = {name: read_conll(DATA / f"{file}.txt") for name, file in
               (("dev", "valid"), ("test", "test"))}  # fmt: skip
    model, untouched = converted(old, vectors)
    read = ~untouched
    read[: len(SPECIALS)] = False
    read[len(SPECIALS) + len(vectors.words) :] = False
    results["rows"] = {
        "vocabulary": len(untouched),
        "rounded (pretrained, never changed by training)": int(untouched.sum()),
        "pretrained rows training changed": int(read.sum()),
        "fresh (specials, training words GloVe lacks)": int(len(untouched) - 400_000),
    }
    sizes = layouts(model, untouched)
    sizes["float32 E (format 2, as before)"] = results["old_bytes"]
    results["layouts"] = sizes

    reference = scores(old, corpora)
    results["old_scores"] = {k: v for k, v in reference.items() if k != "tags"}
    ours = scores(model, corpora, reference)
    results["converted"] = {
        "bytes": file_size(model),
        **{k: v for k, v in ours.items() if k != "tags"},
        "far_oov": oov_share(model, far_texts()),
        "test_oov": float(model.vocabulary.oov_rate(
            [t for s in corpora["test"].sentences for t in s.tokens])),
    }  # fmt: skip

    seven, block_bytes = seven_bit(model, old, untouched)
    results["seven_bit"] = {
        "int8_block_deflated_bytes": block_bytes,
        "bytes_estimate": file_size(model) - len(zlib.compress(
            np.where(untouched[:, None], encode(model.network.params["E"])[0].q, 0)
            .astype(np.int8).tobytes(), 6)) + block_bytes,
        **{k: v for k, v in scores(seven, corpora, reference).items() if k != "tags"},
    }  # fmt: skip

    results["keep"] = {}
    for keep in KEEP:
        small = pruned(model, read, keep)
        found = scores(small, corpora, reference)
        results["keep"][str(keep)] = {
            "rows": len(small.vocabulary),
            "bytes": file_size(small),
            **{k: v for k, v in found.items() if k != "tags"},
            "far_oov": oov_share(small, far_texts()),
            "test_oov": float(small.vocabulary.oov_rate(
                [t for s in corpora["test"].sentences for t in s.tokens])),
        }  # fmt: skip
    results["old_scores"]["far_oov"] = oov_share(old, far_texts())
    results["old_scores"]["test_oov"] = float(
        old.vocabulary.oov_rate([t for s in corpora["test"].sentences for t in s.tokens])
    )

    if args.fresh:
        fresh = load_model(args.fresh)
        same = all(
            np.array_equal(fresh.network.params[k], v) for k, v in model.network.params.items()
        )
        results["fresh"] = {
            "bytes": args.fresh.stat().st_size,
            "same_parameters_as_converted": same,
            **{k: v for k, v in scores(fresh, corpora).items() if k != "tags"},
        }
    if args.ensemble:
        ensemble = load_model(args.ensemble)
        results["ensemble"] = {
            "bytes": args.ensemble.stat().st_size,
            "members": len(ensemble.network.members),
        }
    text = json.dumps(results, indent=2)
    RESULTS.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
