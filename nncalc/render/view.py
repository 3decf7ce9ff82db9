"""The view models of ``forward`` and ``collapse``: what is shown, built once.

A view holds the values to show (floats, or Fractions with exact arithmetic), which
units and terms are shown and which are left out, each activation's worked steps, and
the sentences (verdicts, plurals, what did not fire). :mod:`nncalc.render.table` writes
a view as Rich tables, :mod:`nncalc.render.worked` as Markdown or LaTeX; each only
chooses how a number, a name and a formula look in its format (:class:`Numbers`).

Nothing is computed here that the engine computes: ``z`` and ``a`` come from a Trace
(or an exact one), the activation steps from :mod:`nncalc.steps`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Sequence

from nncalc.errors import plural
from nncalc.render.numbers import HEAD, MAX_TERMS, TAIL, fmt, shown_units
from nncalc.steps import Chain, LayerSteps, layer_steps, unit_steps

if TYPE_CHECKING:
    from nncalc import exact as exact_
    from nncalc.collapsing import Check, Collapse, WitnessSearch
    from nncalc.engine import Trace
    from nncalc.network import Layer, Network

MAX_NAMED = 10  # units named in a sentence before "and N more"


# ------------------------------------------------------------------------------ words


def named(numbers: Sequence[int]) -> str:
    """``1``, ``1 and 2``, ``1, 2 and 3``, ``1, …, 10 and 5 more``.

    >>> named([2]), named([1, 3, 4]), named(list(range(1, 14)))
    ('2', '1, 3 and 4', '1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 3 more')
    """
    shown = [str(n) for n in numbers[:MAX_NAMED]]
    more = len(numbers) - len(shown)
    if more:
        return ", ".join(shown) + f" and {more} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def more_inputs(total: int, shown: int) -> str | None:
    """The sentence after the worked inputs of a batch larger than what is shown."""
    if total <= shown:
        return None
    return f"… and {total - shown:,} more inputs, not shown here: --csv or --json print every output."


def firing(where: str, nout: int, dead: Sequence[int]) -> str:
    """Which ReLU units fired (z > 0) and which output 0; ``dead`` numbers from 1."""
    if not dead:
        everyone = "the unit" if nout == 1 else f"all {nout} units"
        return f"In {where}, {everyone} fired: z > 0, so ReLU passed z through."
    if len(dead) == nout == 1:
        return f"In {where}, z ≤ 0, so ReLU output 0: the unit did not fire for this input."
    many = len(dead) > 1
    return (
        f"In {where}, unit{'s' if many else ''} {named(dead)} had z ≤ 0, "
        f"so ReLU output 0: {'they' if many else 'it'} did not fire. "
        f"The other {nout - len(dead)} fired."
    )


def collapsed_verdict(before: int, shape: tuple[int, int]) -> str:
    """``2 linear layers = 1 linear layer (2×2)``."""
    size = f"({shape[0]}×{shape[1]})"
    if before == 1:
        return f"1 linear layer: already a single linear layer {size}"
    return f"{before} linear layers = 1 linear layer {size}"


def nonlinear_verdict(who: Sequence[str]) -> str:
    """Why a network is not one linear layer; ``who`` is each blocking layer as written."""
    many = len(who) > 1
    return f"Does not collapse to one linear layer: {'layers' if many else 'layer'} {', '.join(who)} {'are' if many else 'is'} nonlinear."


def reduction(before: int, after: int, merged: Sequence[str]) -> str:
    """What merging did: ``3 layers → 2 layers: merged a+b``."""
    what = f"merged {', '.join(merged)}" if merged else "no two linear layers are adjacent"
    return f"{plural(before, 'layer')} → {plural(after, 'layer')}: {what}"


def no_witness(search: WitnessSearch) -> str:
    return (
        f"No witness found: the network behaves linearly on every input tried "
        f"({search.pairs_tried:,} pairs around x, up to {fmt(max(search.scales), 3)}× its size away)."
    )


WITNESS_RULE = "every linear (affine) map f has f((x1+x2)/2) = (f(x1)+f(x2))/2"

# A sentence with maths in it: text, and maths as (text, LaTeX) pairs. Tables write the
# text forms; documents set the LaTeX as inline maths.
Mixed = list[Any]


def mixed_text(parts: Mixed) -> str:
    return "".join(p if isinstance(p, str) else p[0] for p in parts)


def shift_sentence(kind: str, m: str, m_tex: str | None = None) -> Mixed:
    """What the softmax block does and why: powers of ``z_i - m`` with ``m`` = max z."""
    m_tex = m_tex or m
    if kind == "softmax":
        return [
            "Softmax, step by step: each ",
            ("e^(z_i)", "e^{z_i}"),
            " is taken as ",
            ("e^(z_i - m)", "e^{z_i - m}"),
            ", with ",
            (f"m = max z = {m}", rf"m = \max_j z_j = {m_tex}"),
            ". This changes no quotient (",
            ("e^(-m)", "e^{-m}"),
            " cancels) and keeps every power at most 1, so none overflows.",
        ]
    return [
        "Log-softmax, step by step: ",
        ("a_i = (z_i - m) - ln Σ_j e^(z_j - m)", r"a_i = (z_i - m) - \ln \sum_j e^{z_j - m}"),
        ", with ",
        (f"m = max z = {m}", rf"m = \max_j z_j = {m_tex}"),
        ". This equals ",
        ("z_i - ln Σ_j e^(z_j)", r"z_i - \ln \sum_j e^{z_j}"),
        " and keeps every power at most 1, so none overflows.",
    ]


# ---------------------------------------------------------------------------- numbers


class Numbers(NamedTuple):
    """How one format writes a number: to ``precision`` significant digits, or exactly
    (a terminating decimal as a decimal, any other rational as a fraction)."""

    precision: int = 10
    exact: bool = False
    latex: bool = False

    def __call__(self, v: Any) -> str:
        if self.exact:
            from nncalc.exact import decimal

            s = decimal(v)
            if self.latex and "/" in s:
                n, d = s.lstrip("-").split("/")
                return ("-" if s.startswith("-") else "") + rf"\frac{{{n}}}{{{d}}}"
            return s
        s = fmt(v, self.precision)
        if self.latex and "e" in s:
            mantissa, exponent = s.split("e")
            return f"{mantissa} \\times 10^{{{int(exponent)}}}"
        return s

    def bracket(self, s: str) -> str:
        """A written number in brackets, tall ones (fractions in LaTeX) in tall brackets."""
        return rf"\left({s}\right)" if self.latex and "\\frac" in s else f"({s})"

    def fraction(self, v: Any) -> str:
        """``7/25`` (``\\frac{7}{25}`` in LaTeX): the exact value as a fraction."""
        from fractions import Fraction

        q = Fraction(v)
        if self.latex and q.denominator != 1:
            return ("-" if q < 0 else "") + rf"\frac{{{abs(q.numerator)}}}{{{q.denominator}}}"
        return str(q)

    def rounded(self, v: Any) -> str:
        """An exact value to ``precision`` digits, as the float path shows it."""
        return Numbers(self.precision, False, self.latex)(float(v))


# ---------------------------------------------------------------------------- forward


class UnitView(NamedTuple):
    """One shown unit: its weights and bias, ``z``, ``a`` and the activation's steps."""

    j: int  # from 0
    w: Sequence[Any]
    b: Any | None  # None: the layer has no bias
    z: Any
    a: Any
    chain: Chain | None


