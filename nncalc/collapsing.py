"""Collapsing linear layers, and proving when a network is not linear. Pure NumPy, no I/O.

Two affine layers compose into one:  W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2).
Every run of consecutive linear layers therefore collapses into a single layer. A network
with a nonlinear layer may still be linear on the inputs that matter; a *witness*, two
inputs breaking f((x1 + x2)/2) = (f(x1) + f(x2))/2, proves that it is not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from nncalc import activations
from nncalc.engine import Trace, forward
from nncalc.errors import ComputeError
from nncalc.network import Layer, Network, frozen, round_significant

class Product(NamedTuple):
    """One multiplication step of a collapse: ``result = left @ right``."""

    left: np.ndarray
    right: np.ndarray
    result: np.ndarray
    left_name: str
    right_name: str


class Collapse(NamedTuple):
    """A network with each run of linear layers merged, and how it was done.

    ``groups[k]`` lists the original layer indices that reduced layer ``k`` came from;
    ``products[k]`` the multiplications that built its weights; ``blocking`` the
    nonlinear layers that keep the network from being one linear layer.
    """

    original: Network
    reduced: Network
    groups: tuple[tuple[int, ...], ...]
    products: tuple[tuple[Product, ...], ...]
    blocking: tuple[str, ...]

    @property
    def collapsible(self) -> bool:
        return not self.blocking


def collapse(net: Network) -> Collapse:
    """Merge every run of two or more consecutive linear layers into one layer.

    >>> from nncalc.network import Layer
    >>> from nncalc.activations import get
    >>> W1, W2 = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5, -1.0], [1.5, 0.5]])
    >>> c = collapse(Network((Layer("l1", W1, np.zeros(2), get("linear")),
    ...                       Layer("l2", W2, np.zeros(2), get("linear")))))
    >>> c.collapsible, c.reduced.layers[0].name, c.reduced.layers[0].W.tolist()
    (True, 'l1+l2', [[-2.5, -3.0], [3.0, 5.0]])
    """
    groups: list[list[int]] = []
    for k, layer in enumerate(net.layers):
        linear = layer.activation.is_identity
        if groups and linear and net.layers[groups[-1][-1]].activation.is_identity:
            groups[-1].append(k)
        else:
            groups.append([k])
    layers, products = [], []
    for group in groups:
        first = net.layers[group[0]]
        if len(group) == 1:
            layers.append(first)
            products.append(())
            continue
        W, b, steps, names = first.W, first.b, [], [first.name]
        for k in group[1:]:
            layer = net.layers[k]
            with np.errstate(all="ignore"):  # overflow is reported below, by layer and unit
                product = layer.W @ W
                b = layer.W @ b + layer.b
            for what, values in (("W' = " + layer.name + "·W", product), ("b'", b)):
                if not np.isfinite(values).all():
                    unit = int(np.argwhere(~np.isfinite(values))[0][0]) + 1
                    raise ComputeError(
                        f"layer '{'+'.join([*names, layer.name])}', unit {unit}: {what} overflows "
                        "float64; the weights are too large to collapse",
                        source=net.source,
                    )
            steps.append(Product(layer.W, W, product, layer.name, "·".join(reversed(names))))
            W = product
            names.append(layer.name)
        layers.append(
            Layer(
                "+".join(names),
                frozen(W),
                frozen(b),
                activations.get("linear"),
                has_bias=any(net.layers[k].has_bias for k in group),
            )
        )
        products.append(tuple(steps))
    blocking = tuple(layer.name for layer in net.layers if not layer.activation.is_identity)
    return Collapse(
        net,
        replace(net, layers=tuple(layers)),
        tuple(tuple(g) for g in groups),
        tuple(products),
        blocking,
    )


class Check(NamedTuple):
    """Both paths evaluated on one input: the traces of the original and collapsed networks."""

    layered_trace: Trace
    collapsed_trace: Trace

    @property
    def input(self) -> np.ndarray:
        return self.layered_trace.x[0]

    @property
    def layered(self) -> np.ndarray:
        return self.layered_trace.output[0]

    @property
    def collapsed(self) -> np.ndarray:
        return self.collapsed_trace.output[0]

    @property
    def max_abs_diff(self) -> float:
        return float(np.max(np.abs(self.layered - self.collapsed)))


def check(c: Collapse, x: np.ndarray) -> Check:
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    return Check(forward(c.original, x), forward(c.reduced, x))


# ------------------------------------------------------------------------------ witness
#
# An affine map f satisfies f((x1 + x2) / 2) == (f(x1) + f(x2)) / 2 for every x1, x2.
# Two inputs for which the network breaks that equation prove it is not linear.

WITNESS_RELATIVE_GAP = 1e-6  # far above float rounding, so a witness is never noise


class Witness(NamedTuple):
    x1: np.ndarray
    x2: np.ndarray
    midpoint_output: np.ndarray  # f((x1 + x2) / 2)
    average_output: np.ndarray  # (f(x1) + f(x2)) / 2

    @property
    def gap(self) -> float:
        return float(np.max(np.abs(self.midpoint_output - self.average_output)))


class WitnessSearch(NamedTuple):
    """The result of a search: a witness or None, and what was tried."""

    witness: Witness | None
    pairs_tried: int
    scales: tuple[float, ...]  # distances from the start point that were searched


SEARCH_SCALES = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)
PAIRS_PER_SCALE = 512


def _gaps(net: Network, x1: np.ndarray, x2: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per pair: f(midpoint), average of outputs, and the relative gap between them.

    Raises ComputeError when the points are too far out to compute with.
    """
    with np.errstate(all="ignore"):
        mid = forward(net, x1 / 2 + x2 / 2).output
        avg = forward(net, x1).output / 2 + forward(net, x2).output / 2
        gap = np.abs(mid - avg).max(axis=1)
    if not np.isfinite(gap).all():
        raise ComputeError("the outputs' difference overflows float64", source=net.source)
    size = np.maximum(np.abs(mid).max(axis=1), np.abs(avg).max(axis=1))
    # gap <= 2 * size, so a zero size means a zero gap: the floor only avoids 0 / 0.
    return mid, avg, gap / np.maximum(size, np.finfo(np.float64).tiny)


