import pytest

from windowner.config import Config, load_config, parse_assignment
from windowner.config import settings as config_settings
from windowner.errors import UserError


def test_the_default_config_file_loads(conll_dir):
    config = load_config(conll_dir.parent.parent / "configs" / "conll2003.toml")
    assert config.data.train == "data/conll2003/train.txt"
    assert config.vectors.spec == "glove-6b-50d"
    assert (config.model.window, config.model.hidden, config.training.batch_size) == (2, 300, 32)


def test_flags_override_the_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[training]\nlr = 0.5\nepochs = 3\n")
    config = load_config(path, {"training.lr": 0.05, "model.activation": "relu"})
    assert (config.training.lr, config.training.epochs, config.model.activation) == (
        0.05,
        3,
        "relu",
    )


def test_unknown_keys_list_the_known_ones(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[training]\nlearning_rate = 0.1\n")
    with pytest.raises(
        UserError, match=r"unknown key .training\.learning_rate.*known keys: epochs, patience, lr"
    ):
        load_config(path)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("training.lr", -0.1, r"in \(0, 100\]"),
        ("model.window", 0, "between 1 and 20 "),
        ("model.hidden", 0, "between 1 and 20,000 "),
        # values whose arrays could exist in no memory, and others no schedule survives
        ("model.hidden", 2_000_000_000, r"between 1 and 20,000 \(W holds hidden"),
        ("model.window", 10**8, r"between 1 and 20 \(x holds"),
        ("model.casing_dim", 10**12, r"between 0 and 100 \(every window position"),
        ("training.lr", 1e308, r"in \(0, 100\], got 1e\+308"),
        ("model.beta", float("inf"), "must be a finite number, got inf"),
        ("training.warmup_epochs", 1e308, r"must be in \[0, 10000\], got 1e\+308"),
        ("training.seed", 2**64, "must be a 64-bit integer"),
        ("training.warmup_epochs", float("inf"), "must be a finite number, got inf"),
        ("training.epochs", "ten", "must be int"),
        ("training.batch_size", True, "must be int"),
    ],
)
def test_bad_values_are_rejected(key, value, message):
    with pytest.raises(UserError, match=message):
        load_config(None, {key: value})


@pytest.mark.parametrize("key", sorted(config_settings()))
def test_no_number_setting_takes_a_value_its_use_cannot_hold(key):
    """Every float setting has a finite upper bound (1e308 overflowed round() in the warm-up
    schedule), every integer one fits 64 bits (the model file's metadata holds it)."""
    kind = type(config_settings()[key].default)
    if kind not in (int, float):
        return
    for value in (1e308, -1e308) if kind is float else (2**63, -(2**63) - 1, 10**400):
        with pytest.raises(UserError, match=key.replace(".", r"\.")):
            load_config(None, {key: value})


def _nested(depth: int, table: bool) -> str:
    return ("{a = " * depth + "1" + "}" * depth) if table else "[" * depth + "]" * depth


@pytest.mark.parametrize("table", [False, True], ids=["arrays", "inline tables"])
def test_a_config_nested_a_thousand_deep_is_one_error(tmp_path, table):
    path = tmp_path / "deep.toml"
    path.write_text(f"x = {_nested(1000, table)}\n")
    with pytest.raises(UserError, match="nests deeper than 32 levels") as error:
        load_config(path)
    assert error.value.path == str(path)
    with pytest.raises(UserError, match=r"--set 'training\.lr': it nests deeper"):
        parse_assignment(f"training.lr={_nested(1000, table)}")
    # nesting the parser can hold, and brackets inside strings and comments, are no problem
    path.write_text('# [[[[[[[[\n[data]\ntrain = "' + "[" * 100 + '"\n')
    assert load_config(path).data.train == "[" * 100


