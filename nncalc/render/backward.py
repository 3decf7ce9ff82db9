"""The backward pass for people: one view model, written as Rich tables, Markdown, LaTeX
and the ``--json`` record.

:func:`build` turns the engine's results (a :class:`~nncalc.backward.Gradients`, and the
step, the training run and the gradient check when asked for) into a
:class:`BackwardView`: the sentences and every chain-rule term, written out once as
expressions of numbers and symbols. :func:`print_tables`, :func:`document` (blocks for
:mod:`nncalc.render.document`) and :func:`record` only write that view; none of them
computes a result. The few intermediate numbers a worked line shows on its way to a
result (``1 - a`` in ``a(1 - a) = 0.75 × 0.25``) are formatted from the same values.
"""

# No `from __future__ import annotations`: NamedTuple would compile every string
# annotation at import, which costs the command line's start-up more than the module.
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Sequence, Union

import numpy as np

from nncalc.backward import GradCheck, Gradients, Training
from nncalc.network import Layer, Network
from nncalc.render.numbers import HEAD, MAX_TERMS, TAIL, fmt, shown_units

if TYPE_CHECKING:
    from rich.table import Table
    from rich.console import Console

    from nncalc.render.document import Block

from nncalc.batches import MAX_SHOWN_INPUTS  # noqa: E402 (a batch's first inputs are worked out)
from nncalc.errors import plural as _plural
MAX_COLUMNS = 8  # update tables show this many weight columns of a wide layer
MAX_STEPS_SHOWN = 20  # a longer --steps table shows its first and last rows
MAX_WORST = 5  # the gradient check lists this many of its largest errors


# ----------------------------------------------------------------------- expressions
# A worked line is a tuple of tokens: numbers, symbols (with their text and LaTeX
# spellings), and gaps where a long sum is shortened. Each renderer spells them its way.


class Num(NamedTuple):
    value: float
    bracket: bool = False  # written (-0.3) when negative, as a factor
    digits: int = 0  # significant digits; 0 for the precision asked for


class Symbol(NamedTuple):
    text: str
    tex: str


def Sym(text: str, tex: str = "") -> Symbol:  # noqa: N802 (reads as a constructor)
    """A symbol, spelt ``text`` in tables and ``tex`` in LaTeX (the same by default)."""
    return Symbol(text, tex or text)


class Gap(NamedTuple):
    hidden: int  # terms left out


Token = Union[Num, Symbol, Gap]
Expr = tuple  # tuple[Token, ...]
# A sentence: prose (str) with maths in it (Symbol, Num), written as text or as a
# paragraph with inline LaTeX.
Sentence = tuple  # tuple[str | Symbol | Num, ...]

EQ = Sym(" = ")
PLUS = Sym(" + ")
MINUS = Sym(" − ", " - ")
TIMES = Sym(" × ", r" \times ")
LP, RP = Sym("("), Sym(")")
NEG = Sym("−", "-")


def text(e: Expr, precision: int = 10) -> str:
    """An expression (or a sentence) as plain text, numbers as :func:`fmt` writes them."""
    out = []
    for tok in e:
        if isinstance(tok, str):
            out.append(tok)
        elif isinstance(tok, Num):
            s = fmt(tok.value, tok.digits or precision)
            out.append(f"({s})" if tok.bracket and s.startswith("-") else s)
        elif isinstance(tok, Gap):
            out.append(f"… {tok.hidden} more terms …")
        else:
            out.append(tok.text)
    return "".join(out)


def tex(e: Expr, precision: int = 10) -> str:
    """An expression as LaTeX maths."""
    from nncalc.render.worked import tex_number

    out = []
    for tok in e:
        if isinstance(tok, Num):
            s = tex_number(tok.value, tok.digits or precision)
            out.append(f"({s})" if tok.bracket and s.startswith("-") else s)
        elif isinstance(tok, Gap):
            out.append(rf"\underbrace{{\cdots}}_{{\text{{{tok.hidden} more}}}}")
        else:
            out.append(tok.tex)
    return "".join(out)


def paragraph(sentence: Sentence, precision: int = 10):  # type: ignore[no-untyped-def]
    """A sentence as a document paragraph, its maths inline."""
    from nncalc.render.document import Math, Para

    parts: list = []
    for p in sentence:
        if isinstance(p, str):
            parts.append(p)
        else:
            maths = tex((p,), precision)
            if parts and isinstance(parts[-1], Math):  # one maths span, not two touching
                parts[-1] = Math(parts[-1].tex + maths)
            else:
                parts.append(Math(maths))
    return Para(*parts)


def _shorten(terms: list[Expr], joiner: Symbol = PLUS) -> Expr:
    """Terms joined by ``joiner``; more than MAX_TERMS keep their first and last few."""
    if len(terms) > MAX_TERMS:
        terms = [*terms[:HEAD], (Gap(len(terms) - HEAD - TAIL),), *terms[-TAIL:]]
    out: list[Token] = []
    for i, t in enumerate(terms):
        if i:
            out.append(joiner)
        out.extend(t)
    return tuple(out)


def _product(*values: float) -> Expr:
    """``(a)(b)`` as the seed writes a product of terms."""
    return tuple(tok for v in values for tok in (LP, Num(v), RP))


def _equals(e: Expr, value: float) -> Expr:
    return (*e, EQ, Num(value))


# ------------------------------------------------------------------- the view model


class UnitRow(NamedTuple):
    """One unit of one layer for one input: every chain-rule term, written out."""

    unit: int  # from 1
    upstream: Expr  # ∂L/∂a
    local: Expr | None  # σ'(z) (None where δ is a product with the whole Jacobian)
    delta: Expr  # ∂L/∂z
    grad_b: Expr | None  # ∂L/∂b = δ (None for a layer without a bias)
    grad_W: tuple[Expr, ...]  # ∂L/∂W_ij = δ_i a_j for the columns shown (one input only)


class SumRow(NamedTuple):
    """``∂L/∂a_prev_j = Σ_i W_ij δ_i``, term by term, for one unit j below."""

    unit: int
    expr: Expr


class Formulas(NamedTuple):
    """A layer's formulas, each as (text, LaTeX)."""

    upstream: Symbol
    local: Symbol | None
    delta: Symbol


class LayerPart(NamedTuple):
    """One layer of one input's backward pass."""

    index: int  # from 1
    layer: Layer
    formulas: Formulas
    note: Sentence  # how δ is formed here, where that needs saying
    dot: Expr | None  # softmax's Σ_j g_j a_j, log_softmax's Σ_j g_j
    rows: tuple[UnitRow, ...]
    hidden: int  # units left out between the first and last rows shown
    columns: int  # columns of ∂L/∂W shown (0 for an input of a batch: see the means)
    hidden_columns: int
    handed: tuple[SumRow, ...]
    handed_hidden: int
    handed_to: str  # "layer 1 (hidden)" or "the input x"


