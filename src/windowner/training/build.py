"""A new model for a run: its tag set, vocabulary and initial network, and the metadata that
records how it was made."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np

from windowner.choices import quoted
from windowner.config import Config
from windowner.data.conll import Corpus
from windowner.data.tags import OUTSIDE
from windowner.errors import MAX_TAGS, UserError, check_size
from windowner.features.affixes import Subwords
from windowner.features.casing import CASING_CLASSES
from windowner.features.clusters import vocabulary_clusters
from windowner.features.document import DOCUMENT_CLASSES
from windowner.features.lexicons import TYPES, LexiconFeature, load_lexicon
from windowner.features.prior import PRIOR_CLASSES
from windowner.features.vocabulary import SPECIALS, build_vocabulary
from windowner.features.windows import Features
from windowner.model.activations import get_activation, hyperparameters
from windowner.model.int8 import Int8Rows, encode, round_rows
from windowner.model.network import WindowNetwork
from windowner.model_file import Model
from windowner.training.provenance import data_hashes, package_versions
from windowner.vectors.loading import load_vectors


def new_model(
    config: Config, train: Corpus, rng: np.random.Generator, log: Callable[[str], None]
) -> Model:
    """The untrained model `config` describes, with its vocabulary built from `train`."""
    m, v = config.model, config.vectors
    only_type = m.only_type
    objective = config.training.objective
    if only_type and objective == "sentence":
        raise UserError("--only-type trains one binary σ(s) score: it takes the window objective")
    if only_type and m.head != "sigmoid":
        raise UserError("--only-type needs --head sigmoid: it trains the lecture's σ(s) score")
    if only_type and only_type not in train.entity_counts():
        known = ", ".join(train.entity_counts())
        raise UserError(f"no {quoted(only_type)} entities in the training data; it has {known}")
    tags = [only_type] if only_type else tag_set(train)

    vectors = load_vectors(v.spec, log=log, skip_bad_lines=v.skip_bad_lines)
    train_tokens = [t for s in train.sentences for t in s.tokens]
    vocabulary, E = build_vocabulary(
        vectors, train_tokens, rng, v.min_count, lookup=v.lookup, max_vectors=v.max_vectors or None
    )
    log(
        f"vectors {vectors.spec}: {len(vectors.words):,} words × {vectors.dim}; vocabulary "
        f"{len(vocabulary):,} rows; lookup {' → '.join(v.lookup)}"
    )
    log(f"train {vocabulary.coverage(train_tokens).summary()}")
    pretrained = _pretrained_rows(vocabulary.words, vectors.words)
    features, tables = new_features(config, train_tokens, E, pretrained, log)
    if tables:
        log(
            "features: "
            + ", ".join(f"{name} {rows:,} × {width}" for name, (rows, width) in tables.items())
        )
    activation = get_activation(
        m.activation, **{k: getattr(m, k) for k in hyperparameters(m.activation)}
    )
    check_network_size(config, E.shape[1], features.slots, tables, activation.gated)
    network = WindowNetwork.initialise(
        E,
        len(CASING_CLASSES),
        len(tags),
        window=m.window,
        hidden=m.hidden,
        activation=activation,
        casing_dim=m.casing_dim,
        rng=rng,
        head=m.head,
        slots=features.slots,
        tables=tables,
        objective=objective,
    )
    int8_rows = None
    if v.int8:  # last: the clusters and the initial tables' scale read the vectors as they are
        E = network.params["E"]
        int8_rows = round_unread_rows(E, pretrained, vocabulary.ids(train_tokens), log)
    metadata = run_metadata(config, train)
    return Model(
        network,
        vocabulary,
        tags,
        metadata,
        features,
        m.decode,
        objective,
        only_type,
        int8_rows=int8_rows,
    )


def run_metadata(config: Config, train: Corpus) -> dict:
    """How a run's model is made: the resolved config, the training data's tag scheme, the seed,
    the data files' sha256 and the package versions."""
    paths = {"train": config.data.train, "dev": config.data.dev, "test": config.data.test}
    return {
        "config": config.to_dict(),
        "scheme": train.scheme,
        "seed": config.training.seed,
        "data_sha256": data_hashes(paths),
        "versions": package_versions(),
    }


def round_unread_rows(
    E: np.ndarray, pretrained: np.ndarray, read: np.ndarray, log: Callable[[str], None]
) -> Int8Rows:
    """Round, in place, the rows of E that are `pretrained` (V,) bool and that no training token
    reads (`read`: the (N,) rows the training tokens find) to int8 (model/int8.py), so that the
    model file can store them in a quarter of the space and still hold exactly the model trained.

    Training never reads these rows, so not one of its numbers changes; the words only dev, test
    and tagging see read their rounded vectors (at most half a step of max|e|/127 off in each
    component). -> E's rows as int8, for save_model.
    """
    unread = pretrained.copy()
    unread[read] = False
    rounded = round_rows(E, unread)
    log(
        f"int8: {rounded:,} pretrained rows no training word reads rounded to int8 "
        f"({int(pretrained.sum()) - int(unread.sum()):,} read stay float32)"
    )
    return encode(E)[0]