def test_a_config_that_is_not_utf8_is_one_error(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(b"# M\xfcller\n[training]\nlr = 0.1\n")
    with pytest.raises(UserError, match=r"latin1\.toml:1: not valid UTF-8 text"):
        load_config(path)


def test_resolved_config_round_trips_through_toml(tmp_path):
    config = load_config(
        None, {"data.train": 'we"ird.txt', "training.lr": 0.3, "vectors.freeze": True}
    )
    path = tmp_path / "resolved.toml"
    path.write_text(config.to_toml())
    assert load_config(path) == config
    assert Config() == load_config(None)


def test_set_assignments_parse_as_toml_values():
    assert parse_assignment("training.lr=0.05") == ("training.lr", 0.05)
    assert parse_assignment("model.activation=relu") == ("model.activation", "relu")
    with pytest.raises(UserError):
        parse_assignment("no-equals-sign")


# --- every key refuses its invalid values, with one line naming it -------------------------------

import dataclasses  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from windowner.cli.train import app  # noqa: E402

NOT_A_NAME = st.text(min_size=1, max_size=12).filter(
    lambda s: s.strip().lower() not in {"auto", "whitespace", "tab"}
)
# Values each key must refuse, beyond values of the wrong type (drawn for every key below).
INVALID = {
    "data.columns": st.sampled_from(["a", "0", "0,b", "1,2,3", ",", " , "]),
    "data.delimiter": NOT_A_NAME,
    "data.scheme": NOT_A_NAME.filter(
        lambda s: s.strip().lower() not in {"iob1", "iob2", "bio", "iobes", "bioes", "bilou", "io"}
    ),
    "vectors.min_count": st.integers(max_value=0),
    "vectors.max_vectors": st.integers(max_value=-1),
    "vectors.lookup": st.one_of(
        st.just([]),
        st.lists(st.sampled_from(["exact", "lower", "digits"]), min_size=2).filter(
            lambda steps: len(set(steps)) < len(steps)
        ),
        st.lists(NOT_A_NAME.filter(lambda s: s not in {"exact", "lower", "digits"}), min_size=1),
    ),
    "model.window": st.one_of(st.integers(max_value=0), st.integers(min_value=21)),
    "model.hidden": st.one_of(st.integers(max_value=0), st.integers(min_value=20_001)),
    "model.activation": NOT_A_NAME,
    "model.leak": st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1.0)),
    "model.beta": st.one_of(st.floats(max_value=0.0), st.floats(min_value=1000.0001)),
    "model.head": NOT_A_NAME,
    "model.casing_dim": st.one_of(st.integers(max_value=-1), st.integers(min_value=101)),
    "model.affix_dim": st.one_of(st.integers(max_value=-1), st.integers(min_value=101)),
    "model.affix_max": st.one_of(st.integers(max_value=0), st.integers(min_value=21)),
    "model.affix_min_count": st.integers(max_value=0),
    "model.shape_dim": st.one_of(st.integers(max_value=-1), st.integers(min_value=101)),
    "model.document_dim": st.one_of(st.integers(max_value=-1), st.integers(min_value=101)),
    "model.cluster_sizes": st.one_of(
        st.lists(st.integers(max_value=1), min_size=1, max_size=3),
        st.lists(st.integers(min_value=16_385), min_size=1, max_size=3),
        st.lists(st.integers(2, 100), min_size=9, max_size=12),
        st.integers(2, 100).map(lambda k: [k, k]),
    ),
    "model.cluster_dim": st.one_of(st.integers(max_value=0), st.integers(min_value=101)),
    "model.lexicon_dim": st.one_of(st.integers(max_value=0), st.integers(min_value=101)),
    "model.prior_dim": st.one_of(st.integers(max_value=-1), st.integers(min_value=101)),
    "model.prior_folds": st.one_of(st.integers(max_value=1), st.integers(min_value=11)),
    "model.decode": NOT_A_NAME,
    "training.epochs": st.integers(max_value=0),
    "training.patience": st.integers(max_value=-1),
    "training.lr": st.one_of(st.floats(max_value=0.0), st.floats(min_value=100.0001)),
    "training.schedule": NOT_A_NAME,
    "training.gamma": st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0001)),
    "training.step_size": st.integers(max_value=0),
    "training.warmup_epochs": st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1e4 + 1)),
    "training.batch_size": st.integers(max_value=0),
    "training.momentum": st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1.0)),
    "training.weight_decay": st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=100.001)),
    "training.clip_norm": st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1e6 + 1)),
    "training.dropout_x": st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1.0)),
    "training.dropout_h": st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1.0)),
    "training.objective": NOT_A_NAME,
    "training.word_dropout": st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1.0)),
    "training.on_nonfinite": NOT_A_NAME,
    "training.seed": st.integers(max_value=-1),
}
# Keys that take any value of their type: free text, file names, yes/no.
FREE = {
    "data.train",
    "data.dev",
    "data.test",
    "data.document_column",
    "vectors.spec",
    "vectors.freeze",
    "vectors.skip_bad_lines",
    "vectors.int8",
    "model.only_type",
    "model.lexicons",
    "model.lexicon_fold",
    "training.with_dev",
    "training.init",
    "out",
}
WRONG_TYPE = {
    str: st.one_of(st.integers(), st.booleans(), st.lists(st.integers(), max_size=2)),
    int: st.one_of(st.floats(allow_nan=False), st.text(max_size=5), st.booleans()),
    float: st.one_of(
        st.text(max_size=5), st.booleans(), st.just(float("nan")), st.just(float("inf"))
    ),
    bool: st.one_of(st.integers(), st.text(max_size=5)),
    tuple: st.one_of(st.integers(), st.just("exact"), st.lists(st.integers(), min_size=1)),
}
# A list of integers (model.cluster_sizes) is wrongly given as text, a number or booleans.
WRONG_INTEGER_LIST = st.one_of(
    st.integers(),
    st.just("64"),
    st.lists(st.text(max_size=3), min_size=1, max_size=2),
    st.lists(st.booleans(), min_size=1, max_size=2),
)


