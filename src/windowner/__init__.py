"""windowner: window-based NER with hand-derived backprop, as CS224N lecture 3 teaches it."""

__version__ = "0.1.0"
