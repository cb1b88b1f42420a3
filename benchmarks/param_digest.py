"""A fingerprint of the parameters a seed trains: the check that an optimisation changed no number.

Trains the default config (or it with --set overrides) for a few epochs through the trainer
itself (training.loop.train_epoch, BLAS on one thread as ner-train runs it) and prints the
SHA-256 of every parameter's bytes and the summed training loss. Run it at two commits: the
same digest means bit-identical parameters.

    python benchmarks/param_digest.py --epochs 2
    python benchmarks/param_digest.py --epochs 1 --set model.head=softmax
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import time
from pathlib import Path

import numpy as np
from project import CONFIG, PRIOR_OFF, ROOT


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    from windowner.config import load_config
    from windowner.training.checkpoint import TrainingState
    from windowner.training.loop import train_epoch
    from windowner.training.run import prepare

    overrides = {"out": str(ROOT / "runs" / "param-digest"), **PRIOR_OFF}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = json.loads(value) if value[:1].isdigit() or value[:1] == "-" else value
    with contextlib.chdir(ROOT), threadpool_limits(limits=1, user_api="blas"):
        config = load_config(CONFIG, overrides)
        run = prepare(config, Path(config.out), lambda line: None)
        state, seconds = TrainingState(), []
        for epoch in range(1, args.epochs + 1):
            order = run.rng.permutation(run.units)
            started = time.perf_counter()
            train_epoch(run, state, order, epoch, [], progress=False)
            seconds.append(round(time.perf_counter() - started, 3))
            state.epoch, state.batch = epoch, 0
    digest = hashlib.sha256()
    for name in sorted(run.model.network.params):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(run.model.network.params[name]).tobytes())
    print(
        json.dumps(
            {
                "digest": digest.hexdigest()[:16],
                "loss_sum": state.loss_sum,
                "epochs": args.epochs,
                "overrides": args.set,
                "seconds": seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