class InputPart(NamedTuple):
    """One input's worked backward pass, the last layer first."""

    number: int  # from 1
    x: np.ndarray
    target: np.ndarray
    loss: Expr  # the loss, term by term = its value
    layers: tuple[LayerPart, ...]


class MeanPart(NamedTuple):
    """A layer's gradients of the batch's mean loss: each entry as (1/N)(Σ_n terms)."""

    index: int
    layer: Layer
    grad_W: tuple[tuple[Expr, ...], ...]  # rows shown × columns shown
    grad_b: tuple[Expr, ...] | None
    rows: tuple[int, ...]  # unit numbers shown (from 1)
    hidden_rows: int
    columns: int  # columns shown
    hidden_columns: int


class UpdatePart(NamedTuple):
    """One layer's step: ``w⁺ = w − η g = new`` entry by entry."""

    index: int
    layer: Layer
    W: tuple[tuple[Expr, ...], ...]
    b: tuple[Expr, ...] | None
    rows: tuple[int, ...]
    hidden_rows: int
    columns: int
    hidden_columns: int


class CheckRow(NamedTuple):
    parameter: str  # "layer 'hidden' W[2,1]"
    backward: float
    numeric: float
    error: float


class BackwardView(NamedTuple):
    """Everything the backward command shows, in the order it shows it."""

    net: Network
    grads: Gradients
    title: str
    loss_sentence: Sentence
    inputs: tuple[InputPart, ...]
    total: int  # inputs in the batch
    batch_loss: Expr | None  # L = (1/N)(L_1 + ... ) = mean, for a batch
    means: tuple[MeanPart, ...]  # for a batch
    lr: float | None = None
    new_net: Network | None = None
    updates: tuple[UpdatePart, ...] = ()
    training: Training | None = None
    steps: tuple[tuple[int, float], ...] = ()  # (step, loss) rows shown
    steps_hidden: int = 0
    check: GradCheck | None = None
    check_rows: tuple[CheckRow, ...] = ()
    sentences: tuple[Sentence, ...] = ()  # remarks after the step
    update_sentence: Sentence = ()
    after_sentence: Sentence = ()
    check_sentences: tuple[Sentence, ...] = ()


# --------------------------------------------------------------------------- building


def _sub(symbol: str, i: int) -> str:
    return f"{symbol}_{i}" if i < 10 else f"{symbol}_{{{i}}}"


def _loss_expr(name: str, a: np.ndarray, t: np.ndarray, value: float) -> Expr:
    """One input's loss written term by term, ``E = ½(t − a)² + … = value``."""
    k = len(a)
    if name == "half-sse":
        terms = [(Sym("½(", r"\tfrac{1}{2}("), Num(tk), MINUS, Num(ak, True), Sym(")²", ")^2")) for tk, ak in zip(t, a)]
        return _equals(_shorten(terms), value)
    if name == "mse":
        terms = [(LP, Num(ak), MINUS, Num(tk, True), Sym(")²", ")^2")) for tk, ak in zip(t, a)]
        body = _shorten(terms)
        return _equals((Sym("["), *body, Sym(f"] / {k}", rf"] / {k}")) if k > 1 else body, value)
    if name == "bce":
        ln = Sym(" ln ", r" \ln ")
        terms = [
            (Num(tk), ln, Num(ak), PLUS, Sym("(1 − ", "(1 - "), Num(tk), Sym(") ln(1 − ", r") \ln(1 - "), Num(ak), RP)
            for tk, ak in zip(t, a)
        ]
        body = _shorten(terms)
        return _equals((Sym("−[", "-["), *body, Sym("]" + (f" / {k}" if k > 1 else ""))), value)
    # cross-entropy and nll: only the units with a target add anything
    nonzero = [j for j in range(k) if t[j] != 0]
    if name == "cross-entropy":
        terms = [
            ((Sym("ln ", r"\ln "), Num(a[j])) if t[j] == 1 else (Num(t[j]), Sym(" ln ", r" \ln "), Num(a[j])))
            for j in nonzero
        ]
    else:
        terms = [((Num(a[j], True),) if t[j] == 1 else (Num(t[j]), TIMES, Num(a[j], True))) for j in nonzero]
    if not terms:
        return (Num(0.0),)
    body = _shorten(terms)
    return _equals((NEG, Sym("["), *body, Sym("]")) if len(terms) > 1 else (NEG, *body), value)


_LOSS_FORMULAS = {
    "mse": Sym("E = (1/K) Σ_k (a_k − t_k)²", r"E = \tfrac{1}{K} \textstyle\sum_k (a_k - t_k)^2"),
    "half-sse": Sym("E = ½ Σ_k (t_k − a_k)²", r"E = \tfrac{1}{2} \textstyle\sum_k (t_k - a_k)^2"),
    "bce": Sym(
        "E = −(1/K) Σ_k [t_k ln a_k + (1 − t_k) ln(1 − a_k)]",
        r"E = -\tfrac{1}{K} \textstyle\sum_k \left[t_k \ln a_k + (1 - t_k) \ln(1 - a_k)\right]",
    ),
    "cross-entropy": Sym("E = −Σ_k t_k ln a_k", r"E = -\textstyle\sum_k t_k \ln a_k"),
    "nll": Sym("E = −Σ_k t_k a_k", r"E = -\textstyle\sum_k t_k a_k"),
}


def _upstream_formula(loss: str, k: int) -> Symbol:
    return {
        "half-sse": Sym("−(t − a)", "-(t - a)"),
        "mse": Sym(f"2(a − t) / {k}", f"2(a - t) / {k}"),
        "bce": Sym("(a − t) / (a(1 − a))" + (f" / {k}" if k > 1 else ""), r"\frac{a - t}{a(1 - a)}" + (f" / {k}" if k > 1 else "")),
        "cross-entropy": Sym("−t / a", r"-t / a"),
        "nll": Sym("−t", "-t"),
    }[loss]


def _upstream_last(loss: str, a: float, t: float, value: float, k: int) -> Expr:
    if loss == "half-sse":
        e: Expr = (NEG, LP, Num(t), MINUS, Num(a, True), RP)
    elif loss == "mse":
        e = (Sym("2("), Num(a), MINUS, Num(t, True), Sym(f") / {k}"))
    elif loss == "bce":
        e = (LP, Num(a), MINUS, Num(t, True), Sym(") / ("), Num(a), TIMES, Num(1.0 - a), RP) + ((Sym(f" / {k}"),) if k > 1 else ())
    elif loss == "cross-entropy":
        e = (NEG, Num(t), Sym(" / "), Num(a))
    else:
        e = (NEG, Num(t, True))
    return _equals(e, value)


