"""The activation registry: one entry per function, looked up by name or alias.

Each entry holds the function, its derivative, its formula and output range as the seed
writes them, and its parameters with their defaults (PyTorch's defaults). Adding an
activation means adding one :class:`ActivationDef` to ``_DEFINITIONS``; the spec loader,
the engine and the renderers all read this table.

All functions take and return float64 arrays, work on a whole batch (the last axis is the
layer's units), and are written so that extreme inputs give exact limits without NumPy
warnings: ``sigmoid(1000) == 1.0``, ``softmax([1000, 1000]) == [0.5, 0.5]``. Derivatives
are finite for every finite z (their exact limits, ``gelu'(1e308) == 1.0``); a value
whose true result is beyond float64 (``selu(1.7e308)``) is ``inf``, silently, for the
engine to report.

The backward pass uses each entry's vector-Jacobian product ``vjp(z, a, g)``: the
gradient ``dL/dz`` given ``g = dL/da``. For an elementwise function that is
``g * grad(z)``; softmax and log_softmax have their own, the true product with the full
Jacobian.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, NamedTuple

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


def _relu_vjp(z: Array, a: Array, g: Array) -> Array:
    return np.where(z > 0, g, 0.0)


def _leaky_relu(z: Array, alpha: float) -> Array:
    with np.errstate(over="ignore"):  # alpha > 1 can take alpha*z past float64
        return np.where(z > 0, z, alpha * z)


def _leaky_relu_grad(z: Array, alpha: float) -> Array:
    return np.where(z > 0, 1.0, alpha)


def _leaky_relu_vjp(z: Array, a: Array, g: Array, alpha: float) -> Array:
    return np.where(z > 0, g, alpha * g)


def _sigmoid(z: Array) -> Array:
    # exp of a non-positive number never overflows; pick the form that uses it.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_grad(z: Array) -> Array:
    # s(1 - s), written so that 1 - s does not round to 0 for large z.
    e = np.exp(-np.abs(z))
    return e / (1.0 + e) ** 2


def _tanh(z: Array) -> Array:
    return np.tanh(z)


# Beyond this |z|, exp(-2|z|) is 0 in float64 (it is below 1e-347): capping |z| there
# changes no result and keeps -2|z| from overflowing for |z| near float64's maximum.
_EXP_CAP = 400.0


def _tanh_grad(z: Array) -> Array:
    # sech^2 z, written so that it does not round to 0 where tanh z rounds to ±1.
    e = np.exp(-2.0 * np.minimum(np.abs(z), _EXP_CAP))
    return 4.0 * e / (1.0 + e) ** 2


def _shifted(z: Array) -> Array:
    """``z`` minus its row's maximum: softmax is unchanged by it, and every exp is <= 1.

    A row spanning more than float64's range ([1e308, -1e308]) gets -inf, whose exp is
    the exact 0.
    """
    with np.errstate(over="ignore"):
        return z - z.max(axis=-1, keepdims=True)


def _softmax(z: Array) -> Array:
    e = np.exp(_shifted(z))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_grad(z: Array) -> Array:
    # The diagonal of the Jacobian, d softmax_i / d z_i.
    s = _softmax(z)
    return s * (1.0 - s)


def _softmax_vjp(z: Array, a: Array, g: Array) -> Array:
    # J = diag(a) - a a^T, so g J = a_i (g_i - sum_j g_j a_j), as PyTorch's softmax_backward.
    return a * (g - (g * a).sum(axis=-1, keepdims=True))


def _log_softmax(z: Array) -> Array:
    shifted = _shifted(z)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _log_softmax_grad(z: Array) -> Array:
    return 1.0 - _softmax(z)


def _log_softmax_vjp(z: Array, a: Array, g: Array) -> Array:
    # J = I - 1 softmax^T, so g J = g_i - softmax_i sum_j g_j, with softmax = e^a.
    return g - np.exp(a) * g.sum(axis=-1, keepdims=True)


def _elu(z: Array, alpha: float) -> Array:
    # np.where evaluates both sides: clip z so expm1 never sees a large positive number.
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def _elu_grad(z: Array, alpha: float) -> Array:
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))


# The SELU paper's constants, as PyTorch writes them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _selu(z: Array) -> Array:
    with np.errstate(over="ignore"):  # z above 1.7e308 / 1.0507: the true value overflows
        return SELU_SCALE * _elu(z, SELU_ALPHA)


def _selu_grad(z: Array) -> Array:
    return SELU_SCALE * _elu_grad(z, SELU_ALPHA)


_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# erf(x) is ±1 in float64 from |x| = 6 on, and the Gaussian exp(-z²/2) is 0 from |z| = 39:
# capping there changes no result and keeps z² from overflowing.
_ERF_CAP, _GAUSS_CAP = 10.0, 40.0


def _phi_cdf(z: Array) -> Array:
    """``(1 + erf(z/√2))``, twice the normal distribution's Φ(z)."""
    from nncalc.special import erf  # only specs that use GELU pay for it

    return 1.0 + erf(np.clip(z * _SQRT1_2, -_ERF_CAP, _ERF_CAP))


