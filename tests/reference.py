"""Independent references: each activation written out with Python's math module.

Scalar code, one value at a time, from the textbook formulas, sharing nothing with
nncalc's vectorised implementations. Valid on moderate z (|z| <= 30), where the naive
formulas are still accurate; tests check the extremes against exact limits instead.
"""

from __future__ import annotations

import math


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def _softmax(zs: list[float]) -> list[float]:
    total = sum(math.exp(v) for v in zs)
    return [math.exp(v) / total for v in zs]


# name -> function of one layer's list of z values (and the activation's parameters)
REFERENCE = {
    "linear": lambda zs: list(zs),
    "relu": lambda zs: [max(0.0, z) for z in zs],
    "leaky_relu": lambda zs, alpha=0.01: [z if z > 0 else alpha * z for z in zs],
    "sigmoid": lambda zs: [_sigmoid(z) for z in zs],
    "tanh": lambda zs: [(math.exp(z) - math.exp(-z)) / (math.exp(z) + math.exp(-z)) for z in zs],
    "softmax": _softmax,
    "log_softmax": lambda zs: [math.log(p) for p in _softmax(zs)],
    "elu": lambda zs, alpha=1.0: [z if z > 0 else alpha * (math.exp(z) - 1) for z in zs],
    # Constants of the SELU paper (Klambauer et al., 2017).
    "selu": lambda zs: [1.0507009873554805 * (z if z > 0 else 1.6732632423543772 * (math.exp(z) - 1)) for z in zs],
    "gelu": lambda zs: [0.5 * z * (1 + math.erf(z / math.sqrt(2))) for z in zs],
    "gelu_tanh": lambda zs: [0.5 * z * (1 + math.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3))) for z in zs],
    "silu": lambda zs: [z * _sigmoid(z) for z in zs],
    "softplus": lambda zs, beta=1.0, threshold=20.0: [
        z if beta * z > threshold else math.log1p(math.exp(beta * z)) / beta for z in zs
    ],
    "mish": lambda zs: [z * math.tanh(math.log1p(math.exp(z))) for z in zs],
    "softsign": lambda zs: [z / (1 + abs(z)) for z in zs],
    "hard_sigmoid": lambda zs: [min(max(z / 6 + 0.5, 0.0), 1.0) for z in zs],
    "hard_tanh": lambda zs, min_val=-1.0, max_val=1.0: [min(max(z, min_val), max_val) for z in zs],
    "hard_swish": lambda zs: [z * min(max(z + 3, 0.0), 6.0) / 6 for z in zs],
}
