"""ner-train, ner-eval and ner-tag as a user runs them: subprocesses on the real CoNLL-2003 data."""

from __future__ import annotations

import json

import pytest

from tests.conftest import one_error_line, run, small_run_args
from windowner.data.conll import read_conll
from windowner.data.tags import to_iob1


def test_train_writes_model_metrics_and_config(trained):
    records = [json.loads(line) for line in (trained / "metrics.jsonl").read_text().splitlines()]
    epochs, final = records[:-1], records[-1]
    assert [r["epoch"] for r in epochs] == [1, 2]
    for record in epochs:
        assert {"epoch", "train_loss", "dev_precision", "dev_recall", "dev_f1", "seconds"} <= set(
            record
        )
    assert epochs[1]["train_loss"] < epochs[0]["train_loss"]
    assert final["test_f1"] > 0.75 and max(r["dev_f1"] for r in epochs) > 0.8
    assert "hidden = 100" in (trained / "config.toml").read_text()


def test_train_closes_with_a_table_per_type_the_curves_and_the_summary(trained):
    printed = (trained.parent / f"{trained.name}.stdout").read_text().splitlines()
    scores = json.loads((trained / "scores.json").read_text())
    header = next(i for i, line in enumerate(printed) if line.split()[:2] == ["dev", "P"])
    assert printed[header - 1] == f"best epoch {scores['best_epoch']}"
    rows = {line.split()[0]: line.split()[1:] for line in printed[header + 1 : header + 6]}
    assert list(rows) == ["LOC", "MISC", "ORG", "PER", "overall"]
    assert float(rows["PER"][2]) == pytest.approx(
        100 * scores["dev"]["per_type"]["PER"]["f1"], abs=0.006
    )
    assert float(rows["overall"][5]) == pytest.approx(
        100 * scores["test"]["overall"]["f1"], abs=0.006
    )
    assert printed[-2] == f"training curves: {trained / 'training-curves.png'}"
    assert printed[-1].startswith(f"best epoch {scores['best_epoch']}: dev F1 ")


def test_quiet_training_prints_only_the_last_line(small_run, tmp_path):
    config, out = small_run(), tmp_path / "q"
    result = run(
        "ner-train",
        *small_run_args(config),
        "--out",
        out,
        "--epochs",
        "1",
        "--set",
        "model.hidden=10",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    dev_f1 = json.loads((out / "scores.json").read_text())["dev"]["overall"]["f1"]
    expected = f"best epoch 1: dev F1 {dev_f1:.4f}; model in {out / 'model.npz'}"
    assert result.stdout.splitlines() == [expected]


def test_eval_reproduces_the_recorded_test_f1(trained, conll_dir, tmp_path):
    recorded = json.loads((trained / "metrics.jsonl").read_text().splitlines()[-1])["test_f1"]
    result = run("ner-eval", trained / "model.npz", conll_dir / "test.txt", "--json")
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert scores["overall"]["f1"] == pytest.approx(recorded, abs=1e-12)
    assert set(scores["per_type"]) == {"LOC", "MISC", "ORG", "PER"}
    assert sum(t["support"] for t in scores["per_type"].values()) == 5648

    # The same test set written in IOB1, as the 2003 files were, scores the same.
    iob1 = tmp_path / "test.iob1"
    lines, document = [], None
    for sentence in read_conll(conll_dir / "test.txt").sentences:
        if sentence.document != document:  # documents kept: the model reads their context
            lines += ["-DOCSTART- O", ""]
            document = sentence.document
        lines += [f"{t} {tag}" for t, tag in zip(sentence.tokens, to_iob1(sentence.tags))]
        lines.append("")
    iob1.write_text("\n".join(lines) + "\n")
    again = json.loads(run("ner-eval", trained / "model.npz", iob1, "--json").stdout)
    assert again["overall"] == scores["overall"]


def test_eval_text_report_and_output_file(trained, conll_dir, tmp_path):
    output = tmp_path / "predicted.txt"
    result = run("ner-eval", trained / "model.npz", conll_dir / "valid.txt", "--output", output)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("processed 51362 tokens with 5942 phrases;")
    lines = output.read_text().split("\n")
    assert lines[0].split()[:2] == ["CRICKET", "O"] and len(lines[0].split()) == 3


def test_user_errors_are_one_line_with_exit_code_2(trained, tmp_path, conll_dir):
    model = trained / "model.npz"
    assert "absent.txt: no such file" in one_error_line(
        run("ner-eval", model, tmp_path / "absent.txt")
    )

    ragged = tmp_path / "ragged.txt"
    ragged.write_text("EU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman B-MISC\n")
    assert f"{ragged}:3: expected 4 columns" in one_error_line(run("ner-eval", model, ragged))

    unknown = tmp_path / "unknown.txt"
    unknown.write_text("EU B-ORG\nrejects X-FOO\n")
    assert f"{unknown}:2: unknown tag 'X-FOO'" in one_error_line(run("ner-eval", model, unknown))

    not_a_model = tmp_path / "model.npz"
    not_a_model.write_text("this is not a model")
    line = one_error_line(run("ner-tag", not_a_model, "-", stdin="Paris\n"))
    assert f"{not_a_model}: not a windowner model" in line

    assert "unknown key" in one_error_line(run("ner-train", "--set", "training.learning_rate=1"))
    line = one_error_line(
        run(
            "ner-train",
            "--train",
            conll_dir / "train.txt",
            "--dev",
            conll_dir / "valid.txt",
            "--out",
            trained,
        )
    )
    assert "already holds a model; use --force" in line


def test_help_works_for_every_command():
    for command in ("ner-train", "ner-eval", "ner-tag"):
        result = run(command, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout


def test_eval_reports_both_decodings(trained, conll_dir):
    result = run(
        "ner-eval", trained / "model.npz", conll_dir / "valid.txt", "--decode", "both", "--json"
    )
    assert result.returncode == 0, result.stderr
    both = json.loads(result.stdout)
    assert set(both) == {"greedy", "viterbi"}
    # Viterbi removes the O→I-X chunks greedy decoding invents: fewer found, better precision.
    assert both["viterbi"]["overall"]["found"] < both["greedy"]["overall"]["found"]
    assert both["viterbi"]["overall"]["precision"] > both["greedy"]["overall"]["precision"]


INVALID_SETTINGS = [
    ("vectors.lookup", '["lower","lower"]', "distinct steps"),
    ("vectors.lookup", "[]", "distinct steps"),
    ("model.activation", "sine", "one of logistic, tanh"),
    ("model.head", "softmaxx", "one of softmax, sigmoid"),
    ("model.decode", "beam", "one of greedy, viterbi"),
    ("model.beta", "inf", "finite number"),
    ("model.leak", "1.5", "leak must be in [0, 1)"),
    ("training.schedule", "cosine", "one of constant, step"),
    ("training.lr", "nan", "finite number"),
    ("training.dropout_h", "1.0", "in [0, 1)"),
    ("data.scheme", "bio3", "unknown tag scheme"),
]


@pytest.mark.parametrize(("key", "value", "expected"), INVALID_SETTINGS)
def test_an_invalid_setting_is_one_line_naming_key_and_origin(conll_dir, key, value, expected):
    result = run(
        "ner-train",
        "--train",
        conll_dir / "train.txt",
        "--dev",
        conll_dir / "valid.txt",
        "--set",
        f"{key}={value}",
    )
    line = one_error_line(result)
    assert f"'{key}'" in line and expected in line and line.endswith("(from the command line)")