def _local_formula(act) -> Symbol | None:  # type: ignore[no-untyped-def]
    name = act.name
    kw = act.kwargs
    if name == "hard_sigmoid" and kw:  # ONNX's, with a slope and an offset of its own
        from nncalc.render.worked import shortest_tex

        alpha, beta = kw["alpha"], kw["beta"]
        sign = "−" if beta < 0 else "+"
        a_text, b_text = repr(alpha), repr(abs(beta))  # every digit, as the spec or the model holds them
        a_tex, b_tex = shortest_tex(alpha), shortest_tex(abs(beta))
        return Sym(
            f"{a_text} if 0 < {a_text}z {sign} {b_text} < 1, else 0",
            rf"{a_tex} \text{{ if }} 0 < {a_tex} z {sign.replace('−', '-')} {b_tex} < 1 \text{{, else }} 0",
        )
    return {
        "sigmoid": Sym("a(1 − a)", "a(1 - a)"),
        "tanh": Sym("1 − a²", "1 - a^2"),
        "relu": Sym("1 if z > 0, else 0", r"1 \text{ if } z > 0 \text{, else } 0"),
        "leaky_relu": Sym(f"1 if z > 0, else α = {kw.get('alpha', 0):g}", rf"1 \text{{ if }} z > 0 \text{{, else }} \alpha = {kw.get('alpha', 0):g}"),
        "linear": Sym("1"),
        "elu": Sym("1 if z > 0, else α e^z", r"1 \text{ if } z > 0 \text{, else } \alpha e^z"),
        "selu": Sym("λ if z > 0, else λα e^z", r"\lambda \text{ if } z > 0 \text{, else } \lambda\alpha e^z"),
        "gelu": Sym("Φ(z) + z φ(z)", r"\Phi(z) + z \varphi(z)"),
        "gelu_tanh": Sym("d/dz of z/2 (1 + tanh(√(2/π)(z + 0.044715 z³)))", r"\tfrac{d}{dz} \tfrac{z}{2}\left(1 + \tanh\left(\sqrt{2/\pi}(z + 0.044715 z^3)\right)\right)"),
        "silu": Sym("σ(z)(1 + z(1 − σ(z)))", r"\sigma(z)(1 + z(1 - \sigma(z)))"),
        "softplus": Sym("σ(βz), or 1 where βz > threshold", r"\sigma(\beta z) \text{, or 1 where } \beta z > \text{threshold}"),
        "mish": Sym("tanh(s) + z σ(z)(1 − tanh² s), s = ln(1 + e^z)", r"\tanh s + z \sigma(z)(1 - \tanh^2 s),\ s = \ln(1 + e^z)"),
        "softsign": Sym("1 / (1 + |z|)²", r"1 / (1 + |z|)^2"),
        "hard_sigmoid": Sym("1/6 if −3 < z < 3, else 0", r"\tfrac{1}{6} \text{ if } -3 < z < 3 \text{, else } 0"),
        "hard_swish": Sym(
            "0 if z ≤ −3, z/3 + 1/2 if −3 < z < 3, else 1",
            r"0 \text{ if } z \le -3 \text{, } \tfrac{z}{3} + \tfrac{1}{2} \text{ if } -3 < z < 3 \text{, else } 1",
        ),
        "hard_tanh": Sym(
            f"1 if {kw.get('min_val', -1):g} < z < {kw.get('max_val', 1):g}, else 0",
            rf"1 \text{{ if }} {kw.get('min_val', -1):g} < z < {kw.get('max_val', 1):g} \text{{, else }} 0",
        ),
    }.get(name)


def _local_expr(act, z: float, a: float, value: float) -> Expr:  # type: ignore[no-untyped-def]
    """σ'(z) for one unit, with its formula's numbers where the formula is short."""
    name = act.name
    kw = act.kwargs
    if name == "sigmoid":
        return _equals((Num(a), TIMES, Num(1.0 - a)), value)
    if name == "tanh":
        return _equals((Sym("1 − ", "1 - "), LP, Num(a), Sym(")²", ")^2")), value)
    if name in ("relu", "leaky_relu", "elu", "selu"):
        side = Sym(" (z > 0)", r"\ (z > 0)") if z > 0 else Sym(" (z ≤ 0)", r"\ (z \le 0)")
        if name == "elu" and z <= 0:
            return (Num(kw["alpha"]), Sym(" e^(", r" e^{"), Num(z), Sym(")", "}"), EQ, Num(value), side)
        return (Num(value), side)
    if name == "softsign":
        return _equals((Sym("1 / (1 + "), Num(abs(z)), Sym(")²", ")^2")), value)
    if name in ("hard_sigmoid", "hard_tanh"):
        inside = value != 0
        return (Num(value), Sym(" (inside)" if inside else " (outside)", r"\ (\text{inside})" if inside else r"\ (\text{outside})"))
    return (Num(value),)


_G = Sym("g = ∂L/∂a", r"g = \partial L / \partial a")


def _note(layer: Layer, fused: bool) -> tuple[Symbol, Sentence]:
    act = layer.activation
    if fused:
        return (
            Sym("a − t", "a - t"),
            (
                "Softmax with cross-entropy: ", Sym("δ = ∂L/∂z = a − t", r"\delta = \partial L / \partial z = a - t"),
                " (the Jacobian of softmax times ", Sym("−t/a", "-t/a"), ", simplified; ",
                Sym("a Σ_j t_j − t", r"a \textstyle\sum_j t_j - t"), " for targets that do not sum to 1).",
            ),
        )
    if act.name == "softmax":
        formula = Sym("a_i (g_i − Σ_j g_j a_j)", r"a_i \left(g_i - \textstyle\sum_j g_j a_j\right)")
        return formula, (
            "Softmax acts on the whole layer: ", Sym("δ", r"\delta"), " is ", _G, " times its whole Jacobian, ",
            Sym("δ_i = ", r"\delta_i = "), formula, ", not g times the Jacobian's diagonal alone.",
        )
    if act.name == "log_softmax":
        formula = Sym("g_i − e^(a_i) Σ_j g_j", r"g_i - e^{a_i} \textstyle\sum_j g_j")
        return formula, (
            "Log-softmax acts on the whole layer: ", Sym("δ", r"\delta"), " is ", _G, " times its whole Jacobian, ",
            Sym("δ_i = ", r"\delta_i = "), formula, ", where ", Sym("e^(a_i)", "e^{a_i}"), " is softmax's output.",
        )
    return Sym("∂L/∂a × σ'(z)", r"\frac{\partial L}{\partial a} \, \sigma'(z)"), ()


