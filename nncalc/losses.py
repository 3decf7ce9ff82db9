"""Loss functions exactly as PyTorch defines them, with their derivatives.

Each loss is computed per input (its own loss ``L_n``, a number) and averaged over a
batch, as PyTorch's default ``reduction='mean'`` does, so for ``N`` inputs the batch's
loss is ``L = (1/N) Σ_n L_n``. The derivative given here is ``dL_n/da`` for each input,
without the ``1/N`` of the mean: the backward pass divides once, where it sums over the
batch.

======================  =========================================  ============================
name                    one input's loss                           PyTorch
======================  =========================================  ============================
``mse``                 ``(1/K) Σ_k (a_k - t_k)²``                 ``nn.MSELoss()``
``half-sse``            ``½ Σ_k (t_k - a_k)²``                     (the textbook's E)
``bce``                 ``(1/K) Σ_k -[t ln a + (1-t) ln(1-a)]``    ``nn.BCELoss()``
``cross-entropy``       ``-Σ_k t_k ln a_k``                        ``nn.CrossEntropyLoss()`` on z
``nll``                 ``-Σ_k t_k a_k`` (a = log-probabilities)   ``nn.NLLLoss()``
======================  =========================================  ============================

``K`` is the number of output units. ``bce`` clamps each log at -100 and bounds its
derivative's denominator ``a(1 - a)`` below by 1e-12, as PyTorch does. ``cross-entropy`` on a
softmax layer is computed from ``log_softmax(z)``, which is PyTorch's ``CrossEntropyLoss``
on ``z`` and stays finite where softmax rounds to 0.

Nothing here prints; problems are :class:`~nncalc.errors.InputError` in the user's terms.
"""

# No `from __future__ import annotations`: NamedTuple would compile every string
# annotation at import, which costs the command line's start-up more than the module.
from typing import Callable, NamedTuple, Sequence

import numpy as np

from nncalc.activations import Activation
from nncalc.errors import ComputeError, InputError, did_you_mean
from nncalc.network import Layer, Network

Array = np.ndarray

# PyTorch's binary_cross_entropy: each log is clamped at LOG_CLAMP, and the derivative's
# denominator a(1 - a) is bounded below by BCE_EPSILON, the float constant 1e-12 (as a
# double, 9.999999960041972e-13) of aten/src/ATen/native/Loss.cpp.
LOG_CLAMP = -100.0
BCE_EPSILON = float(np.float32(1e-12))


# ------------------------------------------------------------------------ the losses
# value(act, z, a, t) -> (N,) each input's loss; grad(a, t) -> (N, K) each dL_n/da.


def _mse(act: Activation, z: Array, a: Array, t: Array) -> Array:
    d = a - t
    return (d * d).mean(axis=-1)


def _mse_grad(a: Array, t: Array) -> Array:
    return 2.0 * (a - t) / a.shape[-1]


def _half_sse(act: Activation, z: Array, a: Array, t: Array) -> Array:
    d = t - a
    return 0.5 * (d * d).sum(axis=-1)


def _half_sse_grad(a: Array, t: Array) -> Array:
    return -(t - a)


def _bce_terms(a: Array, t: Array) -> Array:
    # PyTorch's order of operations: (t - 1) max(ln(1 - a), -100) - t max(ln a, -100).
    with np.errstate(divide="ignore"):  # ln 0 = -inf, which the clamp turns into -100
        log_a = np.maximum(np.log(a), LOG_CLAMP)
        log_1ma = np.maximum(np.log1p(-a), LOG_CLAMP)
    return (t - 1.0) * log_1ma - t * log_a


def _bce(act: Activation, z: Array, a: Array, t: Array) -> Array:
    return _bce_terms(a, t).mean(axis=-1)


def _bce_grad(a: Array, t: Array) -> Array:
    return (a - t) / np.maximum((1.0 - a) * a, BCE_EPSILON) / a.shape[-1]


def _log_probabilities(act: Activation, z: Array, a: Array) -> Array:
    if act.name == "softmax":
        from nncalc.activations import get

        return get("log_softmax")(z)  # what CrossEntropyLoss computes from z
    with np.errstate(divide="ignore"):
        return np.log(a)


def _cross_entropy(act: Activation, z: Array, a: Array, t: Array) -> Array:
    logp = _log_probabilities(act, z, a)
    # A unit with t = 0 adds nothing, even where its probability is 0 (0 ln 0 = 0).
    return -np.where(t > 0, t * logp, 0.0).sum(axis=-1)


def _cross_entropy_grad(a: Array, t: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t > 0, -t / a, 0.0)