def _gelu(z: Array) -> Array:
    # PyTorch's float64 definition, in its order of operations.
    return z * 0.5 * _phi_cdf(z)


def _gelu_grad(z: Array) -> Array:
    zc = np.clip(z, -_GAUSS_CAP, _GAUSS_CAP)
    return 0.5 * _phi_cdf(z) + z * _INV_SQRT_2PI * np.exp(-0.5 * zc * zc)


_GELU_BETA = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715


# tanh(u) is ±1 in float64 long before |z| = 1e100; capping z there keeps z³ finite.
_CUBE_CAP = 1e100


def _gelu_tanh_inner(z: Array) -> Array:
    zc = np.clip(z, -_CUBE_CAP, _CUBE_CAP)
    return _GELU_BETA * (zc + _GELU_KAPPA * zc * zc * zc)


def _gelu_tanh(z: Array) -> Array:
    return 0.5 * z * (1.0 + np.tanh(_gelu_tanh_inner(z)))


def _gelu_tanh_grad(z: Array) -> Array:
    # With u the tanh's argument: (1 + tanh u)/2 = sigmoid(2u) and 1 - tanh^2 u = sech^2 u,
    # both written without the cancellation of 1 ± tanh u where tanh u rounds to ∓1.
    u = _gelu_tanh_inner(z)
    zc = np.clip(z, -_CUBE_CAP, _CUBE_CAP)  # where it acts, sech^2 u is already 0
    return _sigmoid(2.0 * u) + 0.5 * zc * _tanh_grad(u) * _GELU_BETA * (1.0 + 3.0 * _GELU_KAPPA * zc * zc)


def _silu(z: Array) -> Array:
    return z * _sigmoid(z)


def _silu_grad(z: Array) -> Array:
    s = _sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


def _softplus(z: Array, beta: float, threshold: float) -> Array:
    # PyTorch: z where beta*z > threshold (there softplus equals z in float64), else the
    # formula; clipping the exponent keeps the unused side of np.where from overflowing.
    # beta*z may overflow to ±inf (beta > 1), which both sides handle exactly.
    with np.errstate(over="ignore"):
        bz = beta * z
        return np.where(bz > threshold, z, np.log1p(np.exp(np.minimum(bz, threshold))) / beta)


def _softplus_grad(z: Array, beta: float, threshold: float) -> Array:
    with np.errstate(over="ignore"):
        bz = beta * z
    return np.where(bz > threshold, 1.0, _sigmoid(bz))


def _mish(z: Array) -> Array:
    return z * np.tanh(np.logaddexp(0.0, z))  # logaddexp(0, z) = ln(1 + e^z), safely


def _mish_grad(z: Array) -> Array:
    t = np.tanh(np.logaddexp(0.0, z))
    return t + z * _sigmoid(z) * (1.0 - t * t)


def _softsign(z: Array) -> Array:
    return z / (1.0 + np.abs(z))


