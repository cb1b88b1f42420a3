"""Training curves as a PNG: loss, dev F1 and learning rate per epoch (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path

from windowner.atomic import atomic_write


def plot_curves(history: list[dict], path: str | Path, title: str = "") -> None:
    """One figure of three panels from the per-epoch records of metrics.jsonl."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on servers and CI
    import matplotlib.pyplot as plt

    epochs = [r for r in history if "epoch" in r]
    x = [r["epoch"] for r in epochs]
    figure, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    panels = (
        ("train_loss", "training loss", True),
        ("dev_f1", "dev F1", False),
        ("lr", "learning rate", False),
    )
    for axis, (key, label, log_scale) in zip(axes, panels, strict=True):
        axis.plot(x, [r[key] for r in epochs], marker="o", markersize=3)
        axis.set_xlabel("epoch")
        axis.set_title(label)
        axis.grid(alpha=0.3)
        if log_scale:
            axis.set_yscale("log")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    with atomic_write(path) as f:
        figure.savefig(f, format="png", dpi=100)
    plt.close(figure)