def _layer_part(net: Network, grads: Gradients, k: int, n: int, show_all: bool, single: bool) -> LayerPart:
    from nncalc.backward import local_derivative

    layer = net.layers[k]
    lg = grads.layers[k]
    lt = grads.trace.layers[k]
    last = k == len(net.layers) - 1
    fused = last and grads.fused
    act = layer.activation
    z, a, g, delta = lt.z[n], lt.a[n], lg.upstream[n], lg.delta[n]
    a_prev = grads.trace.inputs_to(k)[n]
    t = grads.target[n]
    local = None if fused else local_derivative(layer, z)
    delta_formula, note = _note(layer, fused)
    if last:
        upstream_formula = _upstream_formula(grads.loss_name, layer.nout)
    else:
        upstream_formula = Sym(f"from layer {k + 2}", rf"\text{{from layer {k + 2}}}")
    local_formula = None if local is None else _local_formula(act)
    if local_formula is None and local is not None:
        local_formula = Sym("σ'(z)", r"\sigma'(z)")

    dot: Expr | None = None
    if not fused and act.name == "softmax":
        s = float(np.dot(g, a))
        terms = [_product(gj, aj) for gj, aj in zip(g, a)]
        dot = (Sym("Σ_j g_j a_j = ", r"\textstyle\sum_j g_j a_j = "), *_equals(_shorten(terms), s))
    elif not fused and act.name == "log_softmax":
        s = float(np.sum(g))
        terms = [(Num(gj, True),) for gj in g]
        dot = (Sym("Σ_j g_j = ", r"\textstyle\sum_j g_j = "), *_equals(_shorten(terms), s))

    units, hidden = shown_units(layer.nout, show_all)
    columns = (layer.nin if show_all else min(layer.nin, MAX_COLUMNS)) if single else 0
    rows = []
    for i in units:
        if last:
            up = _upstream_last(grads.loss_name, a[i], t[i], g[i], layer.nout)
        else:
            up = (Num(g[i]),)
        if fused:
            d: Expr = _equals((Num(a[i]), MINUS, Num(t[i], True)), delta[i])
            if t.sum() != 1.0:
                d = _equals((Num(a[i]), TIMES, Num(float(t.sum())), MINUS, Num(t[i], True)), delta[i])
            loc = None
        elif local is not None:
            d = _equals((Num(g[i], True), TIMES, Num(local[i], True)), delta[i])
            loc = _local_expr(act, z[i], a[i], local[i])
        elif act.name == "softmax":
            d = _equals((Num(a[i]), Sym(" × (", r" \times ("), Num(g[i]), MINUS, Num(float(np.dot(g, a)), True), RP), delta[i])
            loc = None
        else:  # log_softmax
            d = _equals((Num(g[i]), MINUS, Sym("e^(", "e^{"), Num(a[i]), Sym(")", "}"), TIMES, Num(float(np.sum(g)), True)), delta[i])
            loc = None
        grad_W = tuple(_equals(_product(delta[i], a_prev[j]), lg.grad_W[i, j]) for j in range(columns))
        gb = (Num(lg.grad_b[i] if single else delta[i]),) if layer.has_bias else None
        rows.append(UnitRow(i + 1, up, loc, d, gb, grad_W))

    handed: list[SumRow] = []
    handed_hidden = 0
    if lg.grad_input is not None:
        below, handed_hidden = shown_units(layer.nin, show_all)
        for j in below:
            terms = [_product(layer.W[i, j], delta[i]) for i in range(layer.nout)]
            handed.append(SumRow(j + 1, _equals(_shorten(terms), lg.grad_input[n, j])))
    handed_to = "the input x" if k == 0 else f"layer {k} ({net.layers[k - 1].name})"
    return LayerPart(
        k + 1, layer, Formulas(upstream_formula, local_formula, delta_formula), note, dot,
        tuple(rows), hidden, columns, layer.nin - columns if single else 0, tuple(handed), handed_hidden, handed_to,
    )


def _mean_part(net: Network, grads: Gradients, k: int, show_all: bool) -> MeanPart:
    layer = net.layers[k]
    lg = grads.layers[k]
    delta = lg.delta
    a_prev = grads.trace.inputs_to(k)
    n = len(delta)
    units, hidden = shown_units(layer.nout, show_all)
    cols = layer.nin if show_all else min(layer.nin, MAX_COLUMNS)
    if n > MAX_TERMS:
        which = [*range(HEAD), *range(n - TAIL, n)]
    else:
        which = list(range(n))

    def mean_of(values: list[Expr], result: float) -> Expr:
        body = list(values)
        if n > MAX_TERMS:
            body = [*values[:HEAD], (Gap(n - HEAD - TAIL),), *values[HEAD:]]
        joined: list[Token] = []
        for i, v in enumerate(body):
            if i:
                joined.append(PLUS)
            joined.extend(v)
        return (Sym(f"(1/{n})(", rf"\tfrac{{1}}{{{n}}}("), *joined, RP, EQ, Num(result))

    W_rows = []
    b_rows = []
    for i in units:
        W_rows.append(tuple(mean_of([_product(delta[m, i], a_prev[m, j]) for m in which], lg.grad_W[i, j]) for j in range(cols)))
        if layer.has_bias:
            b_rows.append(mean_of([(Num(delta[m, i], True),) for m in which], lg.grad_b[i]))
    return MeanPart(
        k + 1, layer, tuple(W_rows), tuple(b_rows) if layer.has_bias else None,
        tuple(i + 1 for i in units), hidden, cols, layer.nin - cols,
    )


def _update_part(net: Network, new: Network, grads: Gradients, k: int, lr: float, show_all: bool) -> UpdatePart:
    layer, after, lg = net.layers[k], new.layers[k], grads.layers[k]
    units, hidden = shown_units(layer.nout, show_all)
    cols = layer.nin if show_all else min(layer.nin, MAX_COLUMNS)

    def entry(w: float, g: float, result: float) -> Expr:
        return (Num(w), MINUS, Num(lr), TIMES, Num(g, True), EQ, Num(result))

    W = tuple(tuple(entry(layer.W[i, j], lg.grad_W[i, j], after.W[i, j]) for j in range(cols)) for i in units)
    b = tuple(entry(layer.b[i], lg.grad_b[i], after.b[i]) for i in units) if layer.has_bias else None
    return UpdatePart(k + 1, layer, W, b, tuple(i + 1 for i in units), hidden, cols, layer.nin - cols)


def _steps_shown(losses: Sequence[float]) -> tuple[tuple[tuple[int, float], ...], int]:
    rows = list(enumerate(losses))
    if len(rows) <= MAX_STEPS_SHOWN:
        return tuple(rows), 0
    half = MAX_STEPS_SHOWN // 2
    return tuple(rows[:half] + rows[-half:]), len(rows) - 2 * half


def parameter_name(net: Network, k: int, kind: str, row: int, col: int) -> str:
    """``layer 'hidden' W[2,1]`` (numbered from 1), ``layer 'hidden' b[2]``."""
    where = f"layer '{net.layers[k].name}'"
    return f"{where} W[{row + 1},{col + 1}]" if kind == "W" else f"{where} b[{row + 1}]"


