"""Where the benchmarks find the project: its root, CoNLL-2003, the default config, the outputs.

Every benchmark script runs from benchmarks/ (`python benchmarks/NAME.py`), so its siblings
import as top-level modules; the children run with the project root as their directory.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT / "data" / "conll2003"
CONFIG = ROOT / "configs" / "conll2003.toml"
RESULTS, PLOT = HERE / "results.json", HERE / "scaling.png"
# configs/conll2003.toml's hidden units and batch size, the settings the scaling sweep pivots on
DEFAULT_HIDDEN, DEFAULT_BATCH = 300, 32
