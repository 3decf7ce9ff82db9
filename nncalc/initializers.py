"""Weights for new networks, drawn by the initialisers deep-learning libraries use.

- ``he``: normal, standard deviation sqrt(2 / inputs) (He et al., 2015; for ReLU layers);
- ``xavier``: normal, standard deviation sqrt(2 / (inputs + units)) (Glorot and Bengio, 2010);
- ``uniform``: uniform on ±1/sqrt(inputs), biases too (PyTorch's nn.Linear default);
- ``zeros``: every weight and bias 0 (a network that cannot learn: for teaching why).

Biases are zero except with ``uniform``.
"""

from __future__ import annotations

import math

import numpy as np

INITIALIZERS = ("he", "xavier", "uniform", "zeros")
RELU_LIKE = ("relu", "leaky_relu")  # layers whose default initialiser is He's


def default_for(activation: str) -> str:
    """He for ReLU layers, Xavier for the rest."""
    return "he" if activation in RELU_LIKE else "xavier"


def initialize(
    sizes: list[int], init: str, seed: int | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) for each pair of consecutive sizes, W with one row per unit.

    >>> [W.shape for W, b in initialize([2, 3, 1], "he", seed=0)]
    [(3, 2), (1, 3)]
    """
    rng = np.random.default_rng(seed)
    layers = []
    for nin, nout in zip(sizes, sizes[1:]):
        b = np.zeros(nout)
        if init == "he":
            W = rng.normal(0.0, math.sqrt(2.0 / nin), (nout, nin))
        elif init == "xavier":
            W = rng.normal(0.0, math.sqrt(2.0 / (nin + nout)), (nout, nin))
        elif init == "uniform":
            bound = 1.0 / math.sqrt(nin)
            W = rng.uniform(-bound, bound, (nout, nin))
            b = rng.uniform(-bound, bound, nout)
        elif init == "zeros":
            W = np.zeros((nout, nin))
        else:
            raise ValueError(f"unknown initialiser {init!r}")
        layers.append((W, b))
    return layers
