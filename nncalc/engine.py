"""The forward pass: pure NumPy, a whole batch at once, no I/O.

For every layer, as the seed writes it (``h = sigma(Wx + b)``, one row of W per unit),
over a batch stored one input per row::

    z = a @ W.T + b
    a = act(z)

The network was validated when it was loaded, so shapes are trusted here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nncalc.errors import ComputeError
from nncalc.network import Network


@dataclass(frozen=True)
class LayerTrace:
    """One layer's pre-activations ``z`` and activations ``a``, shape (batch, units)."""

    z: np.ndarray
    a: np.ndarray


@dataclass(frozen=True)
class Trace:
    """Everything a forward pass computed: the inputs and each layer's ``z`` and ``a``."""

    x: np.ndarray
    layers: tuple[LayerTrace, ...]

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1].a

    def inputs_to(self, k: int) -> np.ndarray:
        """What layer ``k`` multiplied by its weights: ``x`` or the previous ``a``."""
        return self.x if k == 0 else self.layers[k - 1].a


def forward(net: Network, x: np.ndarray) -> Trace:
    """Run ``x`` (one input, or a batch with one input per row) through ``net``.

    >>> from nncalc.network import Layer, Network
    >>> from nncalc.activations import get
    >>> net = Network((Layer("n", np.array([[0.5, -0.2, 0.8]]), np.array([0.1]), get("relu")),))
    >>> t = forward(net, np.array([2.0, 3.0, -1.0]))
    >>> t.layers[0].z.round(12).tolist(), t.output.tolist()
    ([[-0.3]], [[0.0]])
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    a = x
    steps = []
    # Overflow is reported below, naming the layer and unit, rather than warned about.
    with np.errstate(over="ignore", invalid="ignore"):
        for layer in net.layers:
            z = a @ layer.W.T + layer.b
            a = layer.activation(z)
            _check_finite(net, layer.name, z, "z = Wx + b")
            _check_finite(net, layer.name, a, f"a = {layer.activation.name}(z)")
            steps.append(LayerTrace(z, a))
    return Trace(x, tuple(steps))


def _check_finite(net: Network, name: str, values: np.ndarray, what: str) -> None:
    if np.isfinite(values).all():
        return
    row, unit = np.argwhere(~np.isfinite(values))[0]
    which = f" for input {row + 1} of {len(values)}" if len(values) > 1 else ""
    raise ComputeError(
        f"layer '{name}', unit {unit + 1}: {what} overflows float64{which}; "
        "the weights or inputs are too large to compute with",
        source=net.source,
    )