def test_every_key_has_invalid_values_or_is_free():
    assert set(config_settings()) == set(INVALID) | FREE


def invalid_assignments():
    keys = sorted(config_settings())

    @st.composite
    def draw(draw_):
        key = draw_(st.sampled_from(keys))
        field = config_settings()[key]
        kind = type(field.default)
        wrong = WRONG_INTEGER_LIST if field.metadata["items"] is int else WRONG_TYPE[kind]
        choices = [wrong] + ([INVALID[key]] if key in INVALID else [])
        return key, draw_(st.one_of(choices))

    return draw()


@settings(max_examples=300, deadline=None)
@given(invalid_assignments())
def test_every_invalid_value_of_every_key_is_one_error_line_naming_it(assignment):
    """Through ner-train itself, in-process: exit 2, one `error:` line naming the key."""
    key, value = assignment
    toml_value = _toml(value)
    result = CliRunner().invoke(
        app, ["--train", "t.txt", "--dev", "d.txt", "--set", f"{key}={toml_value}"]
    )
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, (key, value, result.output)
    assert len(lines) == 1 and lines[0].startswith("error: ") and f"'{key}'" in lines[0], lines


def _toml(value) -> str:
    """`value` written as TOML, the way a user types it after --set KEY=."""
    import json
    import math

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string
    return repr(value)


def test_no_config_file_means_the_default_runs_settings():
    """ner-train --train T --dev D trains what make train trains, apart from paths and the
    document prior: it needs a corpus of many documents and trains four more networks, so
    without a config it is off (README, ner-train)."""
    from tests.conftest import ROOT

    named = load_config(ROOT / "configs" / "conll2003.toml")
    assert named.model.prior_dim == 4 and Config().model.prior_dim == 0
    paths = {
        "data.train": named.data.train,
        "data.dev": named.data.dev,
        "data.test": named.data.test,
        "out": named.out,
        "model.prior_dim": 4,
    }
    assert load_config(None, paths) == named
    model = dataclasses.replace(named.model, prior_dim=0)
    assert dataclasses.replace(named, out=Config().out, data=Config().data, model=model) == Config()


@pytest.mark.parametrize(
    "assignment",
    [
        'vectors.lookup=["\\r"]',
        'vectors.lookup=["exact", "a\\nb"]',
        'model.activation="tan\\u2028h"',
        'training.schedule="\\u001b[31mred"',
        'data.scheme="io\\u0085b"',
        "unknown\u000bkey=1",
    ],
)
def test_a_value_holding_control_characters_is_still_one_error_line(assignment):
    """The value is quoted (its control characters escaped), whoever writes the message."""
    result = CliRunner().invoke(app, ["--train", "t.txt", "--dev", "d.txt", "--set", assignment])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert lines[0].isprintable(), lines[0]


def test_a_resolved_config_with_control_characters_in_its_paths_reads_back(tmp_path):
    """A data path may hold a line break or a tab: config.toml must still load with --config."""
    paths = {"data.train": "a\nb.txt", "data.dev": 'tab\there "quoted" \\ \x7f.txt'}
    config = load_config(None, paths)
    written = tmp_path / "config.toml"
    written.write_text(config.to_toml(), encoding="utf-8")
    again = load_config(written)
    assert (again.data.train, again.data.dev) == (paths["data.train"], paths["data.dev"])


def test_help_texts_print_as_written():
    """Help is plain text: brackets such as [@SPLIT] are not read as markup and dropped."""
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert "hf:NAME[:CONFIG][@SPLIT]" in " ".join(result.output.split())
