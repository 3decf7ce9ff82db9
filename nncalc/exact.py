"""Exact arithmetic: the forward pass and the collapse in rational numbers. Pure, no I/O.

Every number is a :class:`fractions.Fraction`, read exactly as the spec or the input
wrote it (``0.1`` is 1/10, ``1/3`` is 1/3), so the seed's Example 2 gives 7/25, not
0.27999999999999997. Only the activations that keep rationals rational are allowed.

The float path never comes here: these are separate functions over object arrays.
A layer's weighted sums are computed in integers over one common denominator (the
layer's and the batch's), so a 64-unit layer over 100 inputs takes a fraction of a
second; only the results are made Fractions.

>>> import nncalc
>>> from nncalc.spec import load_spec
>>> net = load_spec("two-layer", exact=True)
>>> trace = forward(net, exact_inputs(net))
>>> [str(v) for v in trace.output[0]], [str(v) for v in trace.layers[0].z[0]]
(['7/25'], ['1/10', '4/5', '7/10'])
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from nncalc.errors import SpecError

if TYPE_CHECKING:
    from nncalc.activations import Activation
    from nncalc import collapsing
    from nncalc.collapsing import WitnessSearch
    from nncalc.network import Layer, Network

# The activations that send rationals to rationals (relu6 would join them).
EXACT = ("linear", "relu", "leaky_relu", "hard_sigmoid", "hard_swish", "hard_tanh")


def param(v: float) -> Fraction:
    """A float parameter as it was written: ``0.01`` is 1/100 (its shortest repr).

    >>> param(0.01), param(-1.0)
    (Fraction(1, 100), Fraction(-1, 1))
    """
    return Fraction(repr(float(v)))


def params(act: Activation, exact_params: tuple | None = None) -> dict[str, Fraction]:
    """An activation's parameters as fractions: as the spec wrote them (``exact_params``,
    alpha: 1/3), else each float as written (0.1 is 1/10); hard_sigmoid's alpha, where
    it is 1/6 in float64, is 1/6 (left out, it is PyTorch's).

    >>> from nncalc.activations import get
    >>> params(get("leaky_relu", alpha=0.1)), params(get("hard_sigmoid", beta=0.2))["alpha"]
    ({'alpha': Fraction(1, 10)}, Fraction(1, 6))
    """
    p = {k: Fraction(1, 6) if (act.name, k, v) == ("hard_sigmoid", "alpha", 1 / 6) else param(v) for k, v in act.params}
    return p | dict(exact_params or ())


def activation(act: Activation, exact_params: tuple | None = None) -> Callable[[Fraction], Fraction] | None:
    """The activation as a function of one Fraction, or None if it leaves the rationals.

    >>> f = activation(__import__("nncalc.activations").activations.get("leaky_relu", alpha=0.1))
    >>> f(Fraction(-3, 10))
    Fraction(-3, 100)
    """
    name = act.name
    p = params(act, exact_params)
    if act.is_identity:
        return lambda q: q
    if name == "relu":
        return lambda q: q if q > 0 else Fraction(0)
    if name == "leaky_relu":
        alpha = p["alpha"]
        return lambda q: q if q > 0 else alpha * q
    if name == "hard_tanh":
        lo, hi = p["min_val"], p["max_val"]
        return lambda q: min(max(q, lo), hi)
    if name == "hard_sigmoid" and act.params:  # ONNX's form
        alpha, beta = p["alpha"], p["beta"]
        return lambda q: min(max(alpha * q + beta, Fraction(0)), Fraction(1))
    if name == "hard_sigmoid":  # PyTorch's (an alpha written as 1/6 and beta 1/2 are it)
        return lambda q: min(max(q + 3, Fraction(0)), Fraction(6)) / 6
    if name == "hard_swish":
        return lambda q: q * min(max(q + 3, Fraction(0)), Fraction(6)) / 6
    return None


def check(net: Network) -> None:
    """SpecError naming the first layer whose activation cannot be computed exactly."""
    for layer in net.layers:
        if activation(layer.activation) is None:
            raise SpecError(
                f"layer '{layer.name}' uses {layer.activation.name}, whose values are not rational "
                f"numbers; exact arithmetic works with {', '.join(EXACT)}",
                source=net.source,
            )


def text(q: Fraction | int) -> str:
    """A rational as JSON and people read it: ``"7/25"``, ``"8"``, ``"-11/2"``.

    >>> text(Fraction(7, 25)), text(Fraction(8)), text(Fraction(-11, 2))
    ('7/25', '8', '-11/2')
    """
    return str(Fraction(q))


def terminates(q: Fraction) -> int | None:
    """How many decimal places ``q`` needs, or None if its decimal does not end.

    >>> terminates(Fraction(7, 25)), terminates(Fraction(1, 3)), terminates(Fraction(5))
    (2, None, 0)
    """
    d = q.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    return max(twos, fives) if d == 1 else None


def decimal(q: Fraction | int) -> str:
    """The exact decimal of ``q`` when it terminates (``0.28``), else its fraction (``1/3``).

    >>> decimal(Fraction(7, 25)), decimal(Fraction(-11, 2)), decimal(Fraction(1, 3)), decimal(Fraction(8))
    ('0.28', '-5.5', '1/3', '8')
    """
    q = Fraction(q)
    places = terminates(q)
    if places is None:
        return str(q)
    if places == 0:
        return str(q.numerator)
    digits = str(abs(q.numerator) * 10**places // q.denominator).rjust(places + 1, "0")
    sign = "-" if q < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


# ------------------------------------------------------------------------------ values


def layer_params(layer: Layer) -> tuple[np.ndarray, np.ndarray]:
    """A layer's W and b as Fractions: as written in the spec when it was read exactly,
    else the floats' exact values."""
    if layer.exact is not None:
        return layer.exact
    return as_fractions(layer.W), as_fractions(layer.b)


def as_fractions(values: Any) -> np.ndarray:
    """An object array of the exact values of floats (or of Fractions, kept)."""
    arr = np.asarray(values, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    out.reshape(-1)[:] = [v if isinstance(v, Fraction) else Fraction(v) for v in arr.reshape(-1)]
    return out


def exact_inputs(net: Network) -> np.ndarray:
    """The spec's own input as Fractions (as written when the spec was read exactly)."""
    if net.exact_input is not None:
        return np.atleast_2d(net.exact_input)
    if net.input is None:
        raise SpecError("the network has no 'input'", source=net.source)
    return as_fractions(net.input)


def _integers(M: np.ndarray) -> tuple[np.ndarray, int]:
    """``M`` (Fractions) as integer numerators over one common denominator."""
    flat = M.reshape(-1)
    d = math.lcm(*(q.denominator for q in flat)) if flat.size else 1
    out = np.empty(M.shape, dtype=object)
    out.reshape(-1)[:] = [q.numerator * (d // q.denominator) for q in flat]
    return out, d


def affine(A: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``z = A W^T + b`` in Fractions, for a batch ``A`` (rows), summed in integers.

    >>> q = lambda *v: np.array([Fraction(x) for x in v], dtype=object)
    >>> affine(q("0.1", "0.8", "0.7")[None], q("0.7", "-0.3", "0.5")[None], q("0.1"))
    array([[Fraction(7, 25)]], dtype=object)
    """
    An, dA = _integers(A)
    Wn, dW = _integers(W)
    bn, db = _integers(b)
    S = An.dot(Wn.T)  # Python integers: exact, and far faster than Fraction arithmetic
    d = dA * dW
    common = math.lcm(d, db)
    S = S * (common // d) + bn * (common // db)
    out = np.empty(S.shape, dtype=object)
    out.reshape(-1)[:] = [Fraction(int(s), common) for s in S.reshape(-1)]
    return out


def apply(act: Activation, z: np.ndarray, exact_params: tuple | None = None) -> np.ndarray:
    f = activation(act, exact_params)
    assert f is not None, act.name
    out = np.empty(z.shape, dtype=object)
    out.reshape(-1)[:] = [f(q) for q in z.reshape(-1)]
    return out


@dataclass(frozen=True)
class LayerTrace:
    """One layer's ``z`` and ``a`` as Fractions, shape (batch, units)."""

    z: np.ndarray
    a: np.ndarray
    name: str = ""


@dataclass(frozen=True)
class Trace:
    """The exact forward pass: the input and every layer's ``z`` and ``a``, as Fractions."""

    x: np.ndarray
    layers: tuple[LayerTrace, ...]

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1].a

    def inputs_to(self, k: int) -> np.ndarray:
        return self.x if k == 0 else self.layers[k - 1].a


def forward(net: Network, X: Any) -> Trace:
    """Every ``z`` and ``a`` of ``net`` for a batch ``X`` (rows) of Fractions.

    Raises SpecError when a layer's activation has no exact rational value.
    """
    check(net)
    X = np.atleast_2d(np.asarray(X, dtype=object))
    if X.dtype != object or not all(isinstance(v, Fraction) for v in X.reshape(-1)):
        X = as_fractions(X)
    a = X
    steps = []
    for layer in net.layers:
        W, b = layer_params(layer)
        z = affine(a, W, b)
        a = apply(layer.activation, z, layer.exact_params)
        steps.append(LayerTrace(z, a, layer.name))
    return Trace(X, tuple(steps))


# ------------------------------------------------------------------------------ collapse


@dataclass(frozen=True)
class Product:
    """One multiplication of a collapse, exactly: ``result = left @ right``."""

    left: np.ndarray
    right: np.ndarray
    result: np.ndarray


@dataclass(frozen=True)
class Witness:
    x1: np.ndarray
    x2: np.ndarray
    midpoint_output: np.ndarray
    average_output: np.ndarray

    @property
    def gap(self) -> Fraction:
        return max(abs(m - v) for m, v in zip(self.midpoint_output, self.average_output))


@dataclass(frozen=True)
class Collapse:
    """A collapse in Fractions: the reduced network (each layer's ``exact`` holds W' and
    b'), its products, both paths on one input, and the witness checked exactly."""

    reduced: Network
    products: tuple[tuple[Product, ...], ...]
    layered: Trace
    collapsed: Trace
    witness: Witness | None  # the float search's witness, when it is one exactly

    @property
    def difference(self) -> Fraction:
        return max(abs(p - q) for p, q in zip(self.layered.output[0], self.collapsed.output[0]))


def _matmul(L: np.ndarray, R: np.ndarray) -> np.ndarray:
    """``L @ R`` in Fractions (integers over a common denominator)."""
    Ln, dL = _integers(L)
    Rn, dR = _integers(R)
    P = Ln.dot(Rn)
    out = np.empty(P.shape, dtype=object)
    out.reshape(-1)[:] = [Fraction(int(p), dL * dR) for p in P.reshape(-1)]
    return out


def collapse(c: collapsing.Collapse, x: Any, search: WitnessSearch | None = None) -> Collapse:
    """The float collapse ``c`` (a :class:`nncalc.collapsing.Collapse`) redone exactly.

    ``x`` is the input both paths are checked on (Fractions); a witness the float
    search found is checked again in Fractions and kept only if it is one exactly.

    >>> from nncalc.collapsing import collapse as merge
    >>> from nncalc.spec import load_spec
    >>> net = load_spec("linear-stack", exact=True)
    >>> e = collapse(merge(net), exact_inputs(net)[0])
    >>> [[str(v) for v in row] for row in e.reduced.layers[0].exact[0]], e.difference
    ([['-5/2', '-3'], ['3', '5']], Fraction(0, 1))
    """
    net = c.original
    check(net)
    layers, products = [], []
    for group, reduced in zip(c.groups, c.reduced.layers):
        W, b = layer_params(net.layers[group[0]])
        steps = []
        for k in group[1:]:
            W2, b2 = layer_params(net.layers[k])
            product = _matmul(W2, W)
            b = _matmul(W2, b.reshape(-1, 1)).reshape(-1) + b2
            steps.append(Product(W2, W, product))
            W = product
        layers.append(replace(reduced, exact=(W, b)) if len(group) > 1 else net.layers[group[0]])
        products.append(tuple(steps))
    reduced_net = replace(c.reduced, layers=tuple(layers))
    x = np.asarray(x, dtype=object).reshape(1, -1)
    layered, collapsed = forward(net, x), forward(reduced_net, x)
    witness = None
    w = search.witness if search is not None else None
    if w is not None:
        x1, x2 = (np.array([param(v) for v in p], dtype=object) for p in (w.x1, w.x2))
        mid = forward(net, ((x1 + x2) / 2)[None]).output[0]
        avg = (forward(net, x1[None]).output[0] + forward(net, x2[None]).output[0]) / 2
        if any(m != v for m, v in zip(mid, avg)):
            witness = Witness(x1, x2, mid, avg)
    return Collapse(reduced_net, tuple(products), layered, collapsed, witness)


# ------------------------------------------------------------------------------ inputs


def exact_vectors(texts: Sequence[str], what: str = "input") -> np.ndarray:
    """Input vectors written as text (``1,2``, ``[0.1, 1/3]``, ``1 2``), as Fractions.

    The texts are checked first by :func:`nncalc.inputs.parse_vector` (the same rules
    and messages as every input); this reads the same numbers exactly.

    >>> exact_vectors(["0.1, -2/7", "[1 1/3]"]).tolist()
    [[Fraction(1, 10), Fraction(-2, 7)], [Fraction(1, 1), Fraction(1, 3)]]
    """
    from nncalc.errors import InputError
    from nncalc.files import shown
    from nncalc.numbers import parse_exact

    rows = []
    for text in texts:
        body = text.strip()
        if body.startswith("[") and body.endswith("]"):
            body = body[1:-1]
        items = body.split(",") if "," in body else body.split()
        for item in items:
            # 1e-9999999 is a float (0.0) but, exactly, a number of ten million digits.
            exponent = _EXPONENT.search(item)
            if exponent is not None and abs(int(exponent[1])) > MAX_EXPONENT:
                raise InputError(
                    f"{what} {shown(text)}: {shown(item.strip())} has an exponent beyond ±{MAX_EXPONENT}, "
                    "too many digits to compute with exactly"
                )
        rows.append([parse_exact(item) for item in items])
    return np.array(rows, dtype=object)


MAX_EXPONENT = 1000  # exact inputs like 1e-1000 still compute quickly; 1e-9999999 would not
_EXPONENT = re.compile(r"[eE]([-+]?[0-9]+)")
