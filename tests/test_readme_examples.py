"""Every shell example in README.md runs as written (issue 16), and so does the python of its
spaCy section (issue 25).

The examples run in a fresh folder holding copies of configs/, examples/, scripts/ and the repo's
data/, the commands being the installed ones. The `ner-eval`, `ner-tag` and `ner-vectors`
examples read the default model, runs/conll2003/model.npz, which `make train` writes; here the
small model of the README's own second `ner-train` example stands in for it, and the `ner-train
--init` example, which starts from that model, runs once the other trainings have. The few lines the
suite cannot run are listed in NOT_RUN_HERE with the reason and, where there is one, the test or
target that runs them; a README line in neither list fails the test, and so does a stale entry.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import BIN, ROOT

DEFAULT_MODEL = Path("runs/conll2003/model.npz")

# README line (its comment dropped) -> (why the suite does not run it, a file and a string in it
# that show where it does run, or None).
NOT_RUN_HERE = {
    "make train": ("the full default training, about 8 minutes", None),
    "make test": ("this suite itself", None),
    "ner-train --config configs/conll2003.toml": (
        "the command of `make train`",
        ("Makefile", "ner-train --config configs/conll2003.toml --force"),
    ),
    # The same commands on the same test.txt, with the suite's trained model.
    "ner-eval runs/conll2003/model.npz data/conll2003/test.txt --json": (
        "run on test.txt by the tests of ner-eval's scores",
        ("tests/cli/test_commands.py", 'conll_dir / "test.txt", "--json"'),
    ),
    "ner-eval runs/conll2003/model.npz data/conll2003/test.txt --errors": (
        "run on test.txt by the tests of --errors",
        ("tests/evaluation/test_errors.py", 'CONLL / "test.txt", "--errors"'),
    ),
    "ner-eval runs/conll2003/model.npz data/conll2003/test.txt --errors --json": (
        "run on test.txt by the tests of --errors (flags in the other order)",
        ("tests/evaluation/test_errors.py", 'CONLL / "test.txt", "--json", "--errors"'),
    ),
    # A full CoNLL training with lexicons (about 9 minutes here) and the tagging that shows its
    # hand-written phrase at work: the README quotes the line as it ran. A short training does
    # not learn to trust the lexicon; the mechanism's tests are tests/features/test_lexicons.py.
    "ner-train --config configs/conll2003.toml --out runs/news-lexicon --set "
    '\'model.lexicons=["data/lexicons/company_forms.tsv", "data/lexicons/nationalities.tsv", '
    '"data/lexicons/person_names.tsv", "data/lexicons/places.tsv", '
    '"examples/news-lexicon.tsv"]\'': (
        "a full CoNLL training with lexicons, about 9 minutes",
        None,
    ),
    "ner-tag runs/news-lexicon/model.npz examples/news.txt --format inline": (
        "reads the model of the full training above",
        None,
    ),
    "ner-gradcheck": (
        "every activation × head × variant, 12 s; the same check_all() is tested in-process",
        ("tests/model/test_gradcheck.py", "check_all"),
    ),
    "ner-tag model.npz --dataset news.parquet --engine spark --output tagged.parquet": (
        "needs pyspark and Java 17",
        ("tests/test_spark.py", '"--engine", "spark"'),
    ),
    "ner-tag model.npz --dataset 's3a://corpus/news/*.jsonl' --engine spark --master "
    "spark://head:7077 --conf spark.executor.memory=2g --num-partitions 64 --output "
    "s3a://corpus/tagged.jsonl": ("needs a Spark cluster and an S3 bucket", None),
    "python -m venv env && env/bin/pip install 'windowner[spark]' venv-pack": (
        "installs from the package registry",
        None,
    ),
    "env/bin/venv-pack -o windowner-env.tar.gz": ("needs the environment above", None),
    "PYSPARK_DRIVER_PYTHON=env/bin/python PYSPARK_PYTHON=./env/bin/python spark-submit "
    "--master yarn --archives windowner-env.tar.gz#env tag_corpus.py model.npz --dataset "
    "hdfs:///corpus/news.parquet --engine spark --num-partitions 200 --output "
    "hdfs:///corpus/tagged.parquet": ("needs a YARN cluster and HDFS", None),
}

# What the examples run here must leave behind (beside what they print).
WRITTEN = [
    "runs/mine/model.npz",
    "runs/mine-more/model.npz",
    "predicted.txt",
    "errors.html",
    "news.tagged",
    "news.conll",
    "entities.tsv",
    "tagged.parquet",
    "valid.parquet",
    "news.spacy",
    "dev.spacy",
]


def shell_examples(markdown: str) -> list[str]:
    """Every command of the ```sh blocks (indented ones too), continued lines joined and
    comments dropped, in README order."""
    commands, inside, current = [], False, ""
    for raw in markdown.splitlines():
        line = raw.strip()
        if line.startswith("```"):
            inside = not inside and line == "```sh"
            continue
        if not inside or not line:
            continue
        if line.endswith("\\"):
            current += line[:-1].strip() + " "
            continue
        command = re.sub(r"\s+# .*$", "", current + line).strip()
        current = ""
        if command:
            commands.append(command)
    return commands