def _softsign_grad(z: Array) -> Array:
    # (1/(1 + |z|))², not 1/(1 + |z|)², whose square overflows for |z| > 1e154.
    d = 1.0 / (1.0 + np.abs(z))
    return d * d


# hard_sigmoid is PyTorch's, ReLU6(z + 3) / 6, as PyTorch computes it; with a slope and an
# offset of its own (ONNX's HardSigmoid, whose defaults are 0.2 and 0.5, and Keras 2's
# hard_sigmoid), it is ONNX's max(0, min(1, alpha z + beta)).
def _hard_sigmoid(z: Array, alpha: float | None = None, beta: float | None = None) -> Array:
    if alpha is None:
        return np.minimum(np.maximum(z + 3.0, 0.0), 6.0) / 6.0  # ReLU6(z + 3) / 6
    with np.errstate(over="ignore"):  # alpha z beyond float64 is clipped all the same
        return np.minimum(np.maximum(alpha * z + beta, 0.0), 1.0)


def _hard_sigmoid_grad(z: Array, alpha: float | None = None, beta: float | None = None) -> Array:
    if alpha is None:
        return np.where((z > -3.0) & (z < 3.0), 1.0 / 6.0, 0.0)
    with np.errstate(over="ignore"):
        y = alpha * z + beta
    return np.where((y > 0.0) & (y < 1.0), alpha, 0.0)


def _hard_sigmoid_kinks(alpha: float | None = None, beta: float | None = None) -> tuple[float, ...]:
    """Where alpha z + beta is 0 or 1."""
    if alpha is None:
        return (-3.0, 3.0)
    return tuple(sorted((-beta / alpha, (1.0 - beta) / alpha))) if alpha else ()


def _hard_swish(z: Array) -> Array:
    with np.errstate(over="ignore"):
        a = z * np.minimum(np.maximum(z + 3.0, 0.0), 6.0) / 6.0  # z ReLU6(z + 3) / 6, in PyTorch's order
    # where 6z leaves float64 (z > 3e307), hard_swish(z) is z
    return np.where(np.isinf(a), z, a) if np.ndim(a) else (z if np.isinf(a) else a)


def _hard_swish_grad(z: Array) -> Array:
    # PyTorch's: 0 up to -3, z/3 + 1/2 between -3 and 3, 1 from 3 on
    return np.where(z <= -3.0, 0.0, np.where(z < 3.0, z / 3.0 + 0.5, 1.0))


def _hard_tanh(z: Array, min_val: float, max_val: float) -> Array:
    return np.minimum(np.maximum(z, min_val), max_val)


def _hard_tanh_grad(z: Array, min_val: float, max_val: float) -> Array:
    return np.where((z > min_val) & (z < max_val), 1.0, 0.0)


def _nonzero_beta(beta: float, threshold: float) -> str | None:
    return "beta must not be 0" if beta == 0 else None


def _ordered_bounds(min_val: float, max_val: float) -> str | None:
    return f"min_val ({min_val:g}) must be less than max_val ({max_val:g})" if min_val >= max_val else None


@dataclass(frozen=True, eq=False)  # entries are compared by identity: they hold functions
class ActivationDef:
    """One registry entry.

    ``params`` maps each parameter's name to its default (PyTorch's). ``elementwise`` is
    False for functions of the whole layer (softmax), whose ``grad`` is the Jacobian's
    diagonal and whose ``vjp`` is the product with the whole Jacobian; an elementwise
    function's ``vjp`` defaults to ``g * grad(z)``. ``identity_if`` says for which
    parameter values the function is ``a = z`` (so a layer using it is linear and
    collapses with its neighbours); ``check`` returns what is wrong with a set of
    parameter values, or None. ``kinks`` gives the z where the function is not
    differentiable (ReLU's 0), for the gradient check. With ``bound_if_changed``, an
    activation whose parameters are all at their defaults is bound without them: its
    function then has a form of its own (hard_sigmoid's is PyTorch's). The prose fields fill the
    comparison table of ``nncalc activations``; ``derivative`` is the derivative's
    formula (for softmax, the vector-Jacobian product, with g = dL/da).
    """

    name: str
    fn: Callable[..., Array]
    grad: Callable[..., Array]
    formula: str
    output_range: str
    pytorch: str
    typical_use: str
    known_problem: str
    aliases: tuple[str, ...] = ()
    params: Mapping[str, float] = field(default_factory=dict)
    elementwise: bool = True
    identity_if: Callable[..., bool] | None = None
    check: Callable[..., str | None] | None = None
    bound_if_changed: bool = False  # parameters at their defaults are not bound (nor shown)
    notes: str = ""
    derivative: str = ""
    vjp: Callable[..., Array] | None = None
    kinks: Callable[..., tuple[float, ...]] | None = None