def _nll(act: Activation, z: Array, a: Array, t: Array) -> Array:
    return -(t * a).sum(axis=-1)


def _nll_grad(a: Array, t: Array) -> Array:
    return -t


class LossDef(NamedTuple):
    """One loss: its value and derivative per input, and how the textbook writes them.

    ``term`` and ``derivative`` are written for one output unit ``k``, with ``a`` the
    output, ``t`` the target and ``K`` the number of outputs. ``targets`` says what
    targets it takes: ``"any"`` real numbers, ``"probability"`` values in [0, 1], or
    ``"one-hot"`` vectors (a class).
    """

    name: str
    value: Callable[..., Array]
    grad: Callable[[Array, Array], Array]
    formula: str
    derivative: str
    pytorch: str
    targets: str


LOSSES: dict[str, LossDef] = {
    d.name: d
    for d in (
        LossDef(
            "mse", _mse, _mse_grad,
            formula="(1/K) Σ_k (a_k - t_k)²",
            derivative="2(a_k - t_k)/K",
            pytorch="torch.nn.MSELoss()",
            targets="any",
        ),
        LossDef(
            "half-sse", _half_sse, _half_sse_grad,
            formula="½ Σ_k (t_k - a_k)²",
            derivative="-(t_k - a_k)",
            pytorch="0.5 * ((t - a)**2).sum(1).mean()",
            targets="any",
        ),
        LossDef(
            "bce", _bce, _bce_grad,
            formula="(1/K) Σ_k -[t_k ln a_k + (1 - t_k) ln(1 - a_k)]",
            derivative="(a_k - t_k) / (a_k(1 - a_k)) / K",
            pytorch="torch.nn.BCELoss()",
            targets="probability",
        ),
        LossDef(
            "cross-entropy", _cross_entropy, _cross_entropy_grad,
            formula="-Σ_k t_k ln a_k",
            derivative="-t_k / a_k",
            pytorch="torch.nn.CrossEntropyLoss() on z",
            targets="probability",
        ),
        LossDef(
            "nll", _nll, _nll_grad,
            formula="-Σ_k t_k a_k",
            derivative="-t_k",
            pytorch="torch.nn.NLLLoss()",
            targets="one-hot",
        ),
    )
}


def known_names() -> str:
    """
    >>> known_names()
    'mse, half-sse, bce, cross-entropy, nll'
    """
    return ", ".join(LOSSES)


def get(name: str) -> LossDef:
    """A loss by name; an unknown name is an InputError listing the known ones.

    >>> get("bce").pytorch
    'torch.nn.BCELoss()'
    """
    d = LOSSES.get(name)
    if d is None:
        suggest = did_you_mean(name.lower(), LOSSES)
        raise InputError(f"unknown loss '{name}'; {suggest}known: {known_names()}")
    return d


def default_for(act: Activation) -> str:
    """``cross-entropy`` after softmax, ``nll`` after log_softmax, else ``half-sse``.

    >>> from nncalc.activations import get as act
    >>> default_for(act("softmax")), default_for(act("log_softmax")), default_for(act("sigmoid"))
    ('cross-entropy', 'nll', 'half-sse')
    """
    return {"softmax": "cross-entropy", "log_softmax": "nll"}.get(act.name, "half-sse")


def pytorch_for(loss: LossDef, act: Activation) -> str:
    """The PyTorch that computes ``loss`` after the output activation ``act``:
    CrossEntropyLoss takes softmax's z; after another activation (sigmoid outputs), the
    same formula is written out.

    >>> from nncalc.activations import get as act
    >>> pytorch_for(get("cross-entropy"), act("softmax")), pytorch_for(get("cross-entropy"), act("sigmoid"))
    ('torch.nn.CrossEntropyLoss() on z', '-(t * a.log()).sum(1).mean()')
    """
    if loss.name == "cross-entropy" and act.name != "softmax":
        return "-(t * a.log()).sum(1).mean()"
    return loss.pytorch


def fused(loss: LossDef, act: Activation) -> bool:
    """True for softmax with cross-entropy, whose δ = ∂L/∂z is the familiar ``a - t``."""
    return loss.name == "cross-entropy" and act.name == "softmax"


def within_unit_interval(act: Activation) -> bool:
    """True when every output of ``act`` lies in [0, 1], whatever z is.

    >>> from nncalc.activations import get as act
    >>> within_unit_interval(act("sigmoid")), within_unit_interval(act("hard_tanh", min_val=0))
    (True, True)
    >>> within_unit_interval(act("relu")), within_unit_interval(act("hard_tanh"))
    (False, False)
    """
    if act.name in ("sigmoid", "softmax", "hard_sigmoid"):
        return True
    if act.name == "hard_tanh":
        kw = act.kwargs
        return kw["min_val"] >= 0.0 and kw["max_val"] <= 1.0
    return False


