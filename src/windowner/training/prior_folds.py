"""The document prior's first passes, cross-fitted: what a run with model.prior_dim trains first.

The prior a training token reads (features/prior.py) must not come from a model that saw the
token's own gold tag, or the second pass learns to trust priors far better than tagging will
give it. So the training documents are cut into model.prior_folds folds (document i in fold
i mod K), and for each fold a first pass trained on the other folds scores it. Tagging's first
pass, and the one dev and test read during the run, is trained on all of train. Every first pass
is the run's own config with the prior read "alone" everywhere, dev selecting its epoch as
always; each trains in RUN/first-pass/fold-K and RUN/first-pass/all, whose model files are
deleted once read (the final model holds the whole-train first pass).

The training tokens' priors are kept in RUN/first-pass/train-prior.npy, so that --resume reads
them back instead of training the first passes again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np

from windowner.atomic import atomic_write
from windowner.config import Config
from windowner.data.conll import Corpus
from windowner.errors import UserError
from windowner.features.document import token_types, type_facts
from windowner.features.prior import PRIOR_CLASSES, TYPES, prior_classes, type_distribution
from windowner.features.windows import encode
from windowner.model.network import WindowNetwork
from windowner.model_file import Model, load_model
from windowner.training.data import Corpora
from windowner.training.run_folder import BEST_FILE, MODEL_FILE

FIRST_PASS_DIR = "first-pass"
TRAIN_PRIOR_FILE = "train-prior.npy"


def refuse_unsupported(config: Config) -> None:
    """The settings the document prior does not work with yet, each one error line."""
    m, t = config.model, config.training
    if not m.prior_dim:
        return
    why = None
    if t.objective == "sentence":
        why = "the sentence objective's marginals are not re-scored token by token"
    elif m.only_type:
        why = "--only-type scores one type, and the prior is a distribution over all of them"
    elif t.with_dev:
        why = "training.with_dev joins dev to train, and the first passes select on dev"
    elif t.init:
        why = "--init continues a model's own architecture"
    if why:
        raise UserError(f"model.prior_dim (the document prior) cannot be used here: {why}")


def first_passes(
    config: Config, corpora: Corpora, folder: Path, log: Callable[[str], None]
) -> tuple[WindowNetwork, Model, np.ndarray]:
    """Train the folds' first passes and the whole train's.

    -> (the whole train's first-pass network, its Model, the training tokens' prior classes
    (T,) int32 in corpus order).
    """
    from windowner.training.run import train as train_run  # run.py calls this module

    root = folder / FIRST_PASS_DIR
    train = corpora.train
    k = config.model.prior_folds
    sentences = train.sentences
    fold_of = np.array([s.document % k for s in sentences], np.int64)
    lengths = np.array([len(s.tokens) for s in sentences], np.int64)
    ends = np.cumsum(lengths)
    p = np.zeros((int(lengths.sum()), len(TYPES)))
    for fold in range(k):
        held = np.flatnonzero(fold_of == fold)
        if not len(held) or len(held) == len(sentences):
            raise UserError(
                f"model.prior_folds = {k}: fold {fold} of the training data's "
                f"{train.documents:,} documents is {'empty' if not len(held) else 'all of it'}; "
                "the document prior needs more documents than folds (-DOCSTART- lines, or a "
                "document column)"
            )
        out = root / f"fold-{fold}"
        kept = [s for s, f in zip(sentences, fold_of.tolist(), strict=True) if f != fold]
        log(
            f"document prior: first pass {fold + 1} of {k}, on the other folds' "
            f"{len(kept):,} sentences"
        )
        others = Corpus(f"{train.path} (all but fold {fold + 1} of {k})", kept, train.documents)
        model = _train_first_pass(config, Corpora(others, corpora.dev, None), out, train_run, log)
        held_sentences = [sentences[i].tokens for i in held]
        scores = _type_scores(model, held_sentences, [sentences[i].document for i in held])
        at = np.concatenate([np.arange(ends[i] - lengths[i], ends[i]) for i in held])
        p[at] = scores
        _drop_models(out)
    log("document prior: the first pass on all of train")
    whole = _train_first_pass(
        config, Corpora(train, corpora.dev, None), root / "all", train_run, log
    )
    _drop_models(root / "all")
    prior = train_prior(sentences, p)
    with atomic_write(root / TRAIN_PRIOR_FILE) as f:
        np.save(f, prior, allow_pickle=False)
    return whole.network, whole, prior


def train_prior(sentences, p: np.ndarray) -> np.ndarray:
    """The training tokens' prior classes from the first passes' type distributions p (T, 5)."""
    tokens = [s.tokens for s in sentences]
    types, type_of = token_types(tokens)
    word, kind, _ = type_facts(types, {})
    document = np.repeat([s.document for s in sentences], [len(t) for t in tokens])
    return prior_classes(word[type_of], kind[type_of], document, p)


def read_train_prior(folder: Path, tokens: int) -> np.ndarray:
    """The priors a run's first passes gave its training tokens, checked: (tokens,) int32 of
    PRIOR_CLASSES ids; a UserError if the file is missing or is not that."""
    path = folder / FIRST_PASS_DIR / TRAIN_PRIOR_FILE
    try:
        prior = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        why = f"cannot read the training tokens' document priors ({error})"
        raise UserError(why, path) from None
    if (
        prior.dtype != np.int32
        or prior.shape != (tokens,)
        or (len(prior) and not 1 <= prior.min() <= prior.max() < len(PRIOR_CLASSES))
    ):
        raise UserError(f"not the priors of this run's {tokens:,} training tokens", path)
    return prior


def _type_scores(model: Model, sentences, documents) -> np.ndarray:
    """A first pass's type_distribution (T, 5) of every token of `sentences`: the windows
    encode() cuts (every prior "alone"), scored by its network, as tagging scores them."""
    windows = encode(sentences, model.vocabulary, model.network.window, model.features, documents)
    return type_distribution(model.network.log_probs(windows.ids), model.tags)


def _drop_models(out: Path) -> None:
    """A first pass's model files, once read: its numbers live on in the priors and the model."""
    for name in (MODEL_FILE, BEST_FILE):
        (out / name).unlink(missing_ok=True)


def _train_first_pass(
    config: Config, corpora: Corpora, out: Path, train_run, log: Callable[[str], None]
) -> Model:
    """One first pass: the run's config on `corpora` (no test), into `out` -> its model."""
    sub = dataclasses.replace(config, out=str(out))
    result = train_run(
        sub, force=True, log=lambda _: None, progress=False, first_pass=True, corpora=corpora
    )
    log(f"  best epoch {result.best_epoch}: dev F1 {result.dev.f1:.4f}")
    return load_model(result.out / MODEL_FILE)
