"""Each activation's formula evaluated step by step, as a person works it out by hand.

For one unit, :func:`unit_steps` gives a chain of expressions that all equal ``a``:
sigmoid at z = 0.3775 is ``1 / (1 + e^(-0.3775))``, then ``1 / (1 + 0.6856)``, then the
value. Softmax and log-softmax act on the whole layer: :func:`layer_steps` gives each
power ``e^(z_i - max z)``, their sum and each quotient. The renderers write these
expressions as text or LaTeX (:func:`plain`, :func:`tex`); nothing is formatted here.

The intermediate values are computed here with Python's ``math``, in the formula's own
order; the last value of a chain is always the one the engine computed (``a``), passed
in, so the tables and the data cannot disagree. With exact arithmetic (``z`` a
Fraction), the piecewise-linear activations give Fractions throughout.

What the activation registry should hold instead of :data:`FORMULAS` and
:func:`unit_steps`' cases: a ``steps(z, **params)`` per activation returning this chain,
and its formula as text and as LaTeX.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Callable, NamedTuple, Sequence, Union

if TYPE_CHECKING:
    from fractions import Fraction

    from nncalc.activations import Activation

# fractions (and the decimal module it loads) are imported only with exact arithmetic.
Number = Union[float, int, "Fraction"]


class Op(NamedTuple):
    """An operation: ``+ - × /``, ``exp`` (e to a power), ``abs``, or a named function
    (``max``, ``min``, ``ln``, ``tanh``, ``erf``) of its arguments."""

    kind: str
    args: tuple["Expr", ...]


Expr = Union[Number, Op]


def op(kind: str, *args: Expr) -> Op:
    return Op(kind, args)


class Chain(NamedTuple):
    """Expressions that are equal, the last one the value ``a``; ``note`` says which
    branch was taken when nothing is computed (``z > 0``)."""

    exprs: tuple[Expr, ...]
    note: str | None = None


# --------------------------------------------------------------------------- formulas

# Each activation's formula in z, as text and as LaTeX; parameters are filled in by
# :func:`formula`. (What the registry's ``formula`` field would hold in both forms.)
FORMULAS: dict[str, tuple[str, str]] = {
    "linear": ("z", "z"),
    "relu": ("max(0, z)", r"\max(0, z)"),
    "leaky_relu": ("z if z > 0, else {alpha} × z", r"z \text{ if } z > 0\text{, else } {alpha} z"),
    "sigmoid": ("1 / (1 + e^(-z))", r"\frac{1}{1 + e^{-z}}"),
    "tanh": ("(e^z - e^(-z)) / (e^z + e^(-z))", r"\frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}"),
    "softplus": ("ln(1 + e^z)", r"\ln(1 + e^{z})"),
    "elu": ("z if z > 0, else e^z - 1", r"z \text{ if } z > 0\text{, else } e^{z} - 1"),
    "selu": (
        "λz if z > 0, else λα(e^z - 1), with λ = {lam} and α = {alpha}",
        r"\lambda z \text{ if } z > 0\text{, else } \lambda\alpha (e^{z} - 1)",
    ),
    "gelu": ("z/2 × (1 + erf(z/√2))", r"\frac{z}{2} \left(1 + \operatorname{erf} \frac{z}{\sqrt{2}}\right)"),
    "gelu_tanh": (
        "z/2 × (1 + tanh(√(2/π) × (z + 0.044715 z³)))",
        r"\frac{z}{2} \left(1 + \tanh\left(\sqrt{2/\pi}\,(z + 0.044715 z^{3})\right)\right)",
    ),
    "silu": ("z / (1 + e^(-z))", r"\frac{z}{1 + e^{-z}}"),
    "mish": ("z × tanh(ln(1 + e^z))", r"z \tanh(\ln(1 + e^{z}))"),
    "softsign": ("z / (1 + |z|)", r"\frac{z}{1 + \lvert z \rvert}"),
    "hard_sigmoid": ("min(max(z + 3, 0), 6) / 6", r"\frac{\min(\max(z + 3, 0), 6)}{6}"),
    "hard_swish": ("z × min(max(z + 3, 0), 6) / 6", r"\frac{z \min(\max(z + 3, 0), 6)}{6}"),
    "hard_tanh": ("min(max(z, {min_val}), {max_val})", r"\min(\max(z, {min_val}), {max_val})"),
    "softmax": ("e^(z_i) / Σ_j e^(z_j)", r"\frac{e^{z_i}}{\sum_j e^{z_j}}"),
    "log_softmax": ("z_i - ln Σ_j e^(z_j)", r"z_i - \ln \sum_j e^{z_j}"),
}


def formula(act: Activation, number: Callable[[Number], str], latex: bool = False) -> str | None:
    """``act``'s formula in z with its parameters written by ``number``, or None.

    >>> from nncalc.activations import get
    >>> from nncalc.render.numbers import fmt
    >>> formula(get("leaky_relu", alpha=0.1), fmt)
    'z if z > 0, else 0.1 × z'
    >>> formula(get("softplus", beta=2), fmt)
    'ln(1 + e^(2z)) / 2, or z if 2z > 20'
    """
    name = act.name
    if name not in FORMULAS:
        return None
    p = dict(act.params)
    if getattr(number, "exact", False):  # parameters as the spec wrote them (0.1 is 1/10)
        from nncalc.exact import params

        p = params(act)
    if name == "softplus":
        beta, threshold = p["beta"], p["threshold"]
        bz = "z" if beta == 1 else f"{number(beta)}z"
        if latex:
            inner = rf"\ln(1 + e^{{{bz}}})" + ("" if beta == 1 else rf" / {number(beta)}")
            return inner + rf"\text{{, or }} z \text{{ if }} {bz} > {number(threshold)}"
        inner = f"ln(1 + e^{'z' if beta == 1 else '(' + bz + ')'})" + ("" if beta == 1 else f" / {number(beta)}")
        return f"{inner}, or z if {bz} > {number(threshold)}"
    text = FORMULAS[name][1 if latex else 0]
    if name == "hard_sigmoid" and "alpha" in p:
        alpha, beta = p["alpha"], p["beta"]
        sign = "-" if beta < 0 else "+"
        az = f"{number(alpha)} z" if latex else f"{number(alpha)} × z"
        return rf"\min(\max({az} {sign} {number(abs(beta))}, 0), 1)" if latex else f"min(max({az} {sign} {number(abs(beta))}, 0), 1)"
    if name == "elu" and p["alpha"] != 1:
        alpha = number(p["alpha"])
        text = (
            rf"z \text{{ if }} z > 0\text{{, else }} {alpha} (e^{{z}} - 1)" if latex else f"z if z > 0, else {alpha} × (e^z - 1)"
        )
    if name == "selu":
        from nncalc.activations import SELU_ALPHA, SELU_SCALE

        p = {"lam": SELU_SCALE, "alpha": SELU_ALPHA}
    values = {k: number(v) for k, v in p.items()}
    for k, v in values.items():
        text = text.replace("{" + k + "}", v)
    return text


# ------------------------------------------------------------------------------ units


def _exp(x: float) -> float | None:
    try:
        return math.exp(x)
    except OverflowError:
        return None


def unit_steps(act: Activation, z: Number, a: Number) -> Chain | None:
    """The chain from ``act``'s formula at ``z`` to ``a``, or None when there is nothing
    to show (a linear layer, a function of the whole layer) or a step leaves float64.

    >>> from nncalc.activations import get
    >>> unit_steps(get("relu"), -0.3, 0.0)
    Chain(exprs=(Op(kind='max', args=(0, -0.3)), 0.0), note=None)
    >>> from nncalc.render.numbers import fmt
    >>> c = unit_steps(get("sigmoid"), 0.3775, 0.59327)
    >>> " = ".join(plain(e, lambda v: fmt(v, 4)) for e in c.exprs)
    '1 / (1 + e^(-0.3775)) = 1 / (1 + 0.6856) = 0.5933'
    """
    name = act.name
    p = dict(act.params)
    exact = isinstance(z, numbers.Rational) and not isinstance(z, int)  # a Fraction
    if exact:
        from nncalc.exact import params

        p = params(act)
    if act.is_identity or not act.definition.elementwise:
        return None
    if name == "relu":
        return Chain((op("max", 0, z), a))
    if name == "leaky_relu":
        return Chain((z,), "z > 0") if z > 0 else Chain((op("×", p["alpha"], z), a))
    if name == "hard_tanh":
        return Chain((op("min", op("max", z, p["min_val"]), p["max_val"]), a))
    if name == "hard_sigmoid" and "alpha" in p:
        alpha, beta = p["alpha"], p["beta"]
        # (floats as Python's: alpha z beyond float64 is inf, with no NumPy warning)
        y = alpha * z + beta if exact else float(alpha) * float(z) + float(beta)
        first = op("min", op("max", op("+", op("×", alpha, z), beta), 0), 1)
        return Chain((first, op("min", op("max", y, 0), 1), a))
    if name == "hard_sigmoid":
        clipped = min(max(z + 3, 0), 6)
        return Chain((op("/", op("min", op("max", op("+", z, 3), 0), 6), 6), op("/", clipped, 6), a))
    if name == "hard_swish":
        clipped = min(max(z + 3, 0), 6)
        return Chain((op("/", op("×", z, op("min", op("max", op("+", z, 3), 0), 6)), 6), op("/", op("×", z, clipped), 6), a))
    if name == "softsign":
        return Chain((op("/", z, op("+", 1, op("abs", z))), op("/", z, op("+", 1, abs(z))), a))
    if exact:
        return None
    z = float(z)
    if name == "sigmoid":
        e = _exp(-z)
        return None if e is None else Chain((op("/", 1, op("+", 1, op("exp", -z))), op("/", 1, op("+", 1, e)), a))
    if name == "silu":
        e = _exp(-z)
        return None if e is None else Chain((op("/", z, op("+", 1, op("exp", -z))), op("/", z, op("+", 1, e)), a))
    if name == "tanh":
        pos, neg = _exp(z), _exp(-z)
        if pos is None or neg is None:
            return None
        first = op("/", op("-", op("exp", z), op("exp", -z)), op("+", op("exp", z), op("exp", -z)))
        return Chain((first, op("/", op("-", pos, neg), op("+", pos, neg)), a))
    if name == "softplus":
        beta, threshold = p["beta"], p["threshold"]
        if beta * z > threshold:
            return Chain((z,), ("z" if beta == 1 else "βz") + " > threshold")
        e = _exp(beta * z)
        if e is None:
            return None
        first, second = op("ln", op("+", 1, op("exp", beta * z))), op("ln", op("+", 1, e))
        if beta != 1:
            first, second = op("/", first, beta), op("/", second, beta)
        return Chain((first, second, a))
    if name in ("elu", "selu"):
        if name == "elu":
            scale, alpha = 1.0, p["alpha"]
        else:
            from nncalc.activations import SELU_ALPHA, SELU_SCALE

            scale, alpha = SELU_SCALE, SELU_ALPHA
        if z > 0:
            return Chain((z,), "z > 0") if scale == 1 else Chain((op("×", scale, z), a))
        e = _exp(z)
        assert e is not None  # z <= 0
        k = scale * alpha
        if k == 1:
            return Chain((op("-", op("exp", z), 1), op("-", e, 1), a))
        return Chain((op("×", k, op("-", op("exp", z), 1)), op("×", k, op("-", e, 1)), a))
    if name == "gelu":
        half, inner = z / 2, z * math.sqrt(0.5)
        return Chain((op("×", half, op("+", 1, op("erf", inner))), op("×", half, op("+", 1, math.erf(inner))), a))
    if name == "gelu_tanh":
        half, u = z / 2, math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)
        return Chain((op("×", half, op("+", 1, op("tanh", u))), op("×", half, op("+", 1, math.tanh(u))), a))
    if name == "mish":
        e = _exp(z)
        if e is None:
            return None
        sp = math.log1p(e)
        return Chain((op("×", z, op("tanh", op("ln", op("+", 1, op("exp", z))))), op("×", z, op("tanh", sp)), op("×", z, math.tanh(sp)), a))
    return None


# ------------------------------------------------------------------------------ layers


class LayerSteps(NamedTuple):
    """Softmax or log-softmax of one layer, worked out: ``m`` = max z, each shifted
    ``z_i - m`` and power ``e^(z_i - m)``, their sum, its log (log-softmax), and ``a``."""

    kind: str
    z: tuple[float, ...]
    m: float
    shifted: tuple[float, ...]
    powers: tuple[float, ...]
    total: float
    log_total: float | None
    a: tuple[float, ...]

    def power(self, i: int) -> Chain:
        """``e^(z_i - m) = e^(s_i) = p_i``."""
        return Chain((op("exp", op("-", self.z[i], self.m)), op("exp", self.shifted[i]), self.powers[i]))

    def result(self, i: int) -> Chain:
        """``a_i``: ``p_i / Σ`` for softmax, ``(z_i - m) - ln Σ`` for log-softmax."""
        if self.kind == "softmax":
            return Chain((op("/", self.powers[i], self.total), self.a[i]))
        assert self.log_total is not None
        return Chain((op("-", self.shifted[i], self.log_total), self.a[i]))


def layer_steps(act: Activation, z: Sequence[float], a: Sequence[float]) -> LayerSteps | None:
    """The worked softmax (or log-softmax) of one layer's ``z``, ending at the engine's ``a``.

    >>> from nncalc.activations import get
    >>> s = layer_steps(get("softmax"), [1.0, 3.0], [0.1192, 0.8808])
    >>> s.m, s.shifted, round(s.total, 4)
    (3.0, (-2.0, 0.0), 1.1353)
    """
    if act.name not in ("softmax", "log_softmax"):
        return None
    zs = tuple(float(v) for v in z)
    m = max(zs)
    shifted = tuple(v - m for v in zs)
    powers = tuple(math.exp(s) for s in shifted)  # every s <= 0: no overflow
    total = math.fsum(powers)
    log_total = math.log(total) if act.name == "log_softmax" else None
    return LayerSteps(act.name, zs, m, shifted, powers, total, log_total, tuple(float(v) for v in a))


# ----------------------------------------------------------------------------- writing


_FUNCTIONS_TEX = {"max": r"\max", "min": r"\min", "ln": r"\ln", "tanh": r"\tanh", "erf": r"\operatorname{erf}"}
_ADDITIVE = ("+", "-")


def _negative(s: str) -> bool:
    return s.startswith("-")


def plain(e: Expr, number: Callable[[Number], str]) -> str:
    """An expression as text: ``1 / (1 + e^(-0.3775))``.

    >>> plain(op("×", 0.01, -0.3), str)
    '0.01 × (-0.3)'
    >>> plain(op("/", 1, op("+", 1, op("exp", -0.5))), str)
    '1 / (1 + e^(-0.5))'
    """
    return _write(e, number, latex=False)


def tex(e: Expr, number: Callable[[Number], str]) -> str:
    r"""An expression as LaTeX maths: ``\frac{1}{1 + e^{-0.3775}}``.

    >>> tex(op("/", 1, op("+", 1, op("exp", -0.5))), str)
    '\\frac{1}{1 + e^{-0.5}}'
    """
    return _write(e, number, latex=True)


def _write(e: Expr, number: Callable[[Number], str], latex: bool, where: str = "top") -> str:
    """``where`` says what the expression is part of: the right side of ``+``/``-``
    (``right``), a factor of ``×`` (``left``/``factor``), a denominator (``under``)."""
    if not isinstance(e, Op):
        s = number(e)
        if _negative(s) and where in ("right", "factor", "under"):
            return rf"\left({s}\right)" if latex and "frac" in s else f"({s})"
        return s
    k, args = e.kind, e.args

    def sub(x: Expr, w: str = "top") -> str:
        return _write(x, number, latex, w)

    def paren(s: str) -> str:
        return rf"\left({s}\right)" if latex and "frac" in s else f"({s})"

    if k in _ADDITIVE:
        return f"{sub(args[0], 'left')} {k} {sub(args[1], 'right')}"
    if k == "×":
        left, right = args
        ls = sub(left, "left")
        rs = sub(right, "factor")
        if isinstance(left, Op) and left.kind in _ADDITIVE:
            ls = paren(ls)
        if isinstance(right, Op) and right.kind in _ADDITIVE:
            rs = paren(rs)
        return f"{ls} \\times {rs}" if latex else f"{ls} × {rs}"
    if k == "/":
        top, bottom = args
        if latex:
            return rf"\frac{{{sub(top)}}}{{{sub(bottom)}}}"
        ts, bs = sub(top, "left"), sub(bottom, "under")
        if isinstance(top, Op) and top.kind in _ADDITIVE:
            ts = f"({ts})"
        if isinstance(bottom, Op) and bottom.kind in (*_ADDITIVE, "×", "/"):
            bs = f"({bs})"
        return f"{ts} / {bs}"
    if k == "exp":
        return f"e^{{{sub(args[0])}}}" if latex else f"e^({sub(args[0])})"
    if k == "abs":
        return rf"\lvert {sub(args[0])} \rvert" if latex else f"|{sub(args[0])}|"
    inner = ", ".join(sub(x) for x in args)
    name = _FUNCTIONS_TEX[k] if latex else k
    return f"{name}{paren(inner)}" if latex else f"{name}({inner})"
