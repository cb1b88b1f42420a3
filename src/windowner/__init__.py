"""windowner: window-based named entity recognition with hand-derived backprop (CS224N lecture 3)."""

__version__ = "0.1.0"
