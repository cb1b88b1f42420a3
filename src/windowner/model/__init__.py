"""The network and its numerics: activations, layers, dropout, losses, gradient checks."""
