"""What each ingredient of "What the window cannot see" costs `ner-tag`, side by side in one run.

`ner-tag MODEL raw.txt --output raw.jsonl` end to end on the bench's text (CoNLL-2003's three
files as raw text, 4 times over: about 1.2M tokens), for each model named, in rounds (A, B, …,
A, B, …) so that a burst of other work hits them alike; the best of the rounds per model, and its
ratio to the first model's.

    python experiments/tag_costs.py NAME=MODEL.npz NAME=MODEL.npz ... [--rounds 3]

Results: experiments/tag-costs.json (appended to, keyed by the models' names).
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import raw_text  # noqa: E402

RESULTS = ROOT / "experiments" / "tag-costs.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="NAME=MODEL.npz, the first being the base")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    models = dict(item.split("=", 1) for item in args.models)
    ner_tag = str(Path(sys.executable).with_name("ner-tag"))
    with tempfile.TemporaryDirectory(prefix="windowner-tag-costs-") as work:
        once, tokens_once = raw_text(Path(work) / "once.txt")
        text = Path(work) / "raw.txt"
        text.write_text(once.read_text(encoding="utf-8") * 4, encoding="utf-8")
        tokens = 4 * tokens_once
        seconds: dict[str, list[float]] = {name: [] for name in models}
        loads = []
        for _ in range(args.rounds):
            loads.append(round(os.getloadavg()[0], 2))
            for name, model in models.items():
                started = time.perf_counter()
                subprocess.run(
                    [ner_tag, model, str(text), "--output", str(Path(work) / "out.jsonl")],
                    check=True,
                )
                seconds[name].append(round(time.perf_counter() - started, 3))
    base = min(seconds[next(iter(models))])
    found = {
        "tokens": tokens,
        "load_average_per_round": loads,
        "models": {
            name: {
                "file": model,
                "megabytes": round(os.path.getsize(model) / 1e6, 2),
                "seconds": seconds[name],
                "tokens_per_s": round(tokens / min(seconds[name])),
                "speed_vs_first": round(base / min(seconds[name]), 3),
            }
            for name, model in models.items()
        },
    }
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous[" vs ".join(models)] = found
    RESULTS.write_text(json.dumps(previous, indent=1) + "\n")
    print(json.dumps(found, indent=1))


if __name__ == "__main__":
    main()