_DEFINITIONS = (
    # The seed's four, with its table's words.
    ActivationDef(
        "sigmoid", _sigmoid, _sigmoid_grad,
        formula="1 / (1 + e^(-z))",
        output_range="(0, 1)",
        pytorch="torch.nn.Sigmoid",
        typical_use="Output layer (binary classification)",
        known_problem="Vanishing gradient",
        derivative="σ(z)(1 - σ(z)) = a(1 - a)",
    ),
    ActivationDef(
        "tanh", _tanh, _tanh_grad,
        formula="(e^z - e^(-z)) / (e^z + e^(-z))",
        output_range="(-1, 1)",
        pytorch="torch.nn.Tanh",
        typical_use="Hidden layers (older architectures)",
        known_problem="Vanishing gradient",
        derivative="1 - tanh²(z) = 1 - a²",
    ),
    ActivationDef(
        "relu", _relu, _relu_grad,
        formula="max(0, z)",
        output_range="[0, ∞)",
        pytorch="torch.nn.ReLU",
        typical_use="Hidden layers (default choice)",
        known_problem="Dying neurons",
        derivative="1 if z > 0, else 0",
        vjp=_relu_vjp,
        kinks=lambda: (0.0,),
    ),
    ActivationDef(
        "leaky_relu", _leaky_relu, _leaky_relu_grad,
        formula="max(αz, z)",
        output_range="(-∞, ∞)",
        pytorch="torch.nn.LeakyReLU",
        typical_use="Hidden layers",
        known_problem="Adds hyperparameter α",
        params={"alpha": 0.01},
        identity_if=lambda alpha: alpha == 1.0,
        notes="α (alpha) is 0.01 in PyTorch and ONNX, 0.3 in Keras' LeakyReLU layer, "
        "0.2 in tf.nn.leaky_relu",
        derivative="1 if z > 0, else α",
        vjp=_leaky_relu_vjp,
        kinks=lambda alpha: (0.0,) if alpha != 1.0 else (),
    ),
    # The rest.
    ActivationDef(
        "linear", _linear, _linear_grad,
        formula="z",
        output_range="(-∞, ∞)",
        pytorch="torch.nn.Identity",
        typical_use="Output layer (regression)",
        known_problem="No nonlinearity: stacked linear layers collapse into one",
        aliases=("identity", "none"),
        identity_if=lambda: True,
        derivative="1",
    ),
    ActivationDef(
        "softmax", _softmax, _softmax_grad,
        formula="e^(z_i) / Σ_j e^(z_j)",
        output_range="(0, 1), sums to 1",
        pytorch="torch.nn.Softmax(dim=-1)",
        typical_use="Output layer (multi-class classification)",
        known_problem="Saturates when one z dominates",
        elementwise=False,
        derivative="a_i (g_i - Σ_j g_j a_j)",
        vjp=_softmax_vjp,
    ),
    ActivationDef(
        "log_softmax", _log_softmax, _log_softmax_grad,
        formula="z_i - ln Σ_j e^(z_j)",
        output_range="(-∞, 0)",
        pytorch="torch.nn.LogSoftmax(dim=-1)",
        typical_use="Output layer with a negative log-likelihood loss",
        known_problem="Gives log-probabilities, not probabilities",
        elementwise=False,
        derivative="g_i - e^(a_i) Σ_j g_j",
        vjp=_log_softmax_vjp,
    ),
    ActivationDef(
        "elu", _elu, _elu_grad,
        formula="z if z > 0, else α(e^z - 1)",
        output_range="(-α, ∞)",
        pytorch="torch.nn.ELU",
        typical_use="Hidden layers",
        known_problem="exp costs more than ReLU",
        params={"alpha": 1.0},
        derivative="1 if z > 0, else α e^z",
        kinks=lambda alpha: (0.0,) if alpha != 1.0 else (),
    ),
    ActivationDef(
        "selu", _selu, _selu_grad,
        formula="λ(z if z > 0, else α(e^z - 1)), λ ≈ 1.0507, α ≈ 1.6733",
        output_range="(-λα, ∞)",
        pytorch="torch.nn.SELU",
        typical_use="Self-normalising networks",
        known_problem="Needs LeCun-normal initialisation to self-normalise",
        derivative="λ if z > 0, else λα e^z",
        kinks=lambda: (0.0,),
    ),
    ActivationDef(
        "gelu", _gelu, _gelu_grad,
        formula="z Φ(z) = z/2 (1 + erf(z/√2))",
        output_range="[≈-0.17, ∞)",
        pytorch="torch.nn.GELU",
        typical_use="Transformers (BERT, GPT)",
        known_problem="Costlier than ReLU",
        derivative="Φ(z) + z φ(z)",
    ),
    ActivationDef(
        "gelu_tanh", _gelu_tanh, _gelu_tanh_grad,
        formula="z/2 (1 + tanh(√(2/π) (z + 0.044715 z³)))",
        output_range="[≈-0.17, ∞)",
        pytorch="torch.nn.GELU(approximate='tanh')",
        typical_use="Transformers (fast GELU, as in GPT-2)",
        known_problem="An approximation of GELU",
        derivative="(1 + tanh u)/2 + z/2 (1 - tanh² u) √(2/π) (1 + 3 × 0.044715 z²), u = √(2/π) (z + 0.044715 z³)",
    ),
    ActivationDef(
        "silu", _silu, _silu_grad,
        formula="z σ(z)",
        output_range="[≈-0.28, ∞)",
        pytorch="torch.nn.SiLU",
        typical_use="Hidden layers (EfficientNet; SwiGLU in LLMs)",
        known_problem="Costlier than ReLU",
        aliases=("swish",),
        derivative="σ(z)(1 + z(1 - σ(z)))",
    ),
    ActivationDef(
        "softplus", _softplus, _softplus_grad,
        formula="ln(1 + e^(βz)) / β; z where βz > threshold",
        output_range="(0, ∞)",
        pytorch="torch.nn.Softplus",
        typical_use="Positive outputs (scales, rates); smooth ReLU",
        known_problem="Never exactly 0; costlier than ReLU",
        params={"beta": 1.0, "threshold": 20.0},
        check=_nonzero_beta,
        derivative="σ(βz); 1 where βz > threshold",
        kinks=lambda beta, threshold: (threshold / beta,),
    ),
    ActivationDef(
        "mish", _mish, _mish_grad,
        formula="z tanh(ln(1 + e^z))",
        output_range="[≈-0.31, ∞)",
        pytorch="torch.nn.Mish",
        typical_use="Hidden layers (YOLOv4)",
        known_problem="Costlier than ReLU",
        derivative="tanh(s) + z σ(z) (1 - tanh²(s)), s = ln(1 + e^z)",
    ),
    ActivationDef(
        "softsign", _softsign, _softsign_grad,
        formula="z / (1 + |z|)",
        output_range="(-1, 1)",
        pytorch="torch.nn.Softsign",
        typical_use="A cheaper tanh",
        known_problem="Vanishing gradient (slower than tanh's)",
        derivative="1 / (1 + |z|)²",
    ),
    ActivationDef(
        "hard_sigmoid", _hard_sigmoid, _hard_sigmoid_grad,
        formula="ReLU6(z + 3) / 6",
        output_range="[0, 1]",
        pytorch="torch.nn.Hardsigmoid",
        typical_use="Mobile networks (MobileNetV3)",
        known_problem="Zero gradient outside (-3, 3)",
        notes="the same z/6 + 1/2 in Keras 3 and JAX; with alpha and beta, ONNX's max(0, min(1, alpha z + beta)) "
        "(ONNX's defaults and Keras 2's hard_sigmoid: alpha 0.2, beta 0.5)",
        params={"alpha": 1 / 6, "beta": 0.5},
        bound_if_changed=True,
        derivative="1/6 if -3 < z < 3, else 0 (with alpha and beta: alpha where 0 < alpha z + beta < 1)",
        kinks=_hard_sigmoid_kinks,
    ),
    ActivationDef(
        "hard_swish", _hard_swish, _hard_swish_grad,
        formula="z ReLU6(z + 3) / 6",
        output_range="[-0.375, ∞)",
        pytorch="torch.nn.Hardswish",
        typical_use="Mobile networks (MobileNetV3)",
        known_problem="Not monotonic; kinks at -3 and 3",
        aliases=("hard_silu",),
        notes="the same in Keras 3 (hard_silu) and ONNX (HardSwish)",
        derivative="0 if z ≤ -3, z/3 + 1/2 if -3 < z < 3, else 1",
        kinks=lambda: (-3.0, 3.0),
    ),
    ActivationDef(
        "hard_tanh", _hard_tanh, _hard_tanh_grad,
        formula="min(max(z, min_val), max_val)",
        output_range="[min_val, max_val]",
        pytorch="torch.nn.Hardtanh",
        typical_use="A cheap, bounded tanh",
        known_problem="Zero gradient outside (min_val, max_val)",
        params={"min_val": -1.0, "max_val": 1.0},
        check=_ordered_bounds,
        derivative="1 if min_val < z < max_val, else 0",
        kinks=lambda min_val, max_val: (min_val, max_val),
    ),
)

