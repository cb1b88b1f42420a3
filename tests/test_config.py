import pytest

from windowner.config import Config, load_config, parse_assignment
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
        ("training.lr", -0.1, "greater than 0"),
        ("model.window", 0, "at least 1"),
        ("model.hidden", 0, "at least 1"),
        ("training.epochs", "ten", "must be int"),
        ("training.batch_size", True, "must be int"),
    ],
)
def test_bad_values_are_rejected(key, value, message):
    with pytest.raises(UserError, match=message):
        load_config(None, {key: value})


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
