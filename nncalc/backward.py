"""The backward pass: gradients of a loss over a whole batch, pure NumPy, no I/O.

For each layer from the last back to the first, over a batch stored one input per row,
with ``g = dL_n/da`` handed down from the layer above (for the last layer, the loss's
derivative)::

    delta  = act.vjp(z, a, g)          # dL_n/dz: g times the activation's Jacobian
    grad_W = delta.T @ a_prev / N      # dL/dW of the batch's mean loss, one row per unit
    grad_b = delta.sum(0) / N
    g      = delta @ W                 # dL_n/da_prev, handed to the layer below

``delta`` and the ``g`` handed down are each input's own (without the 1/N of the mean);
``grad_W`` and ``grad_b`` are the gradients of the batch's mean loss, as PyTorch's
``loss.backward()`` leaves them in ``.grad``. Softmax with cross-entropy takes its
familiar shortcut ``delta = a - t`` (exactly ``a Σt - t`` for any target).

>>> from nncalc.activations import get
>>> from nncalc.network import Layer, Network
>>> net = Network((Layer("out", np.array([[0.5, -0.5]]), np.array([0.0]), get("linear")),))
>>> g = backward(net, [1.0, 2.0], [1.0])
>>> g.loss, g.layers[0].delta.tolist(), g.layers[0].grad_W.tolist()
(1.125, [[-1.5]], [[-1.5, -3.0]])
"""

# No `from __future__ import annotations`: NamedTuple would compile every string
# annotation at import, which costs the command line's start-up more than the module.
from dataclasses import replace
from typing import NamedTuple, Sequence

import numpy as np

from nncalc import losses as loss_functions
from nncalc.engine import SEQUENTIAL_MAX, Trace, affine, forward
from nncalc.errors import ComputeError, InputError
from nncalc.network import Layer, Network, frozen

Array = np.ndarray


class LayerGradients(NamedTuple):
    """One layer's part of the backward pass; arrays are (batch, units) unless noted.

    ``upstream`` is ``dL_n/da``, what the layer above handed down (for the last layer,
    the loss's derivative); ``delta`` is ``dL_n/dz``; ``grad_input`` is ``dL_n/da_prev``,
    the gradient of this layer's input (None for the first layer when not asked for).
    ``grad_W`` (units, inputs) and ``grad_b`` (units,) belong to the batch's mean loss.
    """

    upstream: Array | None  # None after backward(per_input=False), as delta
    delta: Array | None
    grad_W: Array
    grad_b: Array
    grad_input: Array | None


class Gradients(NamedTuple):
    """Everything a backward pass computed, layers in the spec's order (first first).

    ``loss`` is the batch's mean loss, ``losses`` each input's own; ``fused`` is True
    when the last layer's delta is softmax with cross-entropy's ``a - t``.
    """

    trace: Trace | None  # None after backward(per_input=False)
    target: Array
    loss_name: str
    losses: Array
    layers: tuple[LayerGradients, ...]
    fused: bool

    @property
    def loss(self) -> float:
        return float(self.losses.mean())


def targets(net: Network, target: object = None, classes: Sequence[int] | None = None, loss: str | None = None) -> Array:
    """The (batch, outputs) target array from real targets or from class numbers (from 1)."""
    d = loss_functions.get(loss or loss_functions.default_for(net.layers[-1].activation))
    if (target is None) == (classes is None):
        raise InputError("give the targets either as values or as class numbers (one of the two)")
    t = loss_functions.one_hot(classes, net) if classes is not None else target
    return loss_functions.check_targets(d, net, t)


