"""The activation registry: one entry per function, looked up by name or alias.

Each entry holds the function, its derivative, its formula and output range as the seed
writes them, and its parameters with their defaults (PyTorch's defaults). Adding an
activation means adding one :class:`ActivationDef` to ``_DEFINITIONS``; the spec loader,
the engine and the renderers all read this table.

All functions take and return float64 arrays, work on a whole batch (the last axis is the
layer's units), and are written so that extreme inputs give exact limits without NumPy
warnings: ``sigmoid(1000) == 1.0``, ``softmax([1000, 1000]) == [0.5, 0.5]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

Array = np.ndarray


def _linear(z: Array) -> Array:
    return z


def _linear_grad(z: Array) -> Array:
    return np.ones_like(z)


def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _relu_grad(z: Array) -> Array:
    # PyTorch's convention: the derivative at exactly 0 is 0.
    return (z > 0).astype(np.float64)


def _leaky_relu(z: Array, alpha: float) -> Array:
    return np.where(z > 0, z, alpha * z)


def _leaky_relu_grad(z: Array, alpha: float) -> Array:
    return np.where(z > 0, 1.0, alpha)


def _sigmoid(z: Array) -> Array:
    # exp of a non-positive number never overflows; pick the form that uses it.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_grad(z: Array) -> Array:
    s = _sigmoid(z)
    return s * (1.0 - s)


def _tanh(z: Array) -> Array:
    return np.tanh(z)


def _tanh_grad(z: Array) -> Array:
    return 1.0 - np.tanh(z) ** 2


def _softmax(z: Array) -> Array:
    # Shifting by the row's maximum leaves softmax unchanged and keeps exp <= 1.
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_grad(z: Array) -> Array:
    # The diagonal of the Jacobian, d softmax_i / d z_i.
    s = _softmax(z)
    return s * (1.0 - s)


@dataclass(frozen=True)
class ActivationDef:
    """One registry entry.

    ``params`` maps each parameter's name to its default. ``elementwise`` is False for
    functions of the whole layer (softmax), whose ``grad`` is the Jacobian's diagonal.
    ``identity_if`` says for which parameter values the function is ``a = z`` (so a
    layer using it is linear and collapses with its neighbours).
    """

    name: str
    fn: Callable[..., Array]
    grad: Callable[..., Array]
    formula: str
    output_range: str
    aliases: tuple[str, ...] = ()
    params: Mapping[str, float] = field(default_factory=dict)
    elementwise: bool = True
    identity_if: Callable[..., bool] | None = None


_DEFINITIONS = (
    ActivationDef(
        "linear",
        _linear,
        _linear_grad,
        "z",
        "(-inf, inf)",
        aliases=("identity", "none"),
        identity_if=lambda: True,
    ),
    ActivationDef("relu", _relu, _relu_grad, "max(0, z)", "[0, inf)"),
    ActivationDef(
        "leaky_relu",
        _leaky_relu,
        _leaky_relu_grad,
        "max(alpha*z, z)",
        "(-inf, inf)",
        params={"alpha": 0.01},
        identity_if=lambda alpha: alpha == 1.0,
    ),
    ActivationDef("sigmoid", _sigmoid, _sigmoid_grad, "1 / (1 + e^-z)", "(0, 1)"),
    ActivationDef("tanh", _tanh, _tanh_grad, "(e^z - e^-z) / (e^z + e^-z)", "(-1, 1)"),
    ActivationDef(
        "softmax",
        _softmax,
        _softmax_grad,
        "e^z_i / sum_j e^z_j",
        "(0, 1), sums to 1",
        elementwise=False,
    ),
)

REGISTRY: dict[str, ActivationDef] = {}
for _d in _DEFINITIONS:
    for _key in (_d.name, *_d.aliases):
        REGISTRY[_key] = _d


def known_names() -> str:
    """The names a spec may use, aliases in brackets.

    >>> known_names()[:38]
    'linear (identity, none), relu, leaky_r'
    """
    return ", ".join(
        f"{d.name} ({', '.join(d.aliases)})" if d.aliases else d.name for d in _DEFINITIONS
    )


@dataclass(frozen=True)
class Activation:
    """A registry entry bound to its parameter values, as one layer uses it.

    >>> act = Activation(REGISTRY["leaky_relu"], (("alpha", 0.1),))
    >>> act.label
    'leaky_relu(alpha=0.1)'
    >>> act(np.array([-2.0, 3.0])).tolist()
    [-0.2, 3.0]
    """

    definition: ActivationDef
    params: tuple[tuple[str, float], ...] = ()

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def kwargs(self) -> dict[str, float]:
        return dict(self.params)

    @property
    def label(self) -> str:
        if not self.params:
            return self.name
        args = ", ".join(f"{k}={v!r}" for k, v in self.params)
        return f"{self.name}({args})"

    @property
    def is_identity(self) -> bool:
        """True when this activation, with these parameters, is ``a = z``.

        >>> get("leaky_relu", alpha=1).is_identity, get("leaky_relu").is_identity
        (True, False)
        """
        test = self.definition.identity_if
        return test is not None and test(**self.kwargs)

    def __call__(self, z: Array) -> Array:
        return self.definition.fn(z, **self.kwargs)

    def grad(self, z: Array) -> Array:
        return self.definition.grad(z, **self.kwargs)


def get(name: str, **params: float) -> Activation:
    """Bind an activation by name; missing parameters take their defaults.

    >>> get("leaky_relu").label
    'leaky_relu(alpha=0.01)'
    """
    d = REGISTRY[name]
    values = {**d.params, **params}
    return Activation(d, tuple((k, float(values[k])) for k in d.params))
