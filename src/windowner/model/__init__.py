"""The network and its numerics: activations, layers, dropout, losses, gradient checks.

May import: numpy (nothing of windowner's outside model/).
"""
