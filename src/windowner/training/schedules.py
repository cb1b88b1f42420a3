"""Learning-rate schedules: the step size α of SGD step t (counted from 0) in epoch e (from 1)."""

from __future__ import annotations

from dataclasses import dataclass

from windowner.choices import SCHEDULES, check_choice
from windowner.config import TrainingConfig

_DEFAULTS = TrainingConfig()  # a schedule built without them takes the config's own values


@dataclass(frozen=True)
class Schedule:
    """Math, with α₀ the base rate:
    constant       α = α₀
    step           α = α₀ · γ^⌊(e − 1) / step_size⌋
    exponential    α = α₀ · γ^(e − 1)
    warmup_linear  α = α₀ · t / T_w for the first T_w steps, then falling linearly to 0 at the
                   last step (T_w = warmup_epochs × steps per epoch)
    """

    name: str
    lr: float
    gamma: float = _DEFAULTS.gamma
    step_size: int = _DEFAULTS.step_size
    warmup_epochs: float = _DEFAULTS.warmup_epochs

    def __post_init__(self) -> None:
        check_choice(self.name, SCHEDULES, "schedule")

    def at(self, step: int, epoch: int, steps_per_epoch: int, epochs: int) -> float:
        if self.name == "constant":
            return self.lr
        if self.name == "step":
            return self.lr * self.gamma ** ((epoch - 1) // self.step_size)
        if self.name == "exponential":
            return self.lr * self.gamma ** (epoch - 1)
        warmup = max(1, round(self.warmup_epochs * steps_per_epoch))
        total = max(warmup + 1, epochs * steps_per_epoch)
        if step < warmup:
            return self.lr * (step + 1) / warmup
        return self.lr * max(0.0, (total - step) / (total - warmup))
