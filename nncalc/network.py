"""The validated network: immutable, shapes already checked, ready for the engine.

Only :mod:`nncalc.spec` builds these from text; tests and the engine may build them
directly. ``W`` is stored as the seed writes it, one row per unit (out x in).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nncalc.activations import Activation


def frozen(a: np.ndarray) -> np.ndarray:
    """A read-only float64 copy, so a Network cannot change under a Trace."""
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


def round_significant(x: np.ndarray, digits: int) -> np.ndarray:
    """Each value rounded to ``digits`` significant digits.

    >>> round_significant(np.array([0.123456, -98765.4, 0.0]), 3).tolist()
    [0.123, -98800.0, 0.0]
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        magnitude = np.floor(np.log10(np.abs(np.where(x == 0, 1.0, x))))
    factor = 10.0 ** (digits - 1 - magnitude)
    return np.round(x * factor) / factor


@dataclass(frozen=True)
class Layer:
    name: str
    W: np.ndarray
    b: np.ndarray
    activation: Activation
    has_bias: bool = True  # False when the spec gave no bias (shown without a "+ b" term)
    weights_from: str | None = None  # the file the weights were read from, if not inline
    bias_from: str | None = None

    @property
    def nin(self) -> int:
        return self.W.shape[1]

    @property
    def nout(self) -> int:
        return self.W.shape[0]

    @property
    def n_params(self) -> int:
        return self.W.size + self.b.size


@dataclass(frozen=True)
class Network:
    layers: tuple[Layer, ...]
    name: str | None = None
    description: str | None = None
    input: np.ndarray | None = None  # default inputs, shape (batch, nin), or None
    source: str = "<network>"  # where it was read from, for messages

    @property
    def nin(self) -> int:
        return self.layers[0].nin

    @property
    def nout(self) -> int:
        return self.layers[-1].nout

    @property
    def sizes(self) -> tuple[int, ...]:
        """Inputs, then each layer's units: (2, 3, 1) for the seed's Example 2."""
        return (self.nin, *(layer.nout for layer in self.layers))

    @property
    def n_params(self) -> int:
        return sum(layer.n_params for layer in self.layers)