def _check_rows(net: Network, grads: Gradients, check: GradCheck) -> tuple[CheckRow, ...]:
    """The parameters with the largest relative errors, not counting those at kinks."""
    entries = []
    for k, (lc, lg) in enumerate(zip(check.layers, grads.layers)):
        for kind, err, num, ana, crossed in (
            ("W", lc.error_W, lc.numeric_W, lg.grad_W, lc.crossed_W),
            ("b", lc.error_b, lc.numeric_b, lg.grad_b, lc.crossed_b),
        ):
            if err is None:
                continue
            flat = np.where(crossed, -1.0, err).ravel()
            top = np.argsort(-flat, kind="stable")[:MAX_WORST]
            for p in top:
                if flat[p] < 0:
                    continue
                row, col = (divmod(int(p), err.shape[1]) if kind == "W" else (int(p), -1))
                entries.append((float(flat[p]), parameter_name(net, k, kind, row, col), float(np.ravel(ana)[p]), float(np.ravel(num)[p])))
    entries.sort(key=lambda e: -e[0])
    return tuple(CheckRow(name, b, n, e) for e, name, b, n in entries[:MAX_WORST])


def build(
    net: Network,
    grads: Gradients,
    *,
    total: int | None = None,
    show_all: bool = False,
    lr: float | None = None,
    training: Training | None = None,
    check: GradCheck | None = None,
    shown: int = MAX_SHOWN_INPUTS,
) -> BackwardView:
    """The view of a backward pass: the first ``shown`` inputs worked out, the batch's
    mean gradients, and the step, training run and check when given.

    ``training`` holds the network after its steps (one step: the updated weights).
    """
    from nncalc import losses as loss_functions

    n = len(grads.trace.x)
    total = total or n
    single = n == 1
    d = loss_functions.get(grads.loss_name)
    loss_sentence: Sentence = (
        f"Loss: {d.name}, ", _LOSS_FORMULAS[d.name], " for each input",
        *((", and ", Sym("L", "L"), f" the mean of E over the {total:,} inputs") if total > 1 else ()),
        f" (in PyTorch: {loss_functions.pytorch_for(d, net.layers[-1].activation)}).",
    )
    title = f"Backward pass: {net.name or net.source}"
    parts = []
    lt = grads.trace.layers[-1]
    for m in range(min(n, shown)):
        loss = _loss_expr(d.name, lt.a[m], grads.target[m], float(grads.losses[m]))
        layers = tuple(_layer_part(net, grads, k, m, show_all, single) for k in range(len(net.layers) - 1, -1, -1))
        parts.append(InputPart(m + 1, grads.trace.x[m], grads.target[m], loss, layers))

    batch_loss = None
    means: tuple[MeanPart, ...] = ()
    if n > 1:
        terms = [(Num(v),) for v in grads.losses]
        batch_loss = (Sym(f"(1/{n})(", rf"\tfrac{{1}}{{{n}}}("), *_shorten(terms), RP, EQ, Num(grads.loss))
        means = tuple(_mean_part(net, grads, k, show_all) for k in range(len(net.layers) - 1, -1, -1))

    new_net = training.net if training is not None else None
    updates: tuple[UpdatePart, ...] = ()
    steps: tuple[tuple[int, float], ...] = ()
    steps_hidden = 0
    sentences: list[Sentence] = []
    update: Sentence = ()
    after: Sentence = ()
    if training is not None and lr is not None:
        if len(training.losses) == 2:
            updates = tuple(_update_part(net, new_net, grads, k, lr, show_all) for k in range(len(net.layers) - 1, -1, -1))
        steps, steps_hidden = _steps_shown(training.losses)
        if any(not layer.has_bias for layer in net.layers):
            names = ", ".join(f"'{l.name}'" for l in net.layers if not l.has_bias)
            sentences.append((f"Layers without a bias keep none: {names}.",))
        update, after = _training_sentences(training, lr)
    check_rows = _check_rows(net, grads, check) if check is not None else ()
    checked = check_sentences(net, grads, check) if check is not None else ()
    return BackwardView(
        net, grads, title, loss_sentence, tuple(parts), total, batch_loss, means,
        lr, new_net, updates, training, steps, steps_hidden, check, check_rows, tuple(sentences),
        update, after, checked,
    )


# ---------------------------------------------------------------------- JSON record


def _rows(values: np.ndarray, single: bool) -> Any:
    return values[0].tolist() if single else values.tolist()


def record(view: BackwardView) -> dict[str, Any]:
    """What ``backward --json`` prints: one object, whose keys are an interface.

    ``loss_function``, ``loss``; ``layers[]`` in the spec's order with ``name``, ``delta``,
    ``grad_W``, ``grad_b``, ``grad_input`` (and ``W_new``, ``b_new`` after a step);
    ``loss_after`` after a step, ``losses`` (before each step and after the last) with
    several steps, and ``check`` with a gradient check. For a batch, ``delta`` and
    ``grad_input`` have one entry per input; for one input they are plain vectors.
    """
    return record_of(view.net, view.grads, view.training, view.check)


def record_of(net: Network, g: Gradients, training: Training | None = None, check: GradCheck | None = None) -> dict[str, Any]:
    """The same record straight from the engine's results, for a caller (the Python
    API) that has no use for the worked terms."""
    single = len(g.trace.x) == 1
    new_net = training.net if training is not None else None
    out: dict[str, Any] = {"loss_function": g.loss_name, "loss": g.loss, "layers": []}
    for k, (layer, lg) in enumerate(zip(net.layers, g.layers)):
        entry: dict[str, Any] = {
            "name": layer.name,
            "delta": _rows(lg.delta, single),
            "grad_W": lg.grad_W.tolist(),
            "grad_b": lg.grad_b.tolist() if layer.has_bias else None,
            "grad_input": _rows(lg.grad_input, single) if lg.grad_input is not None else None,
        }
        if new_net is not None:
            after = new_net.layers[k]
            entry["W_new"] = after.W.tolist()
            entry["b_new"] = after.b.tolist() if layer.has_bias else None
        out["layers"].append(entry)
    if training is not None:
        out["loss_after"] = training.losses[-1]
        if len(training.losses) > 2:
            out["losses"] = list(training.losses)
    if check is not None:
        c = check
        worst = None
        if c.worst is not None:
            k, kind, row, col = c.worst
            worst = parameter_name(net, k, kind, row, col)
        out["check"] = {
            "max_relative_error": c.max_error,
            "worst": worst,
            "passed": c.passed,
            "tolerance": c.tolerance,
            "excluded": c.excluded,
            "kinks": [
                {"layer": kk.layer, "unit": kk.unit, "input": kk.input, "z": kk.z, "reason": kk.reason}
                for kk in c.kinks
            ],
        }
    return out


# ------------------------------------------------------------------ shared sentences




