"""An ensemble: several window networks of one architecture (seeds), their probabilities averaged.

Each member scores every window as it would alone; the ensemble's probability of a tag is the
members' mean, p(c) = (1/M) Σₘ pₘ(c), and decoding reads its log. Only tagging uses an
ensemble: each member was trained on its own.
"""

from __future__ import annotations

import numpy as np

from windowner.model.network import WindowNetwork


class Ensemble:
    """Members (M ≥ 2) with the same slots, window, head and output tags."""

    def __init__(self, members: list[WindowNetwork]):
        if len(members) < 2:
            raise ValueError("an ensemble needs at least two members")
        first = members[0]
        for member in members[1:]:
            if (member.slots, member.head, member.window) != (
                first.slots,
                first.head,
                first.window,
            ):
                raise ValueError("ensemble members must share their features, head and window")
            if member.params["U"].shape[0] != first.params["U"].shape[0]:
                raise ValueError("ensemble members must share their tags")
        self.members = members

    # What tagging and the model file read, the first member's (they agree).
    @property
    def head(self) -> str:
        return self.members[0].head

    @property
    def window(self) -> int:
        return self.members[0].window

    @property
    def slots(self) -> tuple[str, ...]:
        return self.members[0].slots

    @property
    def activation(self):
        return self.members[0].activation

    @property
    def params(self) -> dict[str, np.ndarray]:
        return self.members[0].params

    @property
    def objective(self) -> str:
        return self.members[0].objective

    def log_probs(self, ids: np.ndarray, batch: int = 8192, lengths=None, allowed=None):
        """Shapes: (N, n, m) ids -> (N, T) log of the members' mean probabilities (token
        marginals for members of the sentence objective, which need `lengths` and `allowed` as
        WindowNetwork.log_probs does).

        Math: log (1/M) Σₘ exp(ℓₘ) = max ℓ + log Σₘ exp(ℓₘ − max ℓ) − log M, per entry, so that
        no member's tiny probability underflows the sum (mean_of_logs).
        """
        each = np.stack([m.log_probs(ids, batch, lengths, allowed) for m in self.members])
        return mean_of_logs(each)


def mean_of_logs(each: np.ndarray) -> np.ndarray:
    """Shapes: (M, N, T) log-probabilities -> (N, T) log of their mean over M.

    A tag no member allows (log p = −inf in all, as the sentence objective's masks give) stays
    −inf: its maximum is replaced by 0 before the shift, so that −inf − (−inf) never makes NaN.
    """
    top = each.max(axis=0)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):  # log 0 = −inf for a tag every member forbids
        return top + np.log(np.exp(each - top).sum(axis=0)) - np.log(len(each))
