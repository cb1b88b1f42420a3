"""Where the benchmarks find the project: its root, CoNLL-2003, the default config, the outputs.

Every benchmark script runs from benchmarks/ (`python benchmarks/NAME.py`), so its siblings
import as top-level modules; the children run with the project root as their directory.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT / "data" / "conll2003"
CONFIG = ROOT / "configs" / "conll2003.toml"
# The benchmarks time one window network: its epochs, its tagging, its file. The default's
# document prior (model.prior_dim) trains that network prior_folds + 1 more times first and
# tags in two passes (README, Figures, measures that); here it is off.
PRIOR_OFF = {"model.prior_dim": 0}
RESULTS, PLOT = HERE / "results.json", HERE / "scaling.png"
# configs/conll2003.toml's hidden units and batch size, the settings the scaling sweep pivots on
DEFAULT_HIDDEN, DEFAULT_BATCH = 300, 32
