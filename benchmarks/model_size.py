"""The model file's size on disk: the default model and a three-member ensemble (the `size` part
of run.py).

The default is the model the `train` part trains (the default config, 2 epochs: every row
training changes is changed in the first epoch, so the file is the size of a full run's); the
ensemble is three seeds of the same config, one epoch each, joined by `ner-train --seeds 0,1,2
--ensemble` (its size depends on how many members, not on how long they trained).
"""

from __future__ import annotations

from pathlib import Path

from child_process import console_script, run_child
from project import CONFIG

MB = 1e6  # the README's MB: 84 MB was 83,850,392 bytes


def bench_size(model: Path, work: Path) -> dict:
    """Bytes and MB of `model` (the train part's) and of a 3-seed ensemble trained here."""
    found: dict = {}
    if model.exists():
        found["model_bytes_default"] = model.stat().st_size
        found["model_mb_default"] = round(model.stat().st_size / MB, 2)
    else:
        found["model_size_error"] = f"no model at {model}: run the train part first"
    out = work / "ensemble"
    command = [
        *console_script("ner-train", "windowner.cli.train"),
        *("--config", CONFIG, "--out", out, "--seeds", "0,1,2", "--ensemble"),
        *("--epochs", 1, "--force", "--quiet", "--set", 'data.test=""'),
        *("--set", "model.prior_dim=0"),  # one network per member (project.PRIOR_OFF)
    ]
    _, _, seconds, error = run_child(command)
    if error:
        return {**found, "model_size_ensemble_error": error}
    ensemble = out / "model.npz"
    found["model_bytes_ensemble_3"] = ensemble.stat().st_size
    found["model_mb_ensemble_3"] = round(ensemble.stat().st_size / MB, 2)
    found["model_size_ensemble_train_s"] = round(seconds, 1)
    return found