def is_witness(net: Network, x1: np.ndarray, x2: np.ndarray) -> bool:
    """True when the pair breaks midpoint linearity clearly beyond rounding."""
    _, _, rel = _gaps(net, np.atleast_2d(x1), np.atleast_2d(x2))
    return bool(rel[0] >= WITNESS_RELATIVE_GAP)


def find_witness(net: Network, x0: np.ndarray, seed: int = 0) -> WitnessSearch:
    """Search for two inputs that no affine map could send where ``net`` sends them.

    Pairs ``x0 ± d`` are tried with ``d`` random at growing scales, nearest first, so the
    witness stays close to the input the user cares about. Within a scale the pair with
    the largest relative gap wins; it is then rounded to 3 significant digits when the
    rounded pair is still a witness, so that it reads well.
    """
    rng = np.random.default_rng(seed)
    x0 = np.asarray(x0, dtype=np.float64).reshape(-1)
    base = max(1.0, float(np.abs(x0).max()))
    tried = 0
    for i, scale in enumerate(SEARCH_SCALES):
        try:
            with np.errstate(all="raise"):
                d = rng.normal(size=(PAIRS_PER_SCALE, x0.size)) * scale * base
                # Also shift the centre, so a network that is linear near x0 can show a kink.
                centre = x0 + rng.normal(size=(PAIRS_PER_SCALE, x0.size)) * scale * base
                x1, x2 = centre + d, centre - d
        except FloatingPointError:  # points this far out leave float64: the search ends
            return WitnessSearch(None, tried, SEARCH_SCALES[:i])
        try:
            _, _, rel = _gaps(net, x1, x2)
        except ComputeError:  # points this far out overflow: the search ends here
            return WitnessSearch(None, tried, SEARCH_SCALES[:i])
        tried += PAIRS_PER_SCALE
        best = int(np.argmax(rel))
        if rel[best] >= WITNESS_RELATIVE_GAP:
            a, b = x1[best], x2[best]
            ra, rb = round_significant(a, 3), round_significant(b, 3)
            if is_witness(net, ra, rb):
                a, b = ra, rb
            m, v, _ = _gaps(net, a[None], b[None])
            return WitnessSearch(Witness(a, b, m[0], v[0]), tried, SEARCH_SCALES[: i + 1])
    return WitnessSearch(None, tried, SEARCH_SCALES)


# ------------------------------------------------------------------------------ result


@dataclass(frozen=True, repr=False, eq=False)
class Result:
    """What ``nncalc collapse`` computes: the collapse, the check of both paths on one
    input, and (when the network does not collapse) the search for a witness.

    >>> import nncalc
    >>> r = nncalc.collapse(nncalc.load("linear-stack"))
    >>> r
    <Collapse linear stack: 2 linear layers = 1 linear layer (2×2)>
    >>> r.reduced.layers[0].W.tolist()
    [[-2.5, -3.0], [3.0, 5.0]]
    """

    collapse: Collapse
    check: Check
    search: WitnessSearch | None

    @property
    def reduced(self) -> Network:
        return self.collapse.reduced

    @property
    def collapsible(self) -> bool:
        return self.collapse.collapsible

    @property
    def witness(self) -> Witness | None:
        return self.search.witness if self.search is not None else None

    def __repr__(self) -> str:
        c = self.collapse
        name = c.original.name or c.original.source
        if c.collapsible:
            W = c.reduced.layers[0].W
            n = len(c.original.layers)
            verdict = f"{n} linear layer{'s' if n != 1 else ''} = 1 linear layer ({W.shape[0]}×{W.shape[1]})"
        else:
            verdict = f"not linear ({', '.join(c.blocking)})"
            if self.witness is not None:
                verdict += ", witness found"
        return f"<Collapse {name}: {verdict}>"

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        from nncalc.render.notebook import collapse_bundle

        return collapse_bundle(self)


def analyse(net: Network, x: np.ndarray | None = None, seed: int = 0) -> Result:
    """Collapse ``net``, check both paths on ``x`` (default: the spec's first input, else
    all ones), and look for a witness when the network is not linear."""
    if x is None:
        x = net.input[0] if net.input is not None else np.ones(net.nin)
    x = net._batch(x)
    if len(x) != 1:
        from nncalc.errors import InputError

        raise InputError(f"collapse checks one input at a time; got {len(x)}")
    c = collapse(net)
    chk = check(c, x[0])
    search = None if c.collapsible else find_witness(net, x[0], seed=seed)
    return Result(c, chk, search)