def check_network_size(
    config: Config, d: int, slots: tuple[str, ...], tables: dict[str, tuple[int, int]], gated: bool
) -> None:
    """W (H', (2·window + 1)·D₀) as WindowNetwork.initialise will draw it (in float64, then
    float32), checked against errors.MAX_ARRAY_BYTES before it is: each setting within its own
    limit can still multiply to more than any machine holds. D₀ sums the widths of a position's
    slots (d, casing_dim and each feature table's), H' is 2·hidden for gated units."""
    m = config.model
    widths = {"E": d, "C": m.casing_dim, **{name: w for name, (_, w) in tables.items()}}
    columns = (2 * m.window + 1) * sum(widths[name] for name in slots)
    rows = 2 * m.hidden if gated else m.hidden
    what = f"W ({rows:,} × {columns:,}: model.hidden, model.window and the widths)"
    check_size(what, rows * columns, 8)


def new_features(
    config: Config,
    train_tokens: list[str],
    E: np.ndarray | None = None,
    pretrained: np.ndarray | None = None,
    log: Callable[[str], None] = lambda _: None,
):
    """The features the config asks for, their string tables built from the training tokens,
    the word clusters (if asked for) from the rows of E that are `pretrained` (V,) bool, the
    lexicon (if asked for) from its files.

    -> (Features, {table name: (rows, width)}) for the tables beside E and C.
    """
    m = config.model
    lengths = tuple(range(1, m.affix_max + 1)) if m.affix_dim else ()
    subwords = Subwords.build(train_tokens, lengths, bool(m.shape_dim), m.affix_min_count)
    clusters = None
    if m.cluster_sizes:
        if E is None or pretrained is None:
            raise ValueError("word clusters need the embedding rows and which are pretrained")
        started = time.perf_counter()
        try:
            clusters = vocabulary_clusters(E, pretrained, m.cluster_sizes)
        except ValueError as error:
            raise UserError(f"'model.cluster_sizes': {error}") from None
        log(
            f"word clusters: k-means at k = {', '.join(map(str, m.cluster_sizes))} over "
            f"{int(pretrained.sum()):,} pretrained rows in {time.perf_counter() - started:.1f} s"
        )
    lexicon = None
    if m.lexicons:
        lexicon = LexiconFeature(load_lexicon(m.lexicons), m.lexicon_fold)
        counts = ", ".join(f"{kind} {lexicon.lexicon.count(kind):,}" for kind in TYPES)
        log(f"lexicons: {len(lexicon.lexicon):,} phrases ({counts}) from {len(m.lexicons)} files")
    features = Features(subwords, bool(m.document_dim), clusters, lexicon, bool(m.prior_dim))
    widths = {"P": m.affix_dim, "S": m.affix_dim, "K": m.shape_dim}
    tables = {name: (rows, widths[name]) for name, rows in subwords.rows().items()}
    if features.document:
        tables["D"] = (len(DOCUMENT_CLASSES), m.document_dim)
    if clusters is not None:
        tables["Q"] = (clusters.rows(), m.cluster_dim)
    if lexicon is not None:
        tables["L"] = (lexicon.rows(), m.lexicon_dim)
    if features.prior:
        tables["R"] = (len(PRIOR_CLASSES), m.prior_dim)
    return features, tables


def _pretrained_rows(words: list[str], pretrained_words: list[str]) -> np.ndarray:
    """(V,) bool: the vocabulary rows that hold a pretrained vector. A fresh row's word is never
    a pretrained word (build_vocabulary gives one only to keys no pretrained word serves)."""
    known = set(pretrained_words)
    mask = np.fromiter((w in known for w in words), bool, count=len(words))
    mask[: len(SPECIALS)] = False
    return mask


def tag_set(corpus: Corpus, known: Iterable[str] = ()) -> list[str]:
    """The corpus's tags and the `known` ones (a model's that training starts from): 'O'
    first, then B-/I- tags sorted by type, a stable order for the output rows; a UserError
    beyond errors.MAX_TAGS (Viterbi and the sigmoid head's targets grow with T²)."""
    seen = {tag for s in corpus.sentences for tag in s.tags} | {OUTSIDE} | set(known)
    if len(seen) > MAX_TAGS:
        raise UserError(
            f"{len(seen):,} different tags ({len(corpus.entity_counts()):,} entity types); "
            f"windowner trains at most {MAX_TAGS:,} (Viterbi scores T × T tag pairs)",
            corpus.path,
        )
    return sorted(seen, key=lambda t: (t != OUTSIDE, t.partition("-")[2], t))