def check_layer(loss: LossDef, layer: Layer) -> None:
    """Refuse a loss that cannot take this output layer's values."""
    act = layer.activation
    where = f"layer '{layer.name}' is {act.label}"
    if loss.name in ("bce", "cross-entropy") and not within_unit_interval(act):
        if act.name == "log_softmax":
            raise InputError(
                f"{loss.name} takes probabilities, but {where}, whose outputs are "
                "log-probabilities; use the nll loss"
            )
        raise InputError(
            f"{loss.name} takes probabilities in [0, 1], but {where}, whose outputs range over "
            f"{act.definition.output_range}; use a sigmoid or softmax output layer, or another loss"
        )
    if loss.name == "nll" and act.name != "log_softmax":
        raise InputError(
            f"nll takes log-probabilities, but {where}; give the output layer a log_softmax "
            "activation (after softmax, use cross-entropy)"
        )


def one_hot(classes: Sequence[int], net: Network) -> Array:
    """Targets from class numbers, counted from 1 as nncalc numbers units.

    >>> from nncalc.activations import get as act
    >>> from nncalc.network import Layer, Network
    >>> net = Network((Layer("out", np.ones((3, 2)), np.zeros(3), act("softmax")),))
    >>> one_hot([3, 1], net).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    layer = net.layers[-1]
    c = np.asarray(classes)
    if c.dtype.kind not in "iu" or c.ndim != 1:
        bad = next((v for v in np.ravel(c) if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer))), c)
        raise InputError(f"class {bad!r} is not a whole number; classes are numbered 1 to {layer.nout}")
    outside = (c < 1) | (c > layer.nout)
    if outside.any():
        k = int(c[np.argmax(outside)])
        raise InputError(
            f"class {k} is out of range: layer '{layer.name}' has {layer.nout} "
            f"unit{'s' if layer.nout != 1 else ''}, so classes are numbered 1 to {layer.nout}"
        )
    t = np.zeros((len(c), layer.nout))
    t[np.arange(len(c)), c - 1] = 1.0
    return t


def check_targets(loss: LossDef, net: Network, t: Array) -> Array:
    """The targets as a float64 (N, K) array, or an InputError saying what is wrong.

    ``t`` has one row per input (a single row may be given as a vector).
    """
    layer = net.layers[-1]
    try:
        t = np.asarray(t, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("the target must be numbers, one row per input") from None
    if t.ndim == 0:
        t = t.reshape(1, 1)
    elif t.ndim == 1:
        t = t[None, :]
    if t.ndim != 2 or t.shape[1] != layer.nout:
        n = t.shape[-1] if t.ndim else 1
        raise InputError(
            f"the target has {n} value{'s' if n != 1 else ''}, but layer '{layer.name}' has "
            f"{layer.nout} unit{'s' if layer.nout != 1 else ''}; expected one target per output unit"
        )
    if not np.isfinite(t).all():
        raise InputError("a target is not a finite number")
    many = len(t) > 1
    if loss.targets in ("probability", "one-hot"):
        bad = np.argwhere((t < 0) | (t > 1))
        if len(bad):
            n, k = bad[0]
            which = f"target {n + 1}" if many else "the target"
            raise InputError(
                f"{which} has {t[n, k]:g} for unit {k + 1}; {loss.name} takes probabilities, "
                "between 0 and 1"
            )
    if loss.targets == "one-hot":
        ok = ((t == 0) | (t == 1)).all(axis=1) & (t.sum(axis=1) == 1)
        if not ok.all():
            n = int(np.argmin(ok))
            which = f"target {n + 1}" if many else "the target"
            raise InputError(
                f"{which} is not one-hot (a single 1, zeros elsewhere); {loss.name} takes a class"
            )
    return t


def values(loss: LossDef, layer: Layer, z: Array, a: Array, t: Array, first: int = 1) -> Array:
    """Each input's own loss, shape (N,); ComputeError if one is infinite."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = loss.value(layer.activation, z, a, t)
    if not np.isfinite(out).all():
        n = int(np.argmin(np.isfinite(out)))
        which = f" for input {first + n}" if len(out) > 1 or first > 1 else ""
        cause = ""
        if loss.name == "cross-entropy":
            cause = ": an output is 0 where its target is not, and ln 0 is -∞"
        raise ComputeError(f"the {loss.name} loss is infinite{which}{cause}")
    return out
