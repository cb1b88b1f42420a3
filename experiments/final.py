"""After the ablation: ensembles of its seeds' models, and final models trained on train + dev.

    python experiments/final.py ensembles   # join runs/ablation/ROW/seed-N/model.npz
    python experiments/final.py with-dev    # train + dev, each seed for its dev-chosen epochs

Ensembles: the full row's seeds 0–2 and the sentence row's, each scored on dev
and once on test, with the file's size and its tagging speed (tokens per CPU second over
test.txt, the model loaded, one BLAS thread: CPU time, so that other work on the machine does
not count). Nothing is chosen on test.

with-dev: for each seed of the full row (every ingredient on), ner-train --set
training.with_dev=true for exactly the epochs that seed's dev-selected run chose (its best
epoch); its test F1 is a model trained on train + dev, reported apart, and its "dev" F1 is on
training data.

Results: experiments/final-results.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ABLATION = ROOT / "runs" / "ablation"
FINAL = ROOT / "runs" / "final"
RESULTS = ROOT / "experiments" / "final-results.json"
ROLES = {"train": "train", "dev": "valid", "test": "test"}
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def ensembles() -> list[dict]:
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    sys.path.insert(0, str(ROOT / "src"))
    from windowner.config import load_config
    from windowner.data.conll import read_conll
    from windowner.model_file import load_model
    from windowner.tagging.predict import predict
    from windowner.training.multiseed import join_seeds

    data = ROOT / "data" / "conll2003"
    config = load_config(
        ROOT / "configs" / "conll2003.toml",
        {f"data.{role}": str(data / f"{name}.txt") for role, name in ROLES.items()},
    )
    test = read_conll(ROOT / "data" / "conll2003" / "test.txt")
    sentences = [s.tokens for s in test.sentences]
    documents = [s.document for s in test.sentences]
    results = []
    for row, seeds in (("full", (0, 1, 2)), ("sentence", (0, 1, 2))):
        runs = [ABLATION / row / f"seed-{s}" for s in seeds]
        if not all((run / "model.npz").exists() for run in runs):
            print(f"{row} {seeds}: models missing, skipped", file=sys.stderr)
            continue
        # join_seeds reads each run's model-best.npz; the ablation keeps model.npz only
        for run in runs:
            best = run / "model-best.npz"
            if not best.exists():
                os.link(run / "model.npz", best)
        out = FINAL / f"ensemble-{row}-{len(seeds)}"
        out.mkdir(parents=True, exist_ok=True)
        joined = join_seeds(config, runs, out, log=lambda line: None)
        model = load_model(out / "model.npz")
        started = time.process_time()
        predict(model, sentences, documents=documents)
        seconds = time.process_time() - started
        single = load_model(runs[0] / "model.npz")
        started = time.process_time()
        predict(single, sentences, documents=documents)
        single_seconds = time.process_time() - started
        tokens = sum(len(s) for s in sentences)
        result = {
            "kind": "ensemble",
            "row": row,
            "seeds": list(seeds),
            "dev_f1": joined["dev_f1"],
            "test_f1": joined["test_f1"],
            "megabytes": round(joined["megabytes"], 1),
            "tokens_per_cpu_second": round(tokens / seconds),
            "one_member_tokens_per_cpu_second": round(tokens / single_seconds),
        }
        print(json.dumps(result), flush=True)
        results.append(result)
    return results


def with_dev_one(seed: int) -> dict:
    chosen = json.loads((ABLATION / "full" / f"seed-{seed}" / "scores.json").read_text())
    epochs = chosen["best_epoch"]
    out = FINAL / "with-dev" / f"seed-{seed}"
    if not (out / "scores.json").exists():
        command = [
            str(Path(sys.executable).with_name("ner-train")),
            *("--config", "configs/conll2003.toml", "--seed", str(seed), "--out", str(out)),
            *("--epochs", str(epochs), "--set", "training.with_dev=true", "--force", "--quiet"),
            *("--set", "model.affix_dim=8"),  # the full config, as the ablation's full row
            *("--set", "model.prior_dim=0"),  # measured before the prior's default
        ]
        done = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"with-dev seed {seed} failed:\n{done.stderr[-2000:]}")
        for model_file in out.glob("*.npz"):
            if model_file.name != "model.npz":
                model_file.unlink()
    scores = json.loads((out / "scores.json").read_text())
    result = {
        "kind": "with_dev",
        "seed": seed,
        "epochs": epochs,
        "test_f1": scores["test"]["overall"]["f1"],
        "dev_f1_on_training_data": scores["dev"]["overall"]["f1"],
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    what = sys.argv[1:] or ["ensembles", "with-dev"]
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    results = []
    if "with-dev" in what:
        with ThreadPoolExecutor(2) as pool:
            results += list(pool.map(with_dev_one, (0, 1, 2)))
    else:
        results += [r for r in previous if r["kind"] == "with_dev"]
    if "ensembles" in what:
        results += ensembles()
    else:
        results += [r for r in previous if r["kind"] == "ensemble"]
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