REGISTRY: dict[str, ActivationDef] = {}
for _d in _DEFINITIONS:
    for _key in (_d.name, *_d.aliases):
        REGISTRY[_key] = _d


def known_names() -> str:
    """The names a spec may use, alphabetically, aliases in brackets.

    >>> known_names()[:36]
    'elu, gelu, gelu_tanh, hard_sigmoid, '
    """
    return ", ".join(
        f"{d.name} ({', '.join(d.aliases)})" if d.aliases else d.name
        for d in sorted(_DEFINITIONS, key=lambda d: d.name)
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

    def __reduce__(self) -> tuple:
        # By name, so a Network pickles (Dask ships it to workers) although the registry
        # holds lambdas.
        return (_bind, (self.definition.name, self.params))

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

    def vjp(self, z: Array, a: Array, g: Array) -> Array:
        """``dL/dz`` from ``g = dL/da``, for each row of a batch: ``g`` times the Jacobian.

        ``a`` is ``self(z)``, which the product reuses where that is PyTorch's formula.

        >>> sm = get("softmax")
        >>> z = np.array([[0.0, 0.0]]); a = sm(z)
        >>> sm.vjp(z, a, np.array([[1.0, 0.0]])).tolist()  # not the diagonal's [0.25, 0]
        [[0.25, -0.25]]
        """
        d = self.definition
        if d.vjp is not None:
            return d.vjp(z, a, g, **self.kwargs)
        return g * d.grad(z, **self.kwargs)

    @property
    def kinks(self) -> tuple[float, ...]:
        """The z where this function is not differentiable (ReLU's 0), if any.

        >>> get("hard_tanh", min_val=0).kinks, get("tanh").kinks
        ((0.0, 1.0), ())
        """
        test = self.definition.kinks
        return test(**self.kwargs) if test is not None else ()


def get(name: str, **params: float) -> Activation:
    """Bind an activation by name; missing parameters take their defaults.

    >>> get("leaky_relu").label
    'leaky_relu(alpha=0.01)'
    >>> get("rleu")
    Traceback (most recent call last):
    ...
    nncalc.errors.SpecError: unknown activation 'rleu'; did you mean 'relu'? known: elu, gelu, gelu_tanh, hard_sigmoid, hard_swish (hard_silu), hard_tanh, leaky_relu, linear (identity, none), log_softmax, mish, relu, selu, sigmoid, silu (swish), softmax, softplus, softsign, tanh
    """
    d = REGISTRY.get(name) if isinstance(name, str) else None
    values = {**d.params, **params} if d is not None else {}
    real = all(
        isinstance(v, (float, np.floating)) and math.isfinite(v)
        or isinstance(v, (int, np.integer)) and not isinstance(v, bool) and abs(v) < 2**1023
        for v in params.values()
    )
    if d is None or not real or any(k not in d.params for k in params) or (d.check and d.check(**values)):
        # the model's checks and messages (names, parameters, numbers)
        from nncalc.network import resolve_activation

        return resolve_activation({"name": name, **params} if params else name, "activation", None, ())
    if d.bound_if_changed and all(values[k] == v for k, v in d.params.items()):
        return Activation(d)
    return Activation(d, tuple((k, float(values[k])) for k in d.params))


def _bind(name: str, params: tuple[tuple[str, float], ...]) -> Activation:
    return get(name, **dict(params))


def definitions() -> tuple[ActivationDef, ...]:
    """Every registered activation, the seed's four first, each once."""
    return _DEFINITIONS


def curve(act: Activation, z: Array) -> tuple[Array, Array]:
    """Values and derivatives of ``act`` along ``z``, one per point.

    A function of the whole layer (softmax) is taken on the layer ``[z, 0]``, and its
    first unit is returned: for softmax, that is sigmoid(z).

    >>> v, g = curve(get("softmax"), np.array([0.0]))
    >>> v.tolist(), g.tolist()
    ([0.5], [0.25])
    """
    z = np.asarray(z, dtype=np.float64)
    if act.definition.elementwise:
        return act(z), act.grad(z)
    layer = np.stack([z, np.zeros_like(z)], axis=-1)
    return act(layer)[..., 0], act.grad(layer)[..., 0]


SATURATION_FAR, SATURATION_NEAR = 1000.0, 20.0


class Saturation(NamedTuple):
    """The derivative as z goes to -inf and +inf, computed at z = ∓1000.

    ``*_reached`` is True when the derivative already has that value at z = ∓20 (ReLU's
    0, leaky ReLU's alpha), False when it only approaches it (sigmoid's 0).
    """

    negative: float
    positive: float
    negative_reached: bool
    positive_reached: bool


def saturation(act: Activation) -> Saturation:
    """
    >>> s = saturation(get("relu"))
    >>> (s.negative, s.negative_reached), (s.positive, s.positive_reached)
    ((0.0, True), (1.0, True))
    >>> s = saturation(get("sigmoid"))
    >>> (s.negative, s.negative_reached)
    (0.0, False)
    """
    z = np.array([-SATURATION_FAR, SATURATION_FAR, -SATURATION_NEAR, SATURATION_NEAR])
    _, g = curve(act, z)
    far_neg, far_pos, near_neg, near_pos = (float(v) for v in g)
    return Saturation(far_neg, far_pos, near_neg == far_neg, near_pos == far_pos)


def select(names: str) -> list[ActivationDef]:
    """The definitions named in a comma-separated list (aliases allowed), in that order.

    >>> [d.name for d in select("relu, swish,relu")]
    ['relu', 'silu']
    """
    from nncalc.errors import InputError

    chosen: list[ActivationDef] = []
    for raw in names.split(","):
        name = raw.strip().lower()
        d = REGISTRY.get(name)
        if d is None:
            raise InputError(f"unknown activation '{raw.strip()}'; known: {known_names()}")
        if d not in chosen:
            chosen.append(d)
    return chosen