def _training_sentences(training: Training, lr: float) -> tuple[Sentence, Sentence]:
    before, after = training.losses[0], training.losses[-1]
    steps = len(training.losses) - 1
    eta = (Sym("η = ", r"\eta = "), Num(lr))
    if steps == 1:
        update: Sentence = (
            "One step of gradient descent, learning rate ", *eta, ": every weight and bias moves by ",
            Sym("−η ×", r"-\eta \times"), " its gradient, all computed from the original weights.",
        )
    else:
        update = (f"{steps:,} steps of gradient descent, learning rate ", *eta, ", on the same inputs.")
    what = "the step" if steps == 1 else f"{steps:,} steps"
    change = "lower" if after < before else "higher" if after > before else "unchanged"
    return update, (f"Loss after {what}: ", Num(after), " (before: ", Num(before), f"; {change}).")


def check_sentences(net: Network, grads: Gradients, c: GradCheck) -> tuple[Sentence, ...]:
    """The gradient check's verdict, then the non-differentiable points it met."""
    where = ""
    if c.worst is not None:
        k, kind, row, col = c.worst
        where = f" at {parameter_name(net, k, kind, row, col)}"
    verdict: Sentence = (": passed.",) if c.passed else (": FAILED (above ", Num(c.tolerance, digits=3), ").")
    out: list[Sentence] = [
        (
            "Gradient check, central differences on every parameter: largest relative error ",
            Num(c.max_error, digits=3), where, *verdict,
        )
    ]
    if c.kinks:
        parts: list = ["Not differentiable where the differences reach: "]
        for i, kk in enumerate(c.kinks[:10]):
            if i:
                parts.append("; ")
            which = f", input {kk.input}" if len(grads.trace.x) > 1 else ""
            parts += [f"layer '{kk.layer}' unit {kk.unit}{which}: ", Sym("z = ", "z = "), Num(kk.z), f", {kk.reason}"]
        if len(c.kinks) > 10:
            parts.append(f" and {len(c.kinks) - 10} more")
        parts.append(
            f". {_plural(c.excluded, 'parameter')} whose differences cross such a point "
            f"{'is' if c.excluded == 1 else 'are'} not counted; nncalc, like PyTorch, uses the one-sided "
            "derivative there."
        )
        out.append(tuple(parts))
    return tuple(out)


# ------------------------------------------------------------------------- tables


def print_tables(console: "Console", view: BackwardView, precision: int = 10, brief: bool = False, show_all: bool = False) -> None:
    """The table view: for each input shown, the forward pass (or a compact one with
    ``brief``), the loss, and a table per layer from the last back to the first."""
    from rich.table import Table
    from rich.text import Text

    from nncalc.engine import LayerTrace, Trace
    from nncalc.render.numbers import vector
    from nncalc.render.table import forward_tables

    net, g = view.net, view.grads
    T = lambda e: Text(text(e, precision))  # noqa: E731
    console.print(Text(view.title, style="bold"))
    console.print(Text(text(view.loss_sentence, precision)))
    for part in view.inputs:
        m = part.number - 1
        console.print()
        if view.total > 1:
            console.rule(Text(f"Input {part.number} of {view.total:,}"), align="left")
        if brief:
            console.print(Text(f"Input x = {vector(part.x, precision)}"))
            for k, (layer, lt) in enumerate(zip(net.layers, g.trace.layers), 1):
                console.print(
                    Text(f"Layer {k} ({layer.name}, {layer.activation.label}): z = {vector(lt.z[m], precision)}, "
                         f"a = {vector(lt.a[m], precision)}")
                )
        else:
            one = Trace(g.trace.x[m : m + 1], tuple(LayerTrace(lt.z[m : m + 1], lt.a[m : m + 1], lt.name) for lt in g.trace.layers), net)
            forward_tables(console, net, one, precision=precision, show_all=show_all)
        console.print(Text(f"Target t = {vector(part.target, precision)}"))
        console.print(Text(f"Loss E = {text(part.loss, precision)}", style="bold"))
        for lp in part.layers:
            layer = lp.layer
            title = f"Layer {lp.index}: {layer.name} ({layer.nin} → {layer.nout}, {layer.activation.label}), backward"
            table = Table(title=Text(title), title_justify="left")
            table.add_column("unit", justify="right")
            table.add_column(Text(f"∂L/∂a = {lp.formulas.upstream.text}" if lp.index == len(net.layers) else f"∂L/∂a ({lp.formulas.upstream.text})"))
            if lp.formulas.local is not None:
                table.add_column(Text(f"σ'(z) = {lp.formulas.local.text}"))
            table.add_column(Text(f"δ = {lp.formulas.delta.text}"))
            if layer.has_bias:
                table.add_column(Text("∂L/∂b = δ"), justify="right")
            for i, row in enumerate(lp.rows):
                if lp.hidden and i == len(lp.rows) // 2:
                    table.add_row(Text("…"), Text(f"{lp.hidden} more units (--all shows every row)", style="italic"))
                cells = [Text(str(row.unit)), T(row.upstream)]
                if lp.formulas.local is not None:
                    cells.append(T(row.local) if row.local is not None else Text(""))
                cells.append(T(row.delta))
                if layer.has_bias:
                    cells.append(T(row.grad_b))
                table.add_row(*cells)
            console.print(_never_cut(table))
            if lp.dot is not None:
                console.print(Text(f"with g = ∂L/∂a: {text(lp.dot, precision)}"))
            if lp.note:
                console.print(Text(text(lp.note, precision)))
            if lp.columns:
                prev = "x" if lp.index == 1 else "a"
                console.print(_grid(
                    f"∂L/∂W_ij = δ_i {prev}_j of layer {lp.index} ({layer.name})",
                    [r.unit for r in lp.rows], lp.hidden, [r.grad_W for r in lp.rows], None,
                    lp.columns, lp.hidden_columns, precision,
                ))
            if lp.handed:
                sub = "x" if lp.index == 1 else "a"
                ht = Table(title=Text(f"Handed to {lp.handed_to}: ∂L/∂{sub}_j = Σ_i W_ij δ_i"), title_justify="left")
                ht.add_column("j", justify="right")
                ht.add_column("Σ_i W_ij δ_i, term by term")
                for i, row in enumerate(lp.handed):
                    if lp.handed_hidden and i == len(lp.handed) // 2:
                        ht.add_row(Text("…"), Text(f"{lp.handed_hidden} more (--all shows every row)", style="italic"))
                    ht.add_row(Text(str(row.unit)), T(row.expr))
                console.print(_never_cut(ht))
    if view.total > len(view.inputs):
        console.print()
        console.print(Text(f"… and {view.total - len(view.inputs):,} more inputs, not worked out here; the gradients below are over all {view.total:,}."))
    if view.batch_loss is not None:
        console.print()
        console.rule(Text(f"The batch: mean over {view.total:,} inputs"), align="left")
        console.print(Text(f"Loss L = {text(view.batch_loss, precision)}", style="bold"))
        for mp in view.means:
            what = "∂L/∂W and ∂L/∂b" if mp.grad_b is not None else "∂L/∂W"
            each = "δ_i a_j and δ_i" if mp.grad_b is not None else "δ_i a_j"
            console.print(_grid(f"{what} of layer {mp.index} ({mp.layer.name}), the mean of each input's {each}",
                                mp.rows, mp.hidden_rows, mp.grad_W, mp.grad_b, mp.columns, mp.hidden_columns, precision))
    if view.training is not None:
        console.print()
        console.rule(Text("Gradient descent"), align="left")
        console.print(Text(text(view.update_sentence, precision)))
        for up in view.updates:
            console.print(_grid(f"Layer {up.index} ({up.layer.name}): w⁺ = w − η × ∂L/∂w", up.rows, up.hidden_rows, up.W, up.b, up.columns, up.hidden_columns, precision))
        if len(view.training.losses) > 2:
            st = Table(title=Text("Loss per step"), title_justify="left")
            st.add_column("step", justify="right")
            st.add_column("loss", justify="right")
            for i, (s, v) in enumerate(view.steps):
                if view.steps_hidden and i == len(view.steps) // 2:
                    st.add_row(Text("…"), Text(f"{view.steps_hidden:,} more"))
                st.add_row(Text("before" if s == 0 else f"{s:,}"), Text(fmt(v, precision)))
            console.print(st)
        for s in view.sentences:
            console.print(Text(text(s, precision)))
        console.print(Text(text(view.after_sentence, precision), style="bold"))
    if view.check is not None:
        console.print()
        console.rule(Text("Gradient check"), align="left")
        if view.check_rows:
            ct = Table(title=Text("Largest relative errors"), title_justify="left")
            for h in ("parameter", "backward", "central difference", "relative error"):
                ct.add_column(h, justify="left" if h == "parameter" else "right")
            for r in view.check_rows:
                ct.add_row(Text(r.parameter), Text(fmt(r.backward, precision)), Text(fmt(r.numeric, precision)), Text(fmt(r.error, 3)))
            console.print(ct)
        for i, s in enumerate(view.check_sentences):
            console.print(Text(text(s, precision), style="" if i else "bold"))


