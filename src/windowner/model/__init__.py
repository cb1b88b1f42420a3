"""The network and its numerics: activations, layers, dropout, losses, gradient checks.

May import: choices; numpy (nothing else of windowner's outside model/).
"""
