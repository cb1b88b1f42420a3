"""Train the same configuration with several seeds and report mean ± sd of the scores."""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from windowner.atomic import write_text
from windowner.config import Config
from windowner.training.finish import TrainResult
from windowner.training.run import train

SEEDS_FILE = "seeds.json"


@dataclass(frozen=True)
class SeedSummary:
    out: Path
    seeds: list[int]
    dev_f1: list[float]
    test_f1: list[float]  # empty without test data

    def to_dict(self) -> dict:
        result = {"seeds": self.seeds, "dev_f1": self.dev_f1, **_stats("dev_f1", self.dev_f1)}
        if self.test_f1:
            result.update(test_f1=self.test_f1, **_stats("test_f1", self.test_f1))
        return result

    def describe(self) -> str:
        lines = [f"seeds {', '.join(map(str, self.seeds))}:"]
        for name, values in (("dev F1", self.dev_f1), ("test F1", self.test_f1)):
            if values:
                mean, sd = _mean_sd(values)
                each = ", ".join(f"{v:.4f}" for v in values)
                lines.append(f"  {name} {mean:.4f} ± {sd:.4f} (sd over seeds; each: {each})")
        lines.append(f"  models in {self.out}/seed-N, summary in {self.out / SEEDS_FILE}")
        return "\n".join(lines)


def train_seeds(
    config: Config,
    seeds: list[int],
    *,
    force: bool = False,
    log: Callable[[str], None] = print,
    progress: bool = True,
) -> SeedSummary:
    """One run per seed, into OUT/seed-N; the summary goes to OUT/seeds.json."""
    out = Path(config.out)
    results: list[TrainResult] = []
    for seed in seeds:
        log(f"== seed {seed}")
        seeded = dataclasses.replace(
            config,
            out=str(out / f"seed-{seed}"),
            training=dataclasses.replace(config.training, seed=seed),
        )
        results.append(train(seeded, force=force, log=log, progress=progress))
    summary = SeedSummary(
        out,
        list(seeds),
        [r.dev.f1 for r in results],
        [r.test.f1 for r in results if r.test is not None],
    )
    write_text(out / SEEDS_FILE, json.dumps(summary.to_dict(), indent=2) + "\n")
    return summary


def _mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (n − 1); sd 0 for a single value."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def _stats(name: str, values: list[float]) -> dict:
    mean, sd = _mean_sd(values)
    return {f"{name}_mean": mean, f"{name}_sd": sd}
