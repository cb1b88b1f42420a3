"""Train the same configuration with several seeds and report mean ± sd of the scores; with
`ensemble`, also join the seeds' best models into one model file that averages them."""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from windowner.atomic import write_text
from windowner.config import Config
from windowner.data.conll import Corpus
from windowner.errors import UserError
from windowner.evaluation.conlleval import Scores, TokenScores
from windowner.evaluation.evaluate import evaluate
from windowner.model.ensemble import Ensemble
from windowner.model_file import Model, load_model, save_model
from windowner.training.data import read_data
from windowner.training.finish import TrainResult
from windowner.training.run import train
from windowner.training.run_folder import BEST_FILE, MODEL_FILE, SCORES_FILE

SEEDS_FILE = "seeds.json"


@dataclass(frozen=True)
class SeedSummary:
    out: Path
    seeds: list[int]
    dev_f1: list[float]
    test_f1: list[float]  # empty without test data
    ensemble: dict | None = None  # with --ensemble: its dev and test scores and file

    def to_dict(self) -> dict:
        result = {"seeds": self.seeds, "dev_f1": self.dev_f1, **_stats("dev_f1", self.dev_f1)}
        if self.test_f1:
            result.update(test_f1=self.test_f1, **_stats("test_f1", self.test_f1))
        if self.ensemble:
            result["ensemble"] = self.ensemble
        return result

    def describe(self) -> str:
        lines = [f"seeds {', '.join(map(str, self.seeds))}:"]
        for name, values in (("dev F1", self.dev_f1), ("test F1", self.test_f1)):
            if values:
                mean, sd = _mean_sd(values)
                each = ", ".join(f"{v:.4f}" for v in values)
                lines.append(f"  {name} {mean:.4f} ± {sd:.4f} (sd over seeds; each: {each})")
        lines.append(f"  models in {self.out}/seed-N, summary in {self.out / SEEDS_FILE}")
        if self.ensemble:
            e = self.ensemble
            scores = f"dev F1 {e['dev_f1']:.4f}"
            if e.get("test_f1") is not None:
                scores += f", test F1 {e['test_f1']:.4f}"
            lines.append(
                f"ensemble of {len(self.seeds)}: {scores}; model in {e['model']} "
                f"({e['megabytes']:.0f} MB)"
            )
        return "\n".join(lines)


def train_seeds(
    config: Config,
    seeds: list[int],
    *,
    force: bool = False,
    log: Callable[[str], None] = print,
    progress: bool = True,
    ensemble: bool = False,
    given: Collection[str] | None = None,
) -> SeedSummary:
    """One run per seed, into OUT/seed-N; the summary goes to OUT/seeds.json. With `ensemble`,
    the seeds' best models become one, OUT/model.npz, scored on dev and once on test. `given`
    is train()'s (the keys the user set, for training.init)."""
    if ensemble and len(seeds) < 2:
        raise UserError("--ensemble needs at least two --seeds")
    out = Path(config.out)
    results: list[TrainResult] = []
    for seed in seeds:
        log(f"== seed {seed}")
        seeded = dataclasses.replace(
            config,
            out=str(out / f"seed-{seed}"),
            training=dataclasses.replace(config.training, seed=seed),
        )
        results.append(train(seeded, force=force, log=log, progress=progress, given=given))
    joined = join_seeds(config, [r.out for r in results], out, log) if ensemble else None
    summary = SeedSummary(
        out,
        list(seeds),
        [r.dev.f1 for r in results],
        [r.test.f1 for r in results if r.test is not None],
        joined,
    )
    write_text(out / SEEDS_FILE, json.dumps(summary.to_dict(), indent=2) + "\n")
    return summary


def join_seeds(config: Config, runs: list[Path], out: Path, log: Callable[[str], None]) -> dict:
    """The runs' best models as one Ensemble in OUT/model.npz, scored on dev (reported, never
    used to choose anything) and once on test; -> its scores and file, as seeds.json has them."""
    models = [load_model(run / BEST_FILE) for run in runs]
    first = models[0]
    for model in models[1:]:
        if model.vocabulary.words != first.vocabulary.words or model.tags != first.tags:
            raise UserError("the seeds' models differ in vocabulary or tags: cannot join them")
    metadata = {k: v for k, v in first.metadata.items() if k not in ("seed", "epoch")}
    metadata["members"] = [
        {"seed": m.metadata["seed"], "epoch": m.metadata["epoch"]} for m in models
    ]
    network = Ensemble([m.network for m in models])
    joined = Model(
        network,
        first.vocabulary,
        first.tags,
        metadata,
        first.features,
        first.decode,
        first.objective,
        first.only_type,
    )
    joined.int8_rows = first.int8_rows  # the seeds share their int8 rows (the same vectors)
    if first.first_pass is not None:  # the document prior: the first passes join as well
        joined.first_pass = Ensemble([m.first_pass for m in models])
    dev_scores = _score(joined, read_data(config, "dev"))
    test = read_data(config, "test") if config.data.test else None
    test_scores = _score(joined, test) if test is not None else None
    joined.metadata["dev"] = dev_scores.to_dict()
    save_model(out / MODEL_FILE, joined)
    scores = {"ensemble": len(models), "dev": dev_scores.to_dict()}
    if test_scores is not None:
        scores["test"] = test_scores.to_dict()
    write_text(out / SCORES_FILE, json.dumps(scores, indent=2) + "\n")
    result = {
        "model": str(out / MODEL_FILE),
        "megabytes": (out / MODEL_FILE).stat().st_size / 1e6,
        "dev_f1": dev_scores.f1,
        "test_f1": test_scores.f1 if test_scores is not None else None,
    }
    log(json.dumps({"ensemble": len(models), **result}))
    return result


def _score(model: Model, corpus: Corpus) -> Scores | TokenScores:
    return evaluate(model, corpus)[0]


def _mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (n − 1); sd 0 for a single value."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def _stats(name: str, values: list[float]) -> dict:
    mean, sd = _mean_sd(values)
    return {f"{name}_mean": mean, f"{name}_sd": sd}