def test_every_readme_shell_example_runs_as_written(tmp_path):
    commands = shell_examples((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(commands) >= 25
    assert not set(NOT_RUN_HERE) - set(commands), "stale NOT_RUN_HERE entries"
    for _, where in NOT_RUN_HERE.values():
        if where is not None:
            assert where[1] in (ROOT / where[0]).read_text(encoding="utf-8"), where
    assert not [c for c in commands if "--force" in c]  # none may replace the default model
    here = [c for c in commands if c not in NOT_RUN_HERE]
    training = [c for c in here if c.startswith("ner-train")]
    reading = [c for c in here if not c.startswith("ner-train")]
    assert training == here[: len(training)]  # the trainings come first in the README

    for folder in ("configs", "examples", "scripts"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "data").symlink_to(ROOT / "data")
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}

    def run(command: str) -> tuple[str, subprocess.CompletedProcess]:
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return command, result

    starting = [c for c in training if "--init" in c]  # from a model another example trains
    with ThreadPoolExecutor(max_workers=3) as pool:
        finished = list(pool.map(run, [c for c in training if c not in starting]))
        finished += list(pool.map(run, starting))
        (tmp_path / DEFAULT_MODEL).parent.mkdir(parents=True)
        os.link(tmp_path / "runs/mine/model.npz", tmp_path / DEFAULT_MODEL)  # make train's stand-in
        finished += list(pool.map(run, reading))
    for command, result in finished:
        assert result.returncode == 0, (command, result.stderr[-2000:])
        assert "Traceback" not in result.stderr, (command, result.stderr[-2000:])
    for name in WRITTEN:
        assert (tmp_path / name).stat().st_size > 0, name
    assert os.listdir(tmp_path / DEFAULT_MODEL.parent) == ["model.npz"]  # nothing written there


SPACY_SECTION = "## Using windowner from spaCy"


def python_examples(markdown: str, heading: str) -> list[str]:
    """The ```python blocks of the README section that starts at `heading` (up to the next
    section of its level), in order."""
    start = markdown.index(heading + "\n")
    level = heading.split()[0] + " "
    end = markdown.find("\n" + level, start + len(heading))
    section = markdown[start : end if end != -1 else len(markdown)]
    return re.findall(r"^```python\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)


def test_the_spacy_sections_python_runs_as_written(tmp_path):
    """The spaCy section's blocks, one script in README order, in a folder like the shell
    examples' one: the default model is the README's small `ner-train` example."""
    try:
        import spacy  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("spaCy is not installed (pip install 'windowner[spacy]')")
    markdown = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = python_examples(markdown, SPACY_SECTION)
    assert len(blocks) >= 4 and 'add_pipe("windowner"' in blocks[0]
    small = next(c for c in shell_examples(markdown) if c.startswith("ner-train --train examples/"))
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    trained = subprocess.run(
        ["bash", "-c", small], cwd=tmp_path, env=environment, capture_output=True, text=True
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    (tmp_path / DEFAULT_MODEL).parent.mkdir(parents=True)
    os.link(tmp_path / "runs/mine/model.npz", tmp_path / DEFAULT_MODEL)
    result = subprocess.run(
        [str(BIN / "python"), "-"],
        input="\n".join(blocks),
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    printed = result.stdout.splitlines()
    assert len(printed) == 2 and all(line.startswith("[") for line in printed), printed
    page = (tmp_path / "news-displacy.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<figure") == 8  # 8 paragraphs
    saved = tmp_path / "news-pipeline" / "windowner" / "model.npz"
    assert saved.read_bytes() == (tmp_path / DEFAULT_MODEL).read_bytes()
    assert os.listdir(tmp_path / DEFAULT_MODEL.parent) == ["model.npz"]  # nothing written there
