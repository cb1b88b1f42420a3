"""Would `ner-eval --num-proc` pay? Where ner-eval's time goes on a large labelled file (issue 24).

The file is CoNLL-2003's train, dev and test files one after another, 4 times over (1.2M
tokens, as the tagging bench's text). Each stage of what ner-eval does is timed in one process,
with its CPU seconds (so the cores it used): imports, loading the model, reading the file,
predicting every sentence (forward pass and Viterbi; the forward pass already runs two blocks at
once, model/inference.py), and scoring with conlleval. The best-case wall
time with N processes is what is left if the prediction alone ran N times faster on N cores with
no cost for handing sentences over and tags back; reading stays one process's (documents must
be whole, and the file is one stream).

    python experiments/ner_eval_stages.py MODEL [--rounds 3]

Prints one JSON object and writes experiments/ner-eval-stages.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "conll2003"

STAGES = r"""
import json, os, resource, sys, time
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
marks, last = {}, (time.perf_counter(), cpu())
def mark(name):
    global last
    now = (time.perf_counter(), cpu())
    marks[name] = [round(now[0] - last[0], 3), round(now[1] - last[1], 3)]
    last = now
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as ner-eval's callers run it
from windowner.data.sources import read_corpus
from windowner.evaluation.conlleval import score
from windowner.model_file import load_model
from windowner.tagging.predict import predict_tags
mark("imports")
model = load_model(sys.argv[1]); mark("load_model")
corpus = read_corpus(sys.argv[2], split="test"); mark("read_file")
sentences = corpus.sentences
predicted = predict_tags(model, [s.tokens for s in sentences], None,
                         [s.document for s in sentences]); mark("predict")
scores = score([s.tags for s in sentences], predicted); mark("score")
print(json.dumps({"tokens": sum(len(s.tokens) for s in sentences), "stages": marks,
                  "f1": round(scores.f1, 6)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "ner-eval-stages.json")
    args = parser.parse_args()
    results: dict = {"load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="ner-eval-stages-") as work:
        labelled = Path(work) / "labelled.txt"
        once = "".join(
            (DATA / name).read_text(encoding="utf-8")
            for name in ("train.txt", "valid.txt", "test.txt")
        )
        labelled.write_text(once * 4, encoding="utf-8")
        best: dict | None = None
        ends: list[float] = []
        for _ in range(args.rounds):
            staged = run([sys.executable, "-c", STAGES, args.model, labelled])
            total = sum(wall for wall, _ in staged["stages"].values())
            if best is None or total < sum(w for w, _ in best["stages"].values()):
                best = staged
            ends.append(end_to_end(args.model, labelled))
    assert best is not None
    stages = best["stages"]
    total = sum(wall for wall, _ in stages.values())
    results["tokens"] = best["tokens"]
    results["stages_wall_cpu_seconds"] = stages
    results["stages_share_of_wall"] = {k: round(w / total, 3) for k, (w, _) in stages.items()}
    results["staged_total_seconds"] = round(total, 2)
    results["ner_eval_end_to_end_seconds"] = {"best": min(ends), "all": ends}
    predict_wall, predict_cpu = stages["predict"]
    results["predict_cores_used"] = round(predict_cpu / predict_wall, 2)
    for n in (2, 4, 16):
        # the prediction's CPU split over n cores, the rest as it is
        bound = total - predict_wall + predict_cpu / n
        results[f"best_case_seconds_{n}_processes"] = round(bound, 2)
        results[f"best_case_speedup_{n}_processes"] = round(total / bound, 3)
    results["load_average_after"] = os.getloadavg()
    printed = json.dumps(results, indent=2)
    args.out.write_text(printed + "\n", encoding="utf-8")
    print(printed)


def run(command: list) -> dict:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def end_to_end(model: Path, labelled: Path) -> float:
    """Wall seconds of `ner-eval MODEL labelled.txt` as a user runs it."""
    started = time.perf_counter()
    subprocess.run(
        [Path(sys.executable).parent / "ner-eval", model, labelled],
        check=True,
        capture_output=True,
    )
    return round(time.perf_counter() - started, 2)


if __name__ == "__main__":
    main()