@dataclass(eq=False)
class LayerView:
    k: int  # from 1
    layer: Layer
    x: Sequence[Any]  # what the layer multiplies: the input or the previous a
    units: list[UnitView]
    hidden: int  # units left out, shown as one gap before ``gap_at``
    gap_at: int | None
    z: Sequence[Any]
    a: Sequence[Any]
    brief: bool
    softmax: LayerSteps | None = None

    @property
    def expanded(self) -> bool:
        """Whether the activation is worked out (not linear, not --brief)."""
        return not self.brief and not self.layer.activation.is_identity

    def sum_parts(self) -> tuple[list[int], int]:
        """Which powers the softmax sum writes out, and how many it leaves out between."""
        n = len(self.z)
        if n <= MAX_TERMS:
            return list(range(n)), 0
        return [*range(HEAD), *range(n - TAIL, n)], n - HEAD - TAIL


@dataclass(eq=False)
class InputView:
    i: int  # from 0
    x: Sequence[Any]
    layers: list[LayerView]
    output: Sequence[Any]
    firing: list[str] = field(default_factory=list)


class ForwardView(NamedTuple):
    net: Network
    inputs: list[InputView]
    total: int
    exact: bool
    more: str | None


def forward_view(
    net: Network,
    trace: Trace,
    show_all: bool = False,
    total: int | None = None,
    brief: bool = False,
    exact: exact_.Trace | None = None,
) -> ForwardView:
    """What ``forward`` shows for each input of ``trace`` (or of ``exact``, which then
    supplies every value as a Fraction)."""
    values = exact if exact is not None else trace
    n = len(values.x)
    total = total or n
    if exact is not None:
        from nncalc.exact import layer_params

        params = [layer_params(layer) for layer in net.layers]
    else:
        params = [(layer.W, layer.b) for layer in net.layers]
    inputs = []
    for i in range(n):
        layers = []
        for k, (layer, lt, (W, b)) in enumerate(zip(net.layers, values.layers, params), 1):
            x, z, a = values.inputs_to(k - 1)[i], lt.z[i], lt.a[i]
            units, hidden = shown_units(layer.nout, show_all)
            act = layer.activation
            expand = not brief and not act.is_identity
            rows = [
                UnitView(
                    j,
                    W[j],
                    b[j] if layer.has_bias else None,
                    z[j],
                    a[j],
                    unit_steps(act, z[j], a[j]) if expand else None,
                )
                for j in units
            ]
            softmax = layer_steps(act, z, a) if expand and exact is None else None
            gap_at = units[len(units) // 2] if hidden else None
            layers.append(LayerView(k, layer, x, rows, hidden, gap_at, z, a, brief, softmax))
        view = InputView(i, values.x[i], layers, values.output[i])
        for lv in layers:
            if lv.layer.activation.name == "relu":
                dead = [j + 1 for j, v in enumerate(lv.z) if v <= 0]
                view.firing.append(firing(f"layer {lv.k} ({lv.layer.name})", lv.layer.nout, dead))
        inputs.append(view)
    return ForwardView(net, inputs, total, exact is not None, more_inputs(total, n))


# --------------------------------------------------------------------------- collapse


class MergeView(NamedTuple):
    """One run of linear layers merged into one: its products and W', b'."""

    group: tuple[int, ...]
    layer: Layer  # the reduced layer
    products: Sequence[Any]  # Product or exact Product: left, right, result
    W: Any
    b: Any | None
    small: list[bool]  # per product: written out entry by entry


class WitnessView(NamedTuple):
    x1: Sequence[Any]
    x2: Sequence[Any]
    midpoint_output: Sequence[Any]
    average_output: Sequence[Any]
    gap: Any


class CollapseView(NamedTuple):
    c: Collapse
    merges: list[MergeView]
    x: Sequence[Any]
    layered_trace: Any  # Trace or exact Trace, one input
    collapsed_trace: Any
    reduced: Network  # with exact W', b' when exact
    difference: Any
    search: WitnessSearch | None
    witness: WitnessView | None
    exact: bool

    @property
    def before(self) -> int:
        return len(self.c.original.layers)

    @property
    def after(self) -> int:
        return len(self.c.reduced.layers)

    @property
    def layered(self) -> Sequence[Any]:
        return self.layered_trace.output[0]

    @property
    def collapsed(self) -> Sequence[Any]:
        return self.collapsed_trace.output[0]

    def merged_names(self) -> list[str]:
        return [layer.name for g, layer in zip(self.c.groups, self.c.reduced.layers) if len(g) > 1]

    def blocking(self) -> list[Layer]:
        return [layer for layer in self.c.original.layers if layer.name in self.c.blocking]


SMALL_PRODUCT = 4  # products of matrices up to 4x4 are written out entry by entry


def collapse_view(
    c: Collapse, chk: Check, search: WitnessSearch | None, exact: exact_.Collapse | None = None
) -> CollapseView:
    """What ``collapse`` shows: each merge, both paths on one input, the verdict."""
    merges = []
    products = exact.products if exact is not None else c.products
    reduced = exact.reduced if exact is not None else c.reduced
    for group, layer, steps in zip(c.groups, reduced.layers, products):
        if len(group) < 2:
            continue
        W, b = layer.exact if exact is not None else (layer.W, layer.b)
        small = [max(*p.left.shape, *p.right.shape) <= SMALL_PRODUCT for p in steps]
        merges.append(MergeView(tuple(group), layer, steps, W, b if layer.has_bias else None, small))
    if exact is not None:
        w = exact.witness
        witness = WitnessView(w.x1, w.x2, w.midpoint_output, w.average_output, w.gap) if w is not None else None
        return CollapseView(
            c, merges, exact.layered.x[0], exact.layered, exact.collapsed, reduced, exact.difference, search, witness, True
        )
    w = search.witness if search is not None else None
    witness = WitnessView(w.x1, w.x2, w.midpoint_output, w.average_output, w.gap) if w is not None else None
    return CollapseView(
        c, merges, chk.input, chk.layered_trace, chk.collapsed_trace, reduced, chk.max_abs_diff, search, witness, False
    )


def product_terms(p: Any, r: int, c: int, number: Callable[[Any], str]) -> list[str]:
    """Entry (r, c) of ``p.left @ p.right`` as its products, as the seed writes it."""
    put = getattr(number, "bracket", lambda s: f"({s})")
    return [put(number(p.left[r, t])) + put(number(p.right[t, c])) for t in range(p.left.shape[1])]
