"""Exercise networks with numbers a person can compute by hand. Pure, no I/O.

Weights and biases have one decimal place, inputs are small integers, and each unit's
weights are drawn again until its values are easy: every ``z`` and ``a`` has at most
three decimal places, and so does every product ``(w)(a)`` of the next layer (its ``a``
then has at most two). ReLU units are made to fire or not as the lesson needs: some of
each (unless ``all_fire``). The same seed always gives the same exercises (only
``random.Random.random``, whose sequence Python keeps stable, is used).

Layers whose activation is not piecewise linear (sigmoid, tanh, softmax, ...) give
irrational values; their exercises are answered to :data:`ROUNDED_DIGITS` significant
digits, and only the values before them are kept to three decimals.

A backward exercise (``generate(..., loss=...)``) adds a target, drawn until the loss,
every σ'(z), δ, gradient and ∂L/∂a handed down has at most :data:`BACK_PLACES` decimal
places (with linear, relu, leaky_relu and hard_tanh layers and the losses half-sse and
mse; other losses and activations are answered to :data:`ROUNDED_DIGITS` digits), no
output already equals its target, and no value that is exactly 0 is float64's rounding
noise. Its output layer's values keep two places, like a hidden layer's, so that the
gradients of its weights keep four.

>>> ex = generate([2, 3, 1], ["relu", "linear"], seed=7)
>>> ex[0].net.sizes, [layer.activation.name for layer in ex[0].net.layers]
((2, 3, 1), ['relu', 'linear'])
>>> generate([2, 3, 1], ["relu", "linear"], seed=7)[0].x == ex[0].x
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Iterator, Sequence

import numpy as np

from nncalc import activations as registry
from nncalc import exact
from nncalc import losses as loss_functions
from nncalc.errors import InputError
from nncalc.network import Network, build_network

MAX_UNITS = 8  # a sum of more terms than this is shortened in the solution: not for hand work
MAX_LAYERS = 6
MAX_COUNT = 100
MAX_TRIES = 2_000  # draws per unit before the exercise is drawn again from its input
MAX_RESTARTS = 200  # exercises drawn again before giving up (earlier units can leave none easy)
MAX_BACKWARD_RESTARTS = 100  # (a backward exercise's easy draws need at most about 60)
PLACES = 3  # decimal places of every value
ROUNDED_DIGITS = 4  # significant digits of answers when an activation is not piecewise linear
LEAKY_ALPHA = 0.1  # leaky ReLU's slope in exercises: one decimal place, like the weights
BACK_PLACES = 4  # decimal places of the loss, every ∂L/∂a, δ and gradient of a backward exercise
EXACT_LOSSES = ("half-sse", "mse")  # the losses whose values stay rational
# The activations whose slopes are easy numbers (0, 1, alpha); hard_sigmoid's 1/6 and
# hard_swish's z/3 + 1/2 are not, so their backward exercises are answered rounded.
EXACT_SLOPES = ("linear", "relu", "leaky_relu", "hard_tanh")
TARGET_TRIES = 60  # targets drawn for one forward pass before the exercise is drawn again

WEIGHTS = [Fraction(k, 10) for k in range(-9, 10) if k]
BIASES = [Fraction(k, 10) for k in range(-5, 6)]
INPUTS = [Fraction(k) for k in (-3, -2, -1, 1, 2, 3)]
FIRING = ("relu", "leaky_relu")  # fire (z > 0) or not: the lesson's point
# Targets of a backward exercise (one decimal place): in [0, 1] where the output is a
# probability or a ReLU's, in [-1, 0] for log-probabilities, else in [-1, 1]; 0 or 1 for
# bce; a class for cross-entropy, nll and any loss after softmax.
TARGETS = [Fraction(k, 10) for k in range(-10, 11)]
UNIT_TARGETS = [Fraction(k, 10) for k in range(0, 11)]
LOG_TARGETS = [Fraction(k, 10) for k in range(-10, 1)]


@dataclass(frozen=True)
class Exercise:
    """One exercise: the network (its ``input`` is the exercise's), the input as Fractions,
    and whether its answers are exact (else rounded to :data:`ROUNDED_DIGITS` digits).
    A backward exercise also has its loss, and its target as Fractions (the network's
    ``target`` too)."""

    number: int
    net: Network
    x: tuple[Fraction, ...]
    exact: bool
    loss: str | None = None
    target: tuple[Fraction, ...] | None = None

    @property
    def precision(self) -> int:
        """Significant digits the solution is written to."""
        return 10 if self.exact else ROUNDED_DIGITS


def parse_sizes(text: str) -> list[int]:
    """``2,3,1``: inputs, then each layer's units.

    >>> parse_sizes("2, 3,1")
    [2, 3, 1]
    """
    parts = [p.strip() for p in text.split(",")]
    sizes = []
    for p in parts:
        if not p.isdigit() or not p.isascii():
            raise InputError(f"sizes '{text[:40]}': '{p[:20]}' is not a whole number; expected sizes like 2,3,1")
        sizes.append(int(p))
    if len(sizes) < 2:
        raise InputError(f"sizes '{text[:40]}': expected the inputs and at least one layer, like 2,3,1")
    if len(sizes) - 1 > MAX_LAYERS:
        raise InputError(f"sizes '{text[:40]}': {len(sizes) - 1} layers; an exercise has at most {MAX_LAYERS}")
    for n in sizes:
        if not 1 <= n <= MAX_UNITS:
            raise InputError(
                f"sizes '{text[:40]}': {n} is not between 1 and {MAX_UNITS} (inputs and units worked by hand)"
            )
    return sizes


def parse_activations(text: str | None, layers: int) -> list[str]:
    """One activation per layer, or one for every layer; by default ReLU, linear last.

    >>> parse_activations(None, 3), parse_activations("tanh", 2), parse_activations("swish,linear", 2)
    (['relu', 'relu', 'linear'], ['tanh', 'tanh'], ['silu', 'linear'])
    """
    if text is None:
        return ["relu"] * (layers - 1) + ["linear"]
    names = []
    for raw in text.split(","):
        d = registry.REGISTRY.get(raw.strip().lower())
        if d is None:
            raise InputError(f"activations: unknown activation '{raw.strip()[:30]}'; known: {registry.known_names()}")
        names.append(d.name)
    if len(names) == 1:
        return names * layers
    if len(names) != layers:
        raise InputError(
            f"activations: {len(names)} names for {layers} layer{'s' if layers != 1 else ''}; "
            "give one per layer, or one for all"
        )
    return names


def _places_ok(q: Fraction, places: int) -> bool:
    p = exact.terminates(q)
    return p is not None and p <= places


class _Random:
    """Choices drawn from ``random.Random.random`` only, whose sequence Python keeps."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def choice(self, items: Sequence):  # type: ignore[no-untyped-def,type-arg]
        return items[min(int(self.r.random() * len(items)), len(items) - 1)]

    def sample(self, n: int, k: int) -> set[int]:
        """``k`` distinct numbers of ``range(n)``."""
        pool = list(range(n))
        out = set()
        for _ in range(k):
            out.add(pool.pop(min(int(self.r.random() * len(pool)), len(pool) - 1)))
        return out


def _signs(sizes: list[int], names: list[str], rng: _Random, all_fire: bool, backward: bool = False) -> list[list[bool | None]]:
    """For each ReLU-family unit, whether it must fire (z > 0); None where it does not matter.

    Some fire and some do not: in each such layer of two or more units, one to half of
    them do not fire, and single units fire; if that leaves no unit silent, the last
    single one is (the seed's Example 1), but never the output's in a backward exercise
    (no gradient would pass it).
    """
    plan: list[list[bool | None]] = []
    for n, name in zip(sizes[1:], names):
        if name not in FIRING:
            plan.append([None] * n)
        elif all_fire or n == 1:
            plan.append([True] * n)
        else:
            silent = rng.sample(n, 1 + int(rng.r.random() * (n // 2)))
            plan.append([j not in silent for j in range(n)])
    if not all_fire and not any(want is False for layer in plan for want in layer):
        singles = [
            k for k, (n, name) in enumerate(zip(sizes[1:], names)) if name in FIRING and not (backward and k == len(names) - 1)
        ]
        if singles:
            plan[singles[-1]] = [False]
    return plan


def _layer_spec(name: str, act: str, W: list[list[Fraction]], b: list[Fraction]) -> dict:  # type: ignore[type-arg]
    activation: object = {"name": "leaky_relu", "alpha": LEAKY_ALPHA} if act == "leaky_relu" else act
    Wq = np.array(W, dtype=object)
    bq = np.array(b, dtype=object)
    return {
        "name": name,
        "activation": activation,
        "weights": [[float(q) for q in row] for row in W],
        "bias": [float(q) for q in b],
        "exact": (Wq, bq),
    }


class _Stuck(Exception):
    """No weights of a unit give easy numbers after the units before it: draw again."""


def _one(
    number: int, sizes: list[int], names: list[str], rng: _Random, all_fire: bool, loss: str | None, lr: float | None = None
) -> Exercise:
    restarts = MAX_RESTARTS if loss is None else MAX_BACKWARD_RESTARTS
    for _ in range(restarts):
        try:
            e = _draw(number, sizes, names, rng, all_fire, backward=loss is not None)
            if e.exact and _forward_noisy(e):
                raise _Stuck
            return e if loss is None else _with_target(e, loss, rng, lr)
        except _Stuck:
            continue
    kind = "backward exercise" if loss is not None else "exercise"
    raise InputError(
        f"no {kind} of sizes {','.join(map(str, sizes))} with easy numbers found in {restarts} draws; "
        "try another seed, or fewer layers or units"
    )


def _draw(number: int, sizes: list[int], names: list[str], rng: _Random, all_fire: bool, backward: bool = False) -> Exercise:
    plan = _signs(sizes, names, rng, all_fire, backward)
    x = [rng.choice(INPUTS) for _ in range(sizes[0])]
    layers = len(sizes) - 1
    a: list[Fraction] | None = list(x)  # None once a layer's values are not rational
    af = np.array([float(q) for q in x])  # the same values in floats, always
    specs = []
    for k, (nin, nout, name_) in enumerate(zip(sizes, sizes[1:], names)):
        name = "output" if k == layers - 1 else ("hidden" if layers == 2 else f"hidden{k + 1}")
        act = _activation(name_)
        f = exact.activation(act)
        feeds = k < layers - 1 or backward  # (a backward pass multiplies the output too)
        W, b = [], []
        for j in range(nout):
            want = plan[k][j]
            for _ in range(MAX_TRIES):
                w = [rng.choice(WEIGHTS) for _ in range(nin)]
                bias = rng.choice(BIASES)
                if a is None:
                    # after an irrational layer: its answers are rounded; only the sign
                    # is as planned, clearly (not a rounding away from 0)
                    zf = float(np.dot([float(v) for v in w], af)) + float(bias)
                    if abs(zf) >= 10 or want is not None and (zf > 0) != want or abs(zf) < 0.05:
                        continue
                    break
                z = sum((wi * ai for wi, ai in zip(w, a)), Fraction(0)) + bias
                if abs(z) >= 10 or not _places_ok(z, PLACES):
                    continue
                if want is not None and (z > 0) != want or (name_ in FIRING and z == 0):
                    continue
                if f is not None:
                    # the next layer's products (w)(a) keep three places: a keeps two
                    if not _places_ok(f(z), PLACES - 1 if feeds else PLACES):
                        continue
                break
            else:
                raise _Stuck
            W.append(w)
            b.append(bias)
        Wf = np.array([[float(q) for q in row] for row in W])
        zf_all = Wf @ af + np.array([float(q) for q in b])
        af = act(zf_all[None])[0]
        if a is not None and f is not None:
            a = [f(sum((wi * ai for wi, ai in zip(w, a)), Fraction(0)) + bi) for w, bi in zip(W, b)]
        else:
            a = None
        specs.append(_layer_spec(name, name_, W, b))
    all_exact = all(exact.activation(registry.get(n)) is not None for n in names)
    net = build_network(specs, name=f"exercise {number}", input=[float(q) for q in x], source=f"exercise {number}")
    net = replace(net, exact_input=np.array([x], dtype=object))
    return Exercise(number, net, tuple(x), all_exact)


def generate(
    sizes: Sequence[int],
    names: Sequence[str],
    seed: int = 0,
    count: int = 1,
    all_fire: bool = False,
    loss: str | None = None,
    lr: float | None = None,
) -> list[Exercise]:
    """``count`` exercises of the given shape, numbered from 1; the same seed, the same
    exercises (and the first of ``count`` is the one ``count=1`` gives). With ``loss``
    (a name, or ``"default"`` for the one ``nncalc backward`` picks for the output
    activation), backward exercises, each with a target; with ``lr``, whose step of
    gradient descent the solution works out too.

    >>> (e,) = generate([2, 2, 1], ["relu", "linear"], seed=3, loss="default")
    >>> e.loss, len(e.target), e.net.target.shape
    ('half-sse', 1, (1, 1))
    """
    if not 1 <= count <= MAX_COUNT:
        raise InputError(f"count {count}: expected 1 to {MAX_COUNT} exercises on a sheet")
    if len(names) != len(sizes) - 1:
        raise InputError(f"{len(names)} activations for {len(sizes) - 1} layers; give one per layer")
    if loss is not None:
        loss = backward_loss(sizes, names, loss)
    rng = _Random(seed)
    return [_one(i, list(sizes), list(names), rng, all_fire, loss, lr) for i in range(1, count + 1)]


def backward_loss(sizes: Sequence[int], names: Sequence[str], loss: str) -> str:
    """The loss of a backward exercise (``"default"``: the one ``nncalc backward`` picks
    after the output activation); an InputError if the output layer cannot take it.

    >>> backward_loss([2, 3], ["softmax"], "default"), backward_loss([2, 1], ["sigmoid"], "bce")
    ('cross-entropy', 'bce')
    """
    from nncalc.network import Layer

    act = _activation(names[-1])
    if act.name in ("softmax", "log_softmax") and sizes[-1] == 1:
        value = "1" if act.name == "softmax" else "0"
        raise InputError(
            f"the output layer is a {act.name} of one unit: always {value}, so no gradient passes it; "
            "give it 2 or more units"
        )
    name = loss_functions.default_for(act) if loss == "default" else loss
    d = loss_functions.get(name)
    output = Layer("output", np.zeros((sizes[-1], sizes[-2])), np.zeros(sizes[-1]), act)
    loss_functions.check_layer(d, output)
    return d.name


def _activation(name: str) -> registry.Activation:
    return registry.get(name, **({"alpha": LEAKY_ALPHA} if name == "leaky_relu" else {}))


def takes_a_class(net: Network, loss: str) -> bool:
    """Whether a backward exercise's target is a class (one-hot), as the textbook gives
    it: for cross-entropy and nll, and after softmax whatever the loss."""
    return loss in ("cross-entropy", "nll") or net.layers[-1].activation.name == "softmax"


def _targets(e: Exercise, loss: str, rng: _Random) -> list[Fraction]:
    """A target for the exercise's output, of the kind its loss takes."""
    out = e.net.layers[-1]
    if takes_a_class(e.net, loss):
        k = int(rng.r.random() * out.nout)
        return [Fraction(int(j == k)) for j in range(out.nout)]
    if loss == "bce":
        return [rng.choice([Fraction(0), Fraction(1)]) for _ in range(out.nout)]
    if out.activation.name == "log_softmax":  # log-probabilities: never above 0
        return [rng.choice(LOG_TARGETS) for _ in range(out.nout)]
    unit = loss_functions.within_unit_interval(out.activation) or out.activation.name == "relu"
    return [rng.choice(UNIT_TARGETS if unit else TARGETS) for _ in range(out.nout)]


def _with_target(e: Exercise, loss: str, rng: _Random, lr: float | None = None) -> Exercise:
    """``e`` with a target drawn for ``loss``: where every value stays rational, until
    the backward pass has easy numbers (else _Stuck: the exercise is drawn again); and
    with ``lr``, until no weight after the step is float64's rounding noise."""
    slopes_easy = all(layer.activation.is_identity or layer.activation.name in EXACT_SLOPES for layer in e.net.layers)
    exact_pass = e.exact and loss in EXACT_LOSSES and slopes_easy
    output = e.net.forward().output[0]
    trace = exact.forward(e.net, [e.x]) if exact_pass else None
    for _ in range(TARGET_TRIES):
        t = _targets(e, loss, rng)
        if trace is not None:
            if any(a == q for a, q in zip(trace.output[0], t)):
                continue  # an output already right teaches nothing about its gradient
            values = backward_values(e.net, loss, t, trace)  # (stops at the first that is not easy)
            if not all(q is not None and _places_ok(q, BACK_PLACES) for q in values):
                continue
        elif loss_functions.get(loss).targets == "any" and (abs(output - [float(q) for q in t]) < 0.05).any():
            continue
        net = replace(e.net, target=np.array([[float(q) for q in t]]))
        with np.errstate(all="ignore"):
            grads = net.backward(loss=loss)
        if not grads.layers[-1].grad_b.any():
            continue  # no output unit passes a gradient back (a silent ReLU): nothing to work out
        if trace is not None and _noisy(backward_values(e.net, loss, t, trace), _float_values(net, grads)):
            continue  # a value that is exactly 0 would be written as float64's 1e-17
        if lr is not None and _step_noisy(net, grads, lr):
            continue
        return replace(e, net=net, exact=exact_pass, loss=loss, target=tuple(t))
    raise _Stuck


def _float_values(net: Network, grads) -> Iterator[float]:  # type: ignore[no-untyped-def]
    """The engine's values in the order of :func:`backward_values`."""
    yield grads.loss
    yield from grads.layers[-1].upstream[0]
    for k in range(len(grads.layers) - 1, -1, -1):
        lg = grads.layers[k]
        yield from net.layers[k].activation.grad(grads.trace.layers[k].z[0])
        yield from lg.delta[0]
        yield from lg.grad_W.ravel()
        if k:
            yield from lg.grad_input[0]


def _step_noisy(net: Network, grads, lr: float) -> bool:  # type: ignore[no-untyped-def]
    """Whether a weight or bias after one step, ``w - lr g``, is a difference of two
    equal numbers left as float64's rounding noise (5.6e-17 for 0)."""
    for layer, lg in zip(net.layers, grads.layers):
        for w, g in ((layer.W, lg.grad_W), (layer.b, lg.grad_b)):
            moved = lr * g
            new = w - moved
            if ((new != 0) & (np.abs(new) <= 1e-12 * (np.abs(w) + np.abs(moved)))).any():
                return True
    return False


def _noisy(exact_values: Iterator[Fraction | None], float_values: Iterator[float]) -> bool:
    """Whether a value that is exactly 0 is not 0 in float64 (its rounding noise, like
    -2.8e-17, would be written in the solution)."""
    return any(q == 0 and f != 0 for q, f in zip(exact_values, float_values))


def _forward_noisy(e: Exercise) -> bool:
    """:func:`_noisy` for every z and a of the forward pass."""
    every = lambda trace: (v for lt in trace.layers for v in (*lt.z[0], *lt.a[0]))  # noqa: E731
    return _noisy(every(exact.forward(e.net, [e.x])), every(e.net.forward()))


def _slope(layer, z: Fraction) -> Fraction | None:  # type: ignore[no-untyped-def]
    """σ'(z) in fractions of the activations of :data:`EXACT_SLOPES`; None at a kink
    (where the slope is a convention, not a value to work out)."""
    act = layer.activation
    p = exact.params(act, layer.exact_params)
    if act.is_identity:
        return Fraction(1)
    if act.name in ("relu", "leaky_relu"):
        return None if z == 0 else Fraction(1) if z > 0 else p.get("alpha", Fraction(0))
    if act.name == "hard_tanh":
        lo, hi = p["min_val"], p["max_val"]
        return None if z in (lo, hi) else Fraction(int(lo < z < hi))
    return None  # (the other activations' backward exercises are rounded: EXACT_SLOPES)


def backward_values(
    net: Network, loss: str, t: Sequence[Fraction], trace: exact.Trace | None = None
) -> Iterator[Fraction | None]:
    """Every value of the exact backward pass of ``net`` on its own input and target
    ``t`` with a rational ``loss`` (half-sse or mse), in turn: the loss, the output's
    ∂L/∂a, then for each layer, last first, its σ'(z), δ, the gradients of W (those of b
    are the δ) and what it hands to the layer below (∂L/∂a); None (and no more) where a
    z lies on a kink. ``trace``: the exact forward pass of that input, where it is known.

    >>> from nncalc.spec import load_spec
    >>> values = backward_values(load_spec("two-layer", exact=True), "half-sse", [Fraction(1)])
    >>> [exact.decimal(next(values)) for _ in range(4)]  # E, the output's ∂L/∂a, σ'(z) and δ
    ['0.2592', '-0.72', '1', '-0.72']
    """
    if trace is None:
        trace = exact.forward(net, exact.exact_inputs(net)[:1])
    a = list(trace.output[0])
    K = len(a)
    if loss == "half-sse":
        yield sum(((q - ak) ** 2 for ak, q in zip(a, t)), Fraction(0)) / 2
        g = [ak - q for ak, q in zip(a, t)]
    else:
        yield sum(((ak - q) ** 2 for ak, q in zip(a, t)), Fraction(0)) / K
        g = [2 * (ak - q) / K for ak, q in zip(a, t)]
    yield from g
    for k in range(len(net.layers) - 1, -1, -1):
        layer = net.layers[k]
        slopes = [_slope(layer, z) for z in trace.layers[k].z[0]]
        if any(s is None for s in slopes):
            yield None
            return
        yield from slopes  # type: ignore[misc]
        delta = [gi * s for gi, s in zip(g, slopes)]  # type: ignore[operator]
        yield from delta
        below = list(trace.inputs_to(k)[0])
        yield from (d * v for d in delta for v in below)
        if k:  # what it hands below (∂L/∂x, which no exercise asks for, is not kept easy)
            W, _ = exact.layer_params(layer)
            g = [sum((W[i][j] * delta[i] for i in range(len(delta))), Fraction(0)) for j in range(len(below))]
            yield from g