def backward(
    net: Network,
    x: object = None,
    target: object = None,
    loss: str | None = None,
    *,
    classes: Sequence[int] | None = None,
    trace: Trace | None = None,
    input_grad: bool = True,
    per_input: bool = True,
    first: int = 1,
) -> Gradients:
    """Gradients of ``loss`` for inputs ``x`` (one, or a batch with one per row).

    ``target`` has one row of output values per input; or ``classes`` gives each input's
    class, numbered from 1. Without them, ``x`` and ``target`` are the network's own
    ``input`` and ``target`` (a spec's ``input:`` and ``target:``).
    ``loss`` is a name of :data:`nncalc.losses.LOSSES`; without
    it, cross-entropy after a softmax output, nll after log_softmax, else half-sse.
    ``trace`` reuses a forward pass of ``x`` already computed; ``input_grad=False`` skips
    ``dL/dx`` (the first layer's ``grad_input``), which training does not need.
    ``per_input=False`` keeps only what training needs, the batch's ``grad_W``,
    ``grad_b`` and each input's loss, and works through a long batch a block of rows at
    a time, in the CPU's cache (``trace``, ``upstream``, ``delta`` and ``grad_input`` are
    then None). ``first`` numbers the batch's first input in messages.
    """
    x = _inputs(net, x)
    out = net.layers[-1]
    name = loss or loss_functions.default_for(out.activation)
    d = loss_functions.get(name)
    loss_functions.check_layer(d, out)
    if target is None and classes is None:
        if net.target is None:
            raise InputError(
                f"no target given, and the network has no 'target'; give {net.nout} "
                f"value{'s' if net.nout != 1 else ''} per input, or a class",
                source=net.source,
            )
        target = net.target
    t = targets(net, target, classes, name)
    if len(t) != len(x):
        raise InputError(
            f"{len(x)} input{'s' if len(x) != 1 else ''} but {len(t)} target{'s' if len(t) != 1 else ''}; "
            "give one target per input"
        )
    fused = loss_functions.fused(d, out.activation)
    if not per_input:
        return _mean_gradients(net, x, t, d, fused, first)
    trace = trace if trace is not None else forward(net, x, first)
    last = trace.layers[-1]
    losses = loss_functions.values(d, out, last.z, last.a, t, first)
    n = len(x)
    steps: list[LayerGradients] = []
    # Overflow is reported below, naming the layer, rather than warned about.
    with np.errstate(all="ignore"):
        g = d.grad(last.a, t)
        for k in range(len(net.layers) - 1, -1, -1):
            layer = net.layers[k]
            delta = _deltas(net, trace, t, g, fused, k)
            a_prev = trace.inputs_to(k)
            # (a_prev^T delta)^T: the same sums as delta^T a_prev, and the order BLAS
            # runs fastest on a long batch.
            grad_W = np.ascontiguousarray((a_prev.T @ delta).T)
            grad_W /= n
            grad_b = delta.sum(axis=0) / n
            g_prev = back(delta, layer.W) if (k > 0 or input_grad) else None
            _check_finite(net, layer, delta, grad_W, first)
            steps.append(LayerGradients(g, delta, grad_W, grad_b, g_prev))
            g = g_prev
    return Gradients(trace, t, name, losses, tuple(reversed(steps)), fused)


def _deltas(net: Network, trace: Trace, t: Array, g: Array, fused: bool, k: int) -> Array:
    """Layer ``k``'s delta from ``g = dL/da``: its activation's vector-Jacobian product,
    or softmax with cross-entropy's ``a Σt - t``."""
    lt = trace.layers[k]
    if fused and k == len(net.layers) - 1:
        return lt.a * t.sum(axis=1, keepdims=True) - t
    return net.layers[k].activation.vjp(lt.z, lt.a, g)


# Rows per block of backward(per_input=False), as values per layer: blocks of about 16 MB
# are long enough for BLAS to run at full speed on the weight gradients (a sum over the
# block's rows), and small enough that the allocator reuses their memory block after
# block (arrays over 32 MB are mapped afresh, page by page, each time).
BLOCK_VALUES = 1 << 21