def _grid(title: str, rows: Sequence[int], hidden: int, W: Sequence[Sequence[Expr]], b: Sequence[Expr] | None,
          columns: int, hidden_columns: int, precision: int):  # type: ignore[no-untyped-def]
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title), title_justify="left")
    table.add_column("i", justify="right")
    for c in range(columns):
        table.add_column(f"j = {c + 1}", overflow="fold")
    if hidden_columns:
        table.add_column(f"… {hidden_columns} more")
    if b is not None:
        table.add_column("b", overflow="fold")
    for r, unit in enumerate(rows):
        if hidden and r == len(rows) // 2:
            table.add_row(Text("…"), Text(f"{hidden} more rows", style="italic"))
        cells = [Text(str(unit))] + [Text(text(e, precision)) for e in W[r]]
        if hidden_columns:
            cells.append(Text("…"))
        if b is not None:
            cells.append(Text(text(b[r], precision)))
        table.add_row(*cells)
    return _never_cut(table)


# ------------------------------------------------------------------ Markdown, LaTeX


def _matrix_tex(W: np.ndarray, precision: int) -> str:
    from nncalc.render.worked import matrix

    return matrix(W, precision)


def _aligned(lines: Sequence[str]) -> "Block":
    """Equations under one another, aligned at their ``&=``; one too wide for the page is
    broken between the terms of its sums (:func:`_fit`)."""
    from nncalc.render.document import Math

    return Math("\\begin{aligned}\n" + " \\\\\n".join(piece for line in lines for piece in _fit(line)) + "\n\\end{aligned}")


def _fit(line: str) -> list[str]:
    r"""``lhs &= t1 + t2 + … = value`` as it is where it fits the page, else broken before
    a term that would pass the margin (``&\quad + t3``), its value on a line of its own.

    >>> _fit(r"E &= (0.5)(1) + (0.5)(2) = 1.5")
    ['E &= (0.5)(1) + (0.5)(2) = 1.5']
    >>> _fit(r"E &= " + " + ".join(["(0.123)(4.56)"] * 12) + " = 6.73")[-1]
    '&= 6.73'
    """
    from nncalc.render.texlayout import BUDGET, em, pack

    if em(line) <= BUDGET:
        return [line]
    terms = _top_level(line, " + ")
    body, eq, value = terms[-1].rpartition(" = ")
    if len(terms) < 2 or not eq:
        return [line]
    return [*pack(terms[0] + " + ", terms[1:-1] + [body], " + ", r"&\quad + "), f"&= {value}"]


def _top_level(tex: str, sep: str) -> list[str]:
    """``tex`` split at each ``sep`` outside braces and brackets."""
    pieces, depth, start, i = [], 0, 0, 0
    while i < len(tex):
        c = tex[i]
        if c in "{(":
            depth += 1
        elif c in "})":
            depth -= 1
        elif depth == 0 and tex.startswith(sep, i):
            pieces.append(tex[start:i])
            start = i = i + len(sep)
            continue
        i += 1
    pieces.append(tex[start:])
    return pieces


def _entries(part: Any, W: Any, b: Any, X: Callable[[Any], str], w_name: Callable[[Any, int], str], b_name: Callable[[Any], str]) -> "list[Block]":
    """A layer's matrix entries (and bias) as aligned equations, ``w_name(unit, column) = value``,
    then what is left out: for the batch's mean gradients and for the updated weights."""
    from nncalc.render.document import Para

    lines = []
    for r, unit in enumerate(part.rows):
        lines += [rf"{w_name(unit, c + 1)} &= {X(W[r][c])}" for c in range(part.columns)]
        if b is not None:
            lines.append(rf"{b_name(unit)} &= {X(b[r])}")
    out: list[Block] = [_aligned(lines)]
    if part.hidden_rows or part.hidden_columns:
        out.append(Para(f"({part.hidden_rows} more rows and {part.hidden_columns} more columns are left out here.)"))
    return out


