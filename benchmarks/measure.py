"""One measurement per run, in its own process: `python benchmarks/measure.py NAME [options]`.

Each prints one JSON object on its last line of stdout; run.py starts them, reads that line
and takes the child's peak resident memory from the operating system. They use windowner's
public API (train(config), load_model, encode, log_probs, the decoders, load_vectors, the
intrinsic evaluation) so that they keep working while the internals change; `profile` alone
times the layers one by one and reports an error instead of a figure if they have changed.
Each NAME's code lives in the module named after what it measures (see MEASUREMENTS).
"""

from __future__ import annotations

import argparse
import json
import sys

from analogy import measure_analogy
from epoch_profile import measure_profile
from feature_costs import measure_feature_cost
from matmul_floor import measure_matmul
from tag_speed import measure_tag_model
from torch_compare import measure_compare
from train_speed import measure_train
from twin_check import measure_twin_check
from vector_loading import measure_vectors, write_glove

MEASUREMENTS = {
    "train": measure_train,
    "matmul": measure_matmul,
    "profile": measure_profile,
    "tag-model": measure_tag_model,
    "vectors": measure_vectors,
    "write-glove": write_glove,
    "analogy": measure_analogy,
    "compare": measure_compare,
    "twin-check": measure_twin_check,
    "feature-cost": measure_feature_cost,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train(config) for a few epochs; seconds of each")
    train.add_argument("--out", required=True)
    train.add_argument("--epochs", type=int, default=3)
    train.add_argument("--train", help="CoNLL file (default: the config's)")
    train.add_argument("--dev", help="CoNLL file (default: the config's)")
    train.add_argument("--hidden", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--blas-threads", type=int, help="limit BLAS threads (default: untouched)")

    matmul = commands.add_parser("matmul", help="numpy's GFLOP/s on the training products")
    matmul.add_argument("--model", required=True, help="model.npz: its W and U give the shapes")
    matmul.add_argument("--batch-size", type=int, default=32)

    profile = commands.add_parser("profile", help="one epoch's time, layer by layer")
    profile.add_argument("--model", required=True)
    profile.add_argument("--batches", type=int, default=2000)
    profile.add_argument("--blas-threads", type=int)

    tag_model = commands.add_parser("tag-model", help="forward + decode on prepared id arrays")
    tag_model.add_argument("--model", required=True)
    tag_model.add_argument("--blas-threads", type=int)
    tag_model.add_argument("conll", nargs="+")

    vectors = commands.add_parser("vectors", help="seconds to load_vectors(spec)")
    vectors.add_argument("spec")

    glove = commands.add_parser("write-glove", help="the default vectors as a GloVe text file")
    glove.add_argument("out")

    commands.add_parser("analogy", help="seconds of the analogy evaluation over every word")

    settings = "--set SECTION.KEY=VALUE over configs/conll2003.toml (repeatable)"
    compare = commands.add_parser("compare", help="one epoch of windowner against the torch twin")
    compare.add_argument("--set", action="append", default=[], help=settings)
    compare.add_argument("--repeats", type=int, default=3, help="epochs of each, alternating")

    check = commands.add_parser("twin-check", help="windowner and the twin, step by step")
    check.add_argument("--set", action="append", default=[], help=settings)
    check.add_argument("--steps", type=int, default=200)

    epochs = commands.add_parser("feature-cost", help="windowner's epoch, each feature off")
    epochs.add_argument("--repeats", type=int, default=2, help="rounds over the settings")

    args = parser.parse_args()
    print(json.dumps(MEASUREMENTS[args.command](args)))


if __name__ == "__main__":
    sys.exit(main())
