"""benchmarks/scaling.png: the sweep's seconds per epoch, beside an ideal implementation's."""

from __future__ import annotations

from pathlib import Path

from project import DEFAULT_BATCH, DEFAULT_HIDDEN, ROOT


def plot_scaling(scaling: dict, path: Path) -> str | None:
    """Two log-log panels of seconds per epoch: against hidden units, against batch size.

    Beside the measurements, the cost an ideal implementation would have: proportional to the
    matrix products' work for the hidden sweep, constant for the batch sweep (the products'
    work does not depend on the batch), both through the default setting.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter
    except ImportError:
        return None
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    labels = ("hidden units H (batch 32)", "batch size (H = 300)")
    for axis, key, label in zip(axes, ("hidden", "batch_size"), labels, strict=True):
        rows = [r for r in scaling[key] if "seconds_per_epoch" in r]
        x, y = [r[key] for r in rows], [r["seconds_per_epoch"] for r in rows]
        axis.plot(x, y, "o-", label="measured (BLAS on 1 thread)")
        for xi, yi in zip(x, y, strict=True):
            axis.annotate(f"{yi:.1f} s", (xi, yi), textcoords="offset points", xytext=(4, 6))
        anchor = next(
            (r for r in rows if r["hidden"] == DEFAULT_HIDDEN and r["batch_size"] == DEFAULT_BATCH),
            None,
        )
        if anchor:
            base = anchor["seconds_per_epoch"]
            ideal = [base * v / DEFAULT_HIDDEN for v in x] if key == "hidden" else [base] * len(x)
            what = "∝ product FLOPs" if key == "hidden" else "same FLOPs as batch 32"
            axis.plot(x, ideal, "--", color="grey", label=what)
        axis.set(xscale="log", yscale="log", xlabel=label, ylabel="seconds per epoch")
        axis.set_xticks(x)
        axis.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        for ticks in (axis.xaxis, axis.yaxis):
            ticks.set_major_formatter(ScalarFormatter())
            ticks.set_minor_formatter(NullFormatter())
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    axes[0].set_title("Cost against hidden units")
    axes[1].set_title("Cost against batch size")
    figure.suptitle("windowner: seconds per training epoch (203,621 windows)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