def document(view: BackwardView, precision: int = 10, brief: bool = False, show_all: bool = False) -> "list[Block]":
    """The worked example as document blocks, for :func:`nncalc.render.document.to_markdown`
    and ``to_latex``: the network, then for each input shown its forward pass (the
    forward command's steps, or compact with ``brief``), loss and backward pass; then
    the batch's means, the step and the check."""
    from nncalc.render.document import Heading, Math, Para
    from nncalc.render.worked import column, layer_steps

    net, g = view.net, view.grads
    X = lambda e: tex(e, precision)  # noqa: E731
    doc: "list[Block]" = [Heading(view.title, 2), paragraph(view.loss_sentence, precision)]
    doc.append(Heading("Given", 3))
    for k, layer in enumerate(net.layers, 1):
        doc.append(Para(f"Layer {k} ({layer.name}), {_plural(layer.nout, 'unit')}, {layer.activation.label}:"))
        given = f"W^{{({k})}} = {_matrix_tex(layer.W, precision)}"
        if layer.has_bias:
            given += rf", \quad \mathbf{{b}}^{{({k})}} = {column(layer.b, precision)}"
        doc.append(Math(given))
    shown = len(view.inputs)
    for part in view.inputs:
        m = part.number - 1
        if view.total > 1:
            doc.append(Heading(f"Input {part.number} of {view.total:,}", 3))
        doc.append(Para("Input:"))
        doc.append(Math(rf"\mathbf{{x}} = {column(part.x, precision)}"))
        if brief:
            lines = [
                rf"\mathbf{{z}}^{{({k})}} &= {column(lt.z[m], precision)}, \quad \mathbf{{a}}^{{({k})}} = {column(lt.a[m], precision)}"
                for k, lt in enumerate(g.trace.layers, 1)
            ]
            doc.append(Para("The forward pass:"))
            doc.append(_aligned(lines))
        else:
            step = 1
            for k, (layer, lt) in enumerate(zip(net.layers, g.trace.layers), 1):
                blocks, step = layer_steps(layer, k, g.trace.inputs_to(k - 1)[m], lt.z[m], lt.a[m], step, precision, show_all)
                doc += blocks
        doc.append(Para("Target ", Math(rf"\mathbf{{t}} = {column(part.target, precision)}"), "; the loss:"))
        loss = X(part.loss)
        doc.append(_aligned([f"E &= {loss}"]) if len(_fit(f"E &= {loss}")) > 1 else Math(f"E = {loss}"))
        for lp in part.layers:
            k = lp.index
            layer = lp.layer
            doc.append(Heading(f"Backward through layer {k} ({layer.name}, {layer.activation.label})", 4))
            lines = []
            for row in lp.rows:
                i = row.unit
                up = X(row.upstream)
                if k == len(net.layers):
                    up = f"{lp.formulas.upstream.tex} = {up}"
                lines.append(rf"\frac{{\partial L}}{{\partial a_{{{i}}}^{{({k})}}}} &= {up}")
                if row.local is not None and lp.formulas.local is not None:
                    lines.append(rf"\sigma'(z_{{{i}}}^{{({k})}}) &= {lp.formulas.local.tex} = {X(row.local)}")
                lines.append(rf"\delta_{{{i}}}^{{({k})}} &= {lp.formulas.delta.tex} = {X(row.delta)}")
            doc.append(_aligned(lines))
            if lp.hidden:
                doc.append(Para(f"({lp.hidden} more units are left out here.)"))
            if lp.dot is not None:
                doc.append(Para("With ", Math(r"g = \partial L / \partial a"), ": ", Math(X(lp.dot)), "."))
            if lp.note:
                doc.append(paragraph(lp.note, precision))
            prev = "x" if k == 1 else f"a^{{({k - 1})}}"
            grads = []
            for row in lp.rows:
                i = row.unit
                for j, e in enumerate(row.grad_W, 1):
                    grads.append(
                        rf"\frac{{\partial L}}{{\partial W_{{{i},{j}}}^{{({k})}}}} &= \delta_{{{i}}}^{{({k})}} {prev}_{{{j}}} = {X(e)}"
                    )
                if row.grad_b is not None:
                    what = "=" if lp.columns else r"\text{ (this input) } ="
                    grads.append(rf"\frac{{\partial L}}{{\partial b_{{{i}}}^{{({k})}}}} &{what} \delta_{{{i}}}^{{({k})}} = {X(row.grad_b)}")
            if grads:
                doc.append(_aligned(grads))
            if lp.hidden_columns:
                doc.append(Para(f"({lp.hidden_columns} more columns of the weight gradients are left out here.)"))
            if lp.handed:
                doc.append(Para(f"Handed to {lp.handed_to}:"))
                sym = "x" if k == 1 else f"a^{{({k - 1})}}"
                doc.append(_aligned([
                    rf"\frac{{\partial L}}{{\partial {sym}_{{{row.unit}}}}} &= \textstyle\sum_i W_{{i,{row.unit}}} \delta_i = {X(row.expr)}"
                    for row in lp.handed
                ]))
                if lp.handed_hidden:
                    doc.append(Para(f"({lp.handed_hidden} more are left out here.)"))
    if view.total > shown:
        doc.append(Para(f"… and {view.total - shown:,} more inputs, not worked out here; the means below are over all {view.total:,}."))
    if view.batch_loss is not None:
        doc.append(Heading(f"The batch: mean over {view.total:,} inputs", 3))
        doc.append(Math(f"L = {X(view.batch_loss)}"))
        for mp in view.means:
            doc.append(Para(f"Layer {mp.index} ({mp.layer.name}), each entry the mean of the inputs' own:"))
            doc += _entries(
                mp, mp.grad_W, mp.grad_b, X,
                lambda u, c, k=mp.index: rf"\frac{{\partial L}}{{\partial W_{{{u},{c}}}^{{({k})}}}}",
                lambda u, k=mp.index: rf"\frac{{\partial L}}{{\partial b_{{{u}}}^{{({k})}}}}",
            )
    if view.training is not None:
        doc.append(Heading("Gradient descent", 3))
        doc.append(paragraph(view.update_sentence, precision))
        for up in view.updates:
            doc.append(Para(f"Layer {up.index} ({up.layer.name}):"))
            doc += _entries(
                up, up.W, up.b, X,
                lambda u, c, k=up.index: rf"W_{{{u},{c}}}^{{({k})+}}",
                lambda u, k=up.index: rf"b_{{{u}}}^{{({k})+}}",
            )
        if len(view.training.losses) > 2:
            doc.append(Para("The loss, step by step:"))
            lines = []
            for i, (step_no, v) in enumerate(view.steps):
                if view.steps_hidden and i == len(view.steps) // 2:
                    lines.append(rf"&\;\vdots \quad \text{{({view.steps_hidden:,} more steps)}}")
                label = "before" if step_no == 0 else f"after step {step_no:,}"
                lines.append(rf"\text{{{label}}} &: \; {X((Num(v),))}")
            doc.append(_aligned(lines))
        for sentence in view.sentences:
            doc.append(paragraph(sentence, precision))
        doc.append(paragraph(view.after_sentence, precision))
    if view.check is not None:
        doc.append(Heading("Gradient check", 3))
        for sentence in view.check_sentences:
            doc.append(paragraph(sentence, precision))
    return doc


def _never_cut(table: "Table") -> "Table":
    """A cell too wide for the terminal folds onto the next line rather than ending in
    an ellipsis: every digit of a number is shown."""
    for column in table.columns:
        column.overflow = "fold"
    return table
