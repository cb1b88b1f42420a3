"""windowner's window classifier written again in PyTorch, as a competent PyTorch user would.

The yardstick for `make bench`'s train_torch_ratio: the same model, the same parameters at the
start, the same data, batches and step sizes, trained by torch's autograd and torch.optim.SGD on
the CPU. Only benchmarks/ imports torch; the product never does (it is the `bench` extra's).

    x = [E[w]; C[c]; K[k]; D[d]] for the 5 positions   x (N, 310)    the tables' rows, gathered
    z = W x + b                                         z (N, 300)    W (300, 310), b (300,)
    h = tanh(z)                                         h (N, 300)
    s = U h + c                                         s (N, 9)      U (9, 300), c (9,)
    J = −(1/N) Σₙ Σ_c [Y log σ(s) + (1 − Y) log(1 − σ(s))]   (sigmoid head)
    J = −(1/N) Σₙ log softmax(s)ₙ[yₙ]                         (softmax head)

with inverted dropout on x and h and word dropout on E's slot, as training/loop.py has them, and
plain SGD θ ← θ − α∇J: dense on W, b, U, c, sparse (the rows a batch touched) on the tables.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from windowner.features.vocabulary import UNK_ID
from windowner.training.loop import Run

THREADS = 2  # the "PyTorch (CPU, 2 threads)"


class TorchWindowNetwork(nn.Module):
    """The window classifier with one nn.Embedding(sparse=True) per table and two nn.Linear.

    Shapes: ids (N, n, m), slot j of every position reading a row of table slots[j] -> s (N, T).
    The parameters are copies of a windowner WindowNetwork's (nn.Linear's weight is (out, in),
    windowner's W and U are too, so they copy as they are).
    """

    def __init__(self, params: dict[str, np.ndarray], slots: tuple[str, ...], head: str):
        super().__init__()
        self.slots, self.head = tuple(slots), head
        self.tables = nn.ModuleDict(
            {
                name: nn.Embedding.from_pretrained(_tensor(params[name]), freeze=False, sparse=True)
                for name in dict.fromkeys(slots)
            }
        )
        (H, D), (T, _) = params["W"].shape, params["U"].shape
        self.hidden, self.output = nn.Linear(D, H), nn.Linear(H, T)
        with torch.no_grad():
            for layer, weight, bias in ((self.hidden, "W", "b"), (self.output, "U", "c")):
                layer.weight.copy_(_tensor(params[weight]))
                layer.bias.copy_(_tensor(params[bias]))

    def forward(self, ids: torch.Tensor, dropout_x: float = 0.0, dropout_h: float = 0.0):
        """Shapes: ids (N, n, m) -> s (N, T). Dropout applies in training mode only."""
        N = ids.shape[0]
        x = torch.cat(
            [self.tables[name](ids[:, :, j]) for j, name in enumerate(self.slots)], dim=-1
        ).reshape(N, -1)
        x = F.dropout(x, dropout_x, self.training)
        h = torch.tanh(self.hidden(x))
        h = F.dropout(h, dropout_h, self.training)
        return self.output(h)

    def loss(self, s: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Shapes: s (N, T); y (N, T) 0/1 (sigmoid head) or (N,) tag ids (softmax head) -> J."""
        if self.head == "sigmoid":
            return F.binary_cross_entropy_with_logits(s, y, reduction="sum") / s.shape[0]
        return F.cross_entropy(s, y)

    def params_numpy(self) -> dict[str, np.ndarray]:
        """The parameters under windowner's names (E, C, K, D, W, b, U, c), as numpy arrays."""
        out = {name: table.weight.detach().numpy() for name, table in self.tables.items()}
        out["W"], out["b"] = self.hidden.weight.detach().numpy(), self.hidden.bias.detach().numpy()
        out["U"], out["c"] = self.output.weight.detach().numpy(), self.output.bias.detach().numpy()
        return out


def _tensor(array: np.ndarray) -> torch.Tensor:
    """A float32 copy: windowner updates its arrays in place, the twin must not share them."""
    return torch.tensor(np.asarray(array, np.float32))


class TorchTwin:
    """The twin of a prepared windowner Run: its model's parameters (copied now), its windows
    and targets as tensors, its settings (dropout, word dropout, batch size, schedule), and how
    many threads torch runs its epochs on."""

    def __init__(self, run: Run, seed: int = 0, threads: int = THREADS):
        t, network = run.config.training, run.model.network
        name = network.activation.params().get("name")
        if name != "tanh":
            raise ValueError(f"the twin has tanh units only, not {name}")
        if network.objective != "window" or t.momentum or t.weight_decay or t.clip_norm:
            raise ValueError("the twin is the window objective with plain SGD only")
        self.run, self.threads = run, threads
        # what the twin starts from, kept to show how far training moved each parameter
        names = (*dict.fromkeys(network.slots), "W", "b", "U", "c")
        self.initial = {name: network.params[name].copy() for name in names}
        self.net = TorchWindowNetwork(network.params, network.slots, network.head)
        if run.config.vectors.freeze:
            self.net.tables["E"].weight.requires_grad_(False)
        self.optimizer = torch.optim.SGD(
            [p for p in self.net.parameters() if p.requires_grad], lr=t.lr
        )
        self.ids = torch.from_numpy(np.ascontiguousarray(run.windows.ids, np.int64))
        self.targets = torch.from_numpy(run.targets)
        self.rare = torch.from_numpy(run.rare) if run.rare is not None else None
        self.generator = torch.Generator().manual_seed(seed)  # word dropout's own draws
        torch.manual_seed(seed)  # F.dropout draws from torch's global generator

    def train_epoch(self, order: np.ndarray, epoch: int, first_step: int) -> tuple[float, float]:
        """SGD over `order` in batches of the run's size; -> (seconds, mean loss per window).

        The step size of each step is windowner's, schedule.at(step, epoch, ...); torch runs on
        the twin's `threads` threads.
        """
        torch.set_num_threads(self.threads)
        run, t = self.run, self.run.config.training
        size, steps = t.batch_size, run.steps_per_epoch
        order_t = torch.from_numpy(np.asarray(order, np.int64))
        self.net.train()
        loss_sum = 0.0
        started = time.perf_counter()
        for i, start in enumerate(range(0, len(order_t), size)):
            rows = order_t[start : start + size]
            ids = self.ids[rows]  # a copy: word dropout changes it
            if t.word_dropout:
                words = ids[:, :, 0]
                hidden = self.rare[words] & (
                    torch.rand(words.shape, generator=self.generator) < t.word_dropout
                )
                words[hidden] = UNK_ID
            lr = run.schedule.at(first_step + i, epoch, steps, t.epochs)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            s = self.net(ids, t.dropout_x, t.dropout_h)
            J = self.net.loss(s, self.targets[rows])
            self.optimizer.zero_grad(set_to_none=True)
            J.backward()
            self.optimizer.step()
            loss_sum += J.item() * len(rows)
        seconds = time.perf_counter() - started
        if not math.isfinite(loss_sum):
            raise FloatingPointError("the twin's loss is not finite")
        return seconds, loss_sum / len(order_t)

    def step(self, rows: np.ndarray, lr: float) -> float:
        """One SGD step on the windows `rows`, no dropout of any kind; -> J before the step."""
        rows_t = torch.from_numpy(np.asarray(rows, np.int64))
        self.net.eval()  # F.dropout is the identity
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        J = self.net.loss(self.net(self.ids[rows_t]), self.targets[rows_t])
        self.optimizer.zero_grad(set_to_none=True)
        J.backward()
        self.optimizer.step()
        return J.item()
