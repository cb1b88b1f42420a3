"""A run that starts from a model you have (`ner-train --init MODEL`, training.init): its
parameters, vocabulary and feature tables, grown for what the new training data brings.

The model fixes the architecture: every setting in FIXED is read from the model (from its arrays
where they say it, from its recorded config otherwise), and one the user sets to anything else is
refused. What the new data brings is initialised as a fresh run initialises it: a word the
vocabulary lacks gets its pretrained vector or, seen `vectors.min_count` times, a fresh row drawn
N(0, σ²) (features/vocabulary.py's rule); a tag the model lacks gets a row of U drawn as
Glorot's for the new tag count, a zero bias in c (and zero transition scores with the sentence
objective). Every row the model has keeps its values. Only the starting point differs from a
fresh run: the loss, its gradients and the updates are the same.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import numpy as np

from windowner.config import Config, ModelConfig, config_from_dict
from windowner.data.conll import Corpus
from windowner.data.files import file_sha256
from windowner.errors import UserError
from windowner.features.clusters import NO_CLUSTER, VocabularyClusters
from windowner.features.vocabulary import SPECIALS, UNK_ID, Vocabulary
from windowner.model.ensemble import Ensemble
from windowner.model.network import WindowNetwork
from windowner.model_file import Model, load_model
from windowner.training.build import run_metadata, tag_set
from windowner.vectors.loading import Vectors, load_vectors

# The settings a model fixes: its architecture and what its tables were built with. Every
# model.* key is one (a key added there is fixed too), but its decoding.
FIXED = (
    *(f"model.{f.name}" for f in dataclasses.fields(ModelConfig) if f.name != "decode"),
    "vectors.lookup",
    "vectors.max_vectors",
    "training.objective",
)
# Read from the model unless the user sets them: how it decodes, and the vectors a new word's
# row comes from (a path recorded relative to where the model was trained may need naming again).
INHERITED = ("model.decode", "vectors.spec")


def load_start(path: str | Path) -> tuple[Model, dict[str, str]]:
    """The model a run starts from, and its origin as metadata and scores.json record it:
    {'path': absolute path, 'sha256': the file's digest}."""
    model = load_model(path)  # first: it refuses what is no model (an endless device) unread
    origin = {"path": str(Path(path).absolute()), "sha256": file_sha256(path, "a model file")}
    if isinstance(model.network, Ensemble):
        raise UserError(
            f"an ensemble of {len(model.network.members)} models: --init starts from one model "
            "(one of its seeds' seed-N/model.npz)",
            path,
        )
    return model, origin


def model_settings(model: Model, path: str | Path) -> dict[str, Any]:
    """The FIXED and INHERITED settings of `model`, keyed 'section.key': read off its network,
    features and vocabulary where they say it, from the config its metadata records for the
    rest (checked by the config's rules; a key it does not record, or one this windowner does
    not know, is left at the default)."""
    recorded = model.metadata.get("config")
    recorded = recorded if isinstance(recorded, dict) else {}

    def names_of(section: str) -> set[str]:
        return {f.name for f in dataclasses.fields(getattr(Config(), section))}

    raw = {  # the sections that hold FIXED and INHERITED settings, the keys this windowner knows
        section: {k: v for k, v in recorded[section].items() if k in names_of(section)}
        for section in ("vectors", "model")
        if isinstance(recorded.get(section), dict)
    }
    try:
        config = config_from_dict(raw, path)
    except UserError as error:
        raise UserError(
            f"not a valid windowner model: its recorded config: {error.message}", path
        ) from None
    values = {key: _value(config, key) for key in (*FIXED, *INHERITED) if "training." not in key}
    network, features = model.network, model.features
    params = network.params

    def width(table: str) -> int:
        return int(params[table].shape[1]) if table in params else 0

    activation = network.activation.params()  # {"name": ..., and its hyperparameters}
    values.update({f"model.{k}": v for k, v in activation.items() if k != "name"})
    values.update(
        {
            "model.activation": activation["name"],
            "model.window": network.window,
            "model.hidden": int(params["U"].shape[1]),
            "model.head": network.head,
            "model.only_type": model.only_type,
            "model.casing_dim": width("C"),
            "model.affix_dim": width("P"),
            "model.shape_dim": width("K"),
            "model.document_dim": width("D"),
            "model.decode": model.decode,
            "vectors.lookup": tuple(model.vocabulary.lookup),
            "training.objective": model.objective,
        }
    )
    if features.subwords.lengths:
        values["model.affix_max"] = max(features.subwords.lengths)
    if features.clusters is None:
        values["model.cluster_sizes"] = ()
    else:
        values["model.cluster_sizes"] = tuple(features.clusters.sizes)
        values["model.cluster_dim"] = width("Q")
    if features.lexicon is None:
        values["model.lexicons"] = ()
    else:
        values["model.lexicon_fold"] = features.lexicon.fold
        values["model.lexicon_dim"] = width("L")
    return values


def starting_config(
    config: Config, model: Model, path: str | Path, given: Collection[str] | None = None
) -> Config:
    """`config` with the FIXED settings, and the INHERITED ones the user did not set, taken
    from `model`; a FIXED setting the user set to another value is a UserError.

    `given`: the keys the user set (config.given_keys); None (the library's train(config))
    counts as set every key whose value is not its default.
    """
    settings = model_settings(model, path)
    default = Config()

    def set_by_user(key: str) -> bool:
        return key in given if given is not None else _value(config, key) != _value(default, key)

    for key in FIXED:
        mine, theirs = _value(config, key), settings[key]
        if set_by_user(key) and mine != theirs:
            raise UserError(
                f"'{key}' is {_shown(mine)} here but {_shown(theirs)} in the model --init starts "
                f"from ({path}): the model fixes its architecture; leave '{key}' out"
            )
    taken = [*FIXED, *(key for key in INHERITED if not set_by_user(key))]
    sections: dict[str, dict[str, Any]] = {}
    for key in taken:
        section, name = key.split(".")
        sections.setdefault(section, {})[name] = settings[key]
    return dataclasses.replace(
        config,
        **{s: dataclasses.replace(getattr(config, s), **values) for s, values in sections.items()},
    )


def _value(config: Config, key: str) -> Any:
    """The setting 'section.key' of `config`."""
    section, name = key.split(".")
    return getattr(getattr(config, section), name)


def _shown(value: Any) -> str:
    return repr(list(value)) if isinstance(value, tuple) else repr(value)


def starting_model(
    config: Config,
    start: Model,
    origin: dict[str, str],
    train: Corpus,
    rng: np.random.Generator,
    log: Callable[[str], None],
) -> Model:
    """`start` grown for the training data: the words and tags it lacks get rows as a fresh
    run would draw them (module docstring); the metadata is a fresh run's, with `origin` as
    'init'. `config` is starting_config's. Shapes: E (V, d) -> (V + new words, d); U (T, H),
    c (T,) -> (T', H), (T',), T' the tags of both."""
    v = config.vectors
    vectors = load_vectors(v.spec, log=log, skip_bad_lines=v.skip_bad_lines)
    network = start.network
    E = network.params["E"]
    if vectors.dim != E.shape[1]:
        raise UserError(
            f"vectors of {vectors.dim} dimensions, and the model --init starts from has word "
            f"rows of {E.shape[1]}: give the vectors it was trained with (--vectors)",
            v.spec,
        )
    train_tokens = [t for s in train.sentences for t in s.tokens]
    vocabulary, E, pretrained_rows = grown_vocabulary(
        start.vocabulary, E, vectors, train_tokens, rng, v.min_count
    )
    tags = [start.only_type] if start.only_type else tag_set(train, start.tags)
    params = {name: array.copy() for name, array in network.params.items()}
    params["E"] = E
    params.update(grown_outputs(network.params, start.tags, tags, rng))
    features = start.features
    if features.clusters is not None:  # new rows read NO_CLUSTER: the centroids are not kept
        added = len(vocabulary) - len(start.vocabulary)
        ids = np.full((added, len(features.clusters.sizes)), NO_CLUSTER, np.int32)
        clusters = VocabularyClusters(
            features.clusters.sizes, np.concatenate([features.clusters.ids, ids])
        )
        features = dataclasses.replace(features, clusters=clusters)
    new_tags = [t for t in tags if t not in start.tags]
    log(
        f"init from {origin['path']} (sha256 {origin['sha256'][:12]}…): vocabulary "
        f"{len(start.vocabulary):,} rows + {pretrained_rows:,} pretrained + "
        f"{len(vocabulary) - len(start.vocabulary) - pretrained_rows:,} fresh; tags "
        f"{len(start.tags)} + {len(new_tags)}" + (f" ({', '.join(new_tags)})" if new_tags else "")
    )
    log(f"train {vocabulary.coverage(train_tokens).summary()}")
    grown = WindowNetwork(params, network.activation, network.head, network.slots)
    metadata = {**run_metadata(config, train), "init": origin}
    return Model(
        grown,
        vocabulary,
        tags,
        metadata,
        features,
        config.model.decode,
        start.objective,
        start.only_type,
    )


def grown_vocabulary(
    vocabulary: Vocabulary,
    E: np.ndarray,
    vectors: Vectors,
    train_tokens: list[str],
    rng: np.random.Generator,
    min_count: int,
) -> tuple[Vocabulary, np.ndarray, int]:
    """The vocabulary and E with rows for the training words `vocabulary` cannot find, as
    build_vocabulary gives them: the pretrained word a token finds through the lookup (its
    vector), else its coarsest key seen `min_count` times (a fresh row, N(0, σ²) with σ the
    pretrained vectors' standard deviation); rarer ones stay <unk>.

    Shapes: E (V, d) -> (V + added, d) float32; -> (vocabulary, E, pretrained rows added).
    """
    pretrained = Vocabulary([*SPECIALS, *vectors.words], vocabulary.lowercase, vocabulary.lookup)
    found: dict[str, int] = {}  # pretrained word -> its row in vectors.matrix
    counts: Counter[str] = Counter()
    for token, n in Counter(train_tokens).items():
        if vocabulary.find(token)[0] != UNK_ID:
            continue
        row = pretrained.find(token)[0]
        if row >= len(SPECIALS):
            found.setdefault(pretrained.words[row], row - len(SPECIALS))
        else:
            counts[pretrained.key(token)] += n
    known = set(vocabulary.index)
    extra = sorted(w for w, n in counts.items() if n >= min_count and w not in known)
    words = sorted(found)
    if not words and not extra:
        return vocabulary, E.copy(), 0
    sigma = float(vectors.matrix.std())
    fresh = rng.normal(0.0, sigma, size=(len(extra), E.shape[1]))
    rows = vectors.matrix[[found[w] for w in words]].reshape(len(words), E.shape[1])
    grown = np.concatenate([E, rows, fresh], axis=0).astype(np.float32)
    return (
        Vocabulary([*vocabulary.words, *words, *extra], vocabulary.lowercase, vocabulary.lookup),
        grown,
        len(words),
    )


def grown_outputs(
    params: dict[str, np.ndarray], known: list[str], tags: list[str], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """U and c (and A, a0) for `tags`: a known tag's row keeps its values, a new one is drawn
    as WindowNetwork.initialise draws U for len(tags) outputs (Glorot-uniform, zero bias, zero
    transition scores).

    Shapes: U (T, H), c (T,), A (T, T), a0 (T,) -> U (T', H), c (T',), A (T', T'), a0 (T',).
    """
    U, c = params["U"], params["c"]
    hidden = U.shape[1]
    where = {tag: i for i, tag in enumerate(known)}
    old = np.array([where.get(tag, -1) for tag in tags], np.int64)
    kept = old >= 0
    limit = np.sqrt(6.0 / (len(tags) + hidden))
    out = {
        "U": np.empty((len(tags), hidden), np.float32),
        "c": np.zeros(len(tags), np.float32),
    }
    out["U"][kept] = U[old[kept]]
    out["U"][~kept] = rng.uniform(-limit, limit, size=(int((~kept).sum()), hidden))
    out["c"][kept] = c[old[kept]]
    if "A" in params:
        out["A"] = np.zeros((len(tags), len(tags)), np.float32)
        out["A"][np.ix_(kept, kept)] = params["A"][np.ix_(old[kept], old[kept])]
        out["a0"] = np.zeros(len(tags), np.float32)
        out["a0"][kept] = params["a0"][old[kept]]
    return out