def _mean_gradients(net: Network, x: Array, t: Array, d: loss_functions.LossDef, fused: bool, first: int) -> Gradients:
    """``backward(per_input=False)``: the batch's gradients, a block of rows at a time.

    Each block's arrays are small enough for the allocator to reuse their memory block
    after block (as :func:`nncalc.engine.predict` does for the forward pass); the blocks'
    gradients are summed.
    """
    n = len(x)
    rows = max(64, BLOCK_VALUES // max(layer.nout for layer in net.layers))
    sums_W = [np.zeros((layer.nin, layer.nout)) for layer in net.layers]  # transposed, as BLAS fills them
    sums_b = [np.zeros(layer.nout) for layer in net.layers]
    losses = np.empty(n)
    out = net.layers[-1]
    for lo in range(0, n, rows):
        xb, tb = x[lo : lo + rows], t[lo : lo + rows]
        trace = forward(net, xb, first + lo)
        last = trace.layers[-1]
        losses[lo : lo + rows] = loss_functions.values(d, out, last.z, last.a, tb, first + lo)
        with np.errstate(all="ignore"):
            g = d.grad(last.a, tb)
            for k in range(len(net.layers) - 1, -1, -1):
                delta = _deltas(net, trace, tb, g, fused, k)
                sums_W[k] += trace.inputs_to(k).T @ delta
                sums_b[k] += delta.sum(axis=0)
                g = back(delta, net.layers[k].W) if k > 0 else None
    layers = []
    for layer, sW, sb in zip(net.layers, sums_W, sums_b):
        grad_W = np.ascontiguousarray(sW.T) / n
        grad_b = sb / n
        _check_finite(net, layer, grad_b[None, :], grad_W, first)
        layers.append(LayerGradients(None, None, grad_W, grad_b, None))
    return Gradients(None, t, d.name, losses, tuple(layers), fused)


def _inputs(net: Network, x: object) -> Array:
    """``x`` as a float64 batch that fits the first layer (the network's own input if None)."""
    return net._batch(x)


def back(delta: Array, W: Array) -> Array:
    """``delta @ W``: each input's gradient handed to the layer below, ``Σ_i W_ij delta_i``.

    Up to SEQUENTIAL_MAX units it is summed term by term in the textbook's order (as the
    forward pass sums), so small networks give the numbers a person gets by hand.

    >>> back(np.array([[0.5, -1.0]]), np.array([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [[-2.5, -3.0]]
    """
    units = W.shape[0]
    if units > SEQUENTIAL_MAX:
        return delta @ W
    # A block of rows at a time, so each running sum stays in the CPU's cache.
    n = len(delta)
    g = np.empty((n, W.shape[1]))
    term = np.empty((min(n, _BACK_ROWS), W.shape[1]))
    for lo in range(0, n, _BACK_ROWS):
        d, out = delta[lo : lo + _BACK_ROWS], g[lo : lo + _BACK_ROWS]
        t = term[: len(d)]
        np.multiply(d[:, :1], W[0], out=out)
        for i in range(1, units):
            np.multiply(d[:, i : i + 1], W[i], out=t)
            out += t
    return g


_BACK_ROWS = 2048


def local_derivative(layer: Layer, z: Array) -> Array | None:
    """``σ'(z)`` of an elementwise activation (what delta multiplies the upstream by);
    None for softmax and log_softmax, whose delta is a product with the whole Jacobian."""
    act = layer.activation
    if not act.definition.elementwise:
        return None
    with np.errstate(all="ignore"):
        return act.grad(np.asarray(z, dtype=np.float64))


def _check_finite(net: Network, layer: Layer, delta: Array, grad_W: Array, first: int) -> None:
    if np.isfinite(delta.sum()) and np.isfinite(grad_W.sum()):
        return
    for values, what in ((delta, "∂L/∂z"), (grad_W, "∂L/∂W")):
        bad = ~np.isfinite(values)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            if what == "∂L/∂z":
                which = f" for input {first + row}" if len(values) > 1 or first > 1 else ""
                where = f"unit {col + 1}: {what} overflows float64{which}"
            else:
                where = f"{what} overflows float64 at row {row + 1}, column {col + 1}"
            raise ComputeError(
                f"layer '{layer.name}', {where}; the weights, inputs or targets are too large "
                "to compute gradients with",
                source=net.source,
            )


# ------------------------------------------------------------------------ training


def step(net: Network, grads: Gradients, lr: float) -> Network:
    """One step of gradient descent: ``W - lr * grad_W`` and ``b - lr * grad_b``.

    Every parameter moves by the gradient of the original weights (all at once, as
    PyTorch's ``optimizer.step()``). A layer without a bias keeps none. The new weights
    are inline (no longer read from a file).
    """
    layers = []
    for layer, lg in zip(net.layers, grads.layers):
        with np.errstate(over="ignore", invalid="ignore"):
            W = layer.W - lr * lg.grad_W
            b = layer.b - lr * lg.grad_b if layer.has_bias else layer.b
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ComputeError(
                f"layer '{layer.name}': a weight overflows float64 after the step; the learning "
                "rate or the gradients are too large",
                source=net.source,
            )
        # The new weights are inline, and no longer the numbers as written (exact).
        layers.append(replace(layer, W=frozen(W), b=frozen(b), weights_from=None, bias_from=None, exact=None))
    return replace(net, layers=tuple(layers))


def loss_value(net: Network, x: object, target: object, loss: str | None = None) -> float:
    """The batch's mean loss of ``net`` on inputs ``x`` against ``target`` (one row per
    input)."""
    name, t = _loss_and_targets(net, target, loss)
    trace = forward(net, _inputs(net, x))
    last = trace.layers[-1]
    return float(loss_functions.values(loss_functions.get(name), net.layers[-1], last.z, last.a, t).mean())


def _loss_and_targets(net: Network, target: object, loss: str | None) -> tuple[str, Array]:
    name = loss or loss_functions.default_for(net.layers[-1].activation)
    loss_functions.check_layer(loss_functions.get(name), net.layers[-1])
    return name, targets(net, target, None, name)


class Training(NamedTuple):
    """``steps`` steps of gradient descent: the network after them, and the loss before
    each step and after the last (``len(losses) == steps + 1``)."""

    net: Network
    losses: tuple[float, ...]


def train(
    net: Network, x: object, target: object, loss: str | None, lr: float, steps: int = 1, first: Gradients | None = None
) -> Training:
    """Repeat :func:`step` ``steps`` times on the same batch (``target`` one row per
    input, as for :func:`backward`). ``first`` reuses the gradients of the original
    network, if already computed."""
    x = _inputs(net, x)
    loss, t = _loss_and_targets(net, target, loss)
    history = []
    grads = first
    for k in range(steps + 1):
        try:
            if k == steps:
                history.append(loss_value(net, x, t, loss))
                break
            if grads is None:
                grads = backward(net, x, t, loss, per_input=False)
            history.append(grads.loss)
            net = step(net, grads, lr)
        except ComputeError as e:
            if k == 0:
                raise
            raise ComputeError(
                f"after {k:,} step{'s' if k != 1 else ''} of learning rate {lr:g}: {e.message}; "
                "the learning rate may be too large",
                source=net.source,
            ) from None
        grads = None
    return Training(net, tuple(history))


# ------------------------------------------------------------------ gradient check

# The 4th-order central difference (f(-2h) - 8 f(-h) + 8 f(h) - f(2h)) / 12h, taken with
# h = s * max(1, |θ|) for each s of STEPS. Its truncation error is about h⁴ f⁽⁵⁾/30 and its
# rounding error about 1.5 ε |L| / h. For each parameter the estimate kept is the one of
# the largest step that agrees with the next smaller step to within that step's rounding
# (else the pair that agrees best), so a smooth loss gets a large, precise step and one
# that curves sharply (ln a near a = 0) a small one.
STEPS = (1e-3, 1e-4, 1e-5, 1e-6)
STENCIL = np.array([-2.0, -1.0, 1.0, 2.0])
WEIGHTS = np.array([1.0, -8.0, 8.0, -1.0]) / 12.0
TOLERANCE = 1e-6  # a relative error above this fails the check
CHECK_BUDGET = 1_000_000  # parameters × inputs the check runs (16 partial forward passes each)
_CHUNK_VALUES = 1 << 20  # values per layer in one block of perturbed passes


class Kink(NamedTuple):
    """A non-differentiable point the check met: a unit of a layer for one input (both
    numbered from 1), its z, and what is not differentiable there."""

    layer: str
    unit: int
    input: int
    z: float
    reason: str


class LayerCheck(NamedTuple):
    """One layer's numeric gradients, their relative errors against the backward pass,
    and which parameters' differences crossed a non-differentiable point (``b`` parts are
    None for a layer without a bias)."""

    numeric_W: Array
    numeric_b: Array | None
    error_W: Array
    error_b: Array | None
    crossed_W: Array
    crossed_b: Array | None


class GradCheck(NamedTuple):
    """The result of :func:`gradient_check`.

    ``max_error`` is the largest relative error over the parameters whose differences
    stayed clear of every kink, at ``worst`` = (layer index, "W" or "b", row, column),
    0-based, column -1 for a bias. ``excluded`` counts the parameters left out.
    """

    layers: tuple[LayerCheck, ...]
    max_error: float
    worst: tuple[int, str, int, int] | None
    kinks: tuple[Kink, ...]
    excluded: int
    tolerance: float = TOLERANCE

    @property
    def passed(self) -> bool:
        return self.max_error <= self.tolerance


def gradient_check(net: Network, x: object, target: object, loss: str | None = None, grads: Gradients | None = None) -> GradCheck:
    """Every parameter's derivative by central differences, against the backward pass.

    The relative error of a parameter is ``|numeric - analytic| / max(|numeric|,
    |analytic|, floor)``, with ``floor`` a thousandth of the largest gradient (so an
    entry of 1e-17 is not judged by its rounding noise). Parameters whose differences
    reach a non-differentiable point (ReLU at 0, hard_tanh at its bounds, bce's clamps)
    are left out of ``max_error``, and the points are named in ``kinks``.
    """
    x = _inputs(net, x)
    loss, t = _loss_and_targets(net, target, loss)
    d = loss_functions.get(loss)
    n = len(x)
    if net.n_params * n > CHECK_BUDGET:
        raise InputError(
            f"a gradient check of {net.n_params:,} parameters on {n:,} input{'s' if n != 1 else ''} "
            f"is too large (the limit is {CHECK_BUDGET:,} parameters × inputs); check a smaller "
            "network or fewer inputs"
        )
    if grads is None:
        grads = backward(net, x, t, loss, input_grad=False)
    trace = grads.trace
    met: dict[tuple[int, int, int], str] = {}  # (layer, unit, input) -> why
    raw: list[tuple[Array, Array, Array]] = []  # per layer: numeric, analytic, crossed
    for k, layer in enumerate(net.layers):
        lg = grads.layers[k]
        # Each parameter moves one unit's z: W_ij by s a_prev_j, b_i by s.
        rows = np.repeat(np.arange(layer.nout), layer.nin)
        cols = np.tile(np.arange(layer.nin), layer.nout)
        theta = layer.W.ravel()
        analytic = lg.grad_W.ravel()
        if layer.has_bias:
            rows = np.concatenate([rows, np.arange(layer.nout)])
            cols = np.concatenate([cols, np.full(layer.nout, -1)])
            theta = np.concatenate([theta, layer.b])
            analytic = np.concatenate([analytic, lg.grad_b])
        numeric = np.empty(len(rows))
        crossed = np.zeros(len(rows), dtype=bool)
        width = max(l.nout for l in net.layers[k:])
        chunk = max(1, _CHUNK_VALUES // (n * width * len(STENCIL)))
        a_prev = trace.inputs_to(k)
        for lo in range(0, len(rows), chunk):
            r, c = rows[lo : lo + chunk], cols[lo : lo + chunk]
            dz = np.where(c[:, None] >= 0, a_prev[:, np.maximum(c, 0)].T, 1.0)  # (params, inputs)
            scale = np.maximum(1.0, np.abs(theta[lo : lo + chunk]))
            estimates, crosses, hits = [], [], []
            for s in STEPS:
                h = s * scale
                values, cross, hit = _perturbed(net, k, trace, r, dz, h, t, d)
                estimates.append((values @ WEIGHTS) / h)
                crosses.append(cross)
                hits.append(hit)
            est = np.array(estimates)  # (steps, params)
            gaps = np.abs(np.diff(est, axis=0))
            rounding = 100 * np.finfo(np.float64).eps * abs(grads.loss) / (np.array(STEPS[1:])[:, None] * scale)
            agree = gaps <= rounding
            best = np.where(agree.any(axis=0), np.argmax(agree, axis=0), np.argmin(gaps, axis=0))
            p = np.arange(len(r))
            numeric[lo : lo + chunk] = est[best, p]
            crossed[lo : lo + chunk] = np.array(crosses)[best, p]
            for i, hit in enumerate(hits):
                for q, j, unit, row, why in hit:
                    if best[q] == i:
                        met.setdefault((j, unit, row), why)
        raw.append((numeric, analytic, crossed))

    scale = max(max(float(np.abs(v).max()) for v in (num, ana)) for num, ana, _ in raw)
    noise = np.finfo(np.float64).eps * max(1.0, grads.loss) / STEPS[-1]  # the rounding, at worst
    floor = max(1e-3 * scale, 1e3 * noise)
    checks = []
    worst, max_error, excluded = None, 0.0, 0
    for k, (layer, (numeric, analytic, crossed)) in enumerate(zip(net.layers, raw)):
        error = np.abs(numeric - analytic) / np.maximum(np.maximum(np.abs(numeric), np.abs(analytic)), floor)
        counted = np.where(crossed, 0.0, error)
        excluded += int(crossed.sum())
        if counted.size and (worst is None or counted.max() > max_error):
            p = int(np.argmax(counted))
            max_error = float(counted[p])
            nW = layer.W.size
            worst = (k, "W", p // layer.nin, p % layer.nin) if p < nW else (k, "b", p - nW, -1)
        nW = layer.W.size
        shape = layer.W.shape
        bias = layer.has_bias
        checks.append(
            LayerCheck(
                numeric[:nW].reshape(shape),
                numeric[nW:] if bias else None,
                error[:nW].reshape(shape),
                error[nW:] if bias else None,
                crossed[:nW].reshape(shape),
                crossed[nW:] if bias else None,
            )
        )
    kinks = tuple(
        Kink(net.layers[j].name, unit + 1, row + 1, float(trace.layers[j].z[row, unit]), why)
        for (j, unit, row), why in sorted(met.items())
    )
    return GradCheck(tuple(checks), max_error, worst, kinks, excluded)


def _why(layer: Layer, kink: float | None) -> str:
    act = layer.activation
    if kink is None:
        return "bce clamps ln a at -100 and a(1 - a) at 1e-12 there, as PyTorch does"
    if act.name == "softplus":
        return f"softplus switches to z where beta z > threshold, at z = {kink:g}"
    return f"{act.name} has no derivative at z = {kink:g}"


def _sides(layer: Layer, z: Array, a: Array, d: loss_functions.LossDef, last: bool) -> list[tuple[Array, float | None]]:
    """For each kink of the layer: which side of it each z is on (-1, 1; 0 on it). For
    bce at the output: 0 where a clamp acts, else 1."""
    out = [(np.sign(z - kink), kink) for kink in layer.activation.kinks]
    if last and d.name == "bce":
        with np.errstate(divide="ignore", invalid="ignore"):
            clamped = (
                ((1.0 - a) * a < loss_functions.BCE_EPSILON)
                | (np.log(a) < loss_functions.LOG_CLAMP)
                | (np.log1p(-a) < loss_functions.LOG_CLAMP)
            )
        out.append((np.where(clamped, 0.0, 1.0), None))
    return out


def _perturbed(
    net: Network,
    k: int,
    trace: Trace,
    rows: Array,
    dz: Array,
    h: Array,
    t: Array,
    d: loss_functions.LossDef,
) -> tuple[Array, Array, list[tuple[int, int, int, int, str]]]:
    """The mean loss at each stencil point of each parameter of layer ``k``, shape
    (params, 4); whether its differences reached a kink of a layer from ``k`` on; and
    the points reached, as (parameter, layer, unit, input, why).

    A parameter reaches a kink when a z changes side of it, or sits on it and moves.
    """
    p, n = dz.shape
    last = len(net.layers) - 1
    tt = np.tile(t, (p, 1))
    # Unperturbed values and sides of every layer from k on, repeated for each parameter.
    base = []
    for j in range(k, last + 1):
        lt = trace.layers[j]
        z0, a0 = np.tile(lt.z, (p, 1)), np.tile(lt.a, (p, 1))
        base.append((z0, a0, _sides(net.layers[j], z0, a0, d, j == last)))
    values = np.empty((p, len(STENCIL)))
    crossed = np.zeros(p, dtype=bool)
    met: list[tuple[int, int, int, int, str]] = []
    for s_i, s in enumerate(STENCIL):
        z = base[0][0].reshape(p, n, -1).copy()
        z[np.arange(p), :, rows] += (s * h)[:, None] * dz
        z = z.reshape(p * n, -1)
        with np.errstate(all="ignore"):
            for j in range(k, last + 1):
                layer = net.layers[j]
                if j > k:
                    z = affine(a, layer.W, layer.b)
                a = layer.activation(z)
                z0, a0, sides0 = base[j - k]
                for (side0, kink), (side, _) in zip(sides0, _sides(layer, z, a, d, j == last)):
                    moved = (z != z0) if kink is not None else (a != a0)
                    hit = (side != side0) | ((side == 0) & moved)
                    if hit.any():
                        crossed |= hit.reshape(p, -1).any(axis=1)
                        why = _why(layer, kink)
                        met += [(int(r // n), j, int(u), int(r % n), why) for r, u in np.argwhere(hit)]
            per_input = d.value(net.layers[-1].activation, z, a, tt)
        values[:, s_i] = per_input.reshape(p, n).mean(axis=1)
    return values, crossed, met
