"""Every learning-rate schedule against its formula, warmup_linear step by step."""

import itertools

import pytest

from windowner.training.schedules import SCHEDULES, Schedule

STEPS_PER_EPOCH, EPOCHS = 10, 4


def rates(schedule: Schedule) -> list[float]:
    """α at every step of every epoch, in order."""
    return [
        schedule.at(epoch * STEPS_PER_EPOCH + i, epoch + 1, STEPS_PER_EPOCH, EPOCHS)
        for epoch in range(EPOCHS)
        for i in range(STEPS_PER_EPOCH)
    ]


def test_constant():
    assert set(rates(Schedule("constant", 0.2))) == {0.2}


def test_step_multiplies_by_gamma_every_step_size_epochs():
    per_epoch = rates(Schedule("step", 0.2, gamma=0.5, step_size=2))[::STEPS_PER_EPOCH]
    assert per_epoch == pytest.approx([0.2, 0.2, 0.1, 0.1])


def test_exponential_multiplies_by_gamma_every_epoch():
    per_epoch = rates(Schedule("exponential", 0.2, gamma=0.5))[::STEPS_PER_EPOCH]
    assert per_epoch == pytest.approx([0.2, 0.1, 0.05, 0.025])


def test_warmup_linear_rises_to_the_base_rate_then_falls_linearly_to_zero():
    alpha = rates(Schedule("warmup_linear", 0.2, warmup_epochs=0.5))  # T_w = 5 steps of 40
    assert alpha[:5] == pytest.approx([0.04, 0.08, 0.12, 0.16, 0.2])
    assert alpha[5] == pytest.approx(0.2) and alpha[-1] == pytest.approx(0.2 / 35)
    falling = alpha[5:]
    assert all(a > b for a, b in itertools.pairwise(falling))
    steps = [b - a for a, b in itertools.pairwise(falling)]
    assert max(steps) == pytest.approx(min(steps))  # linear


def test_warmup_of_zero_epochs_still_takes_one_step():
    assert rates(Schedule("warmup_linear", 0.2, warmup_epochs=0.0))[0] == pytest.approx(0.2)


def test_unknown_schedule_lists_the_known_ones():
    with pytest.raises(ValueError, match=", ".join(SCHEDULES)):
        Schedule("cosine", 0.2)
