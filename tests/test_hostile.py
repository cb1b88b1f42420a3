"""A seeded sample of tests/hostile.py's generator: every entry point and every class of hostile
input, each keeping the promise (exit 2, one `error:` line, no traceback, bounded memory and
time, no file changed or left behind). The larger sweep: `python -m tests.hostile --cases N`."""

from __future__ import annotations

import itertools
import random

import pytest

from tests.hostile import cases, run_case
from tests.test_model_file import tiny_model
from windowner.model_file import save_model

SEED = 0
# One draw of every (entry point, class) pair: about 25 commands.
SAMPLE = 1


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("hostile-model") / "model.npz"
    save_model(path, tiny_model())
    return path.read_bytes()


def _sample(model: bytes):
    rng = random.Random(SEED)
    stream = cases(rng, model)
    first = next(stream)
    makers = 1 + sum(1 for _ in itertools.takewhile(lambda c: c.name != first.name, stream))
    rng = random.Random(SEED)
    return list(itertools.islice(cases(rng, model), makers * SAMPLE))


def test_every_hostile_case_keeps_the_promise(model_bytes, tmp_path):
    sample = _sample(model_bytes)
    kinds = {case.kind for case in sample}
    assert kinds == {"bytes", "path", "endless", "value", "model"}
    broken = []
    for i, case in enumerate(sample):
        work = tmp_path / f"case-{i}"
        work.mkdir()
        outcome = run_case(case, work)
        if not outcome.held:
            broken.append(f"{case.name} {case.argv}: {outcome.problem}")
    assert not broken, "\n".join(broken)
