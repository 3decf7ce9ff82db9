"""Worked examples, step by step as the textbook writes them, from a Trace or a Collapse.

They write the view models of :mod:`nncalc.render.view` as documents
(:mod:`nncalc.render.document`), in Markdown or LaTeX. Every number comes from the
engine's Trace (or the exact one) and the activation steps from :mod:`nncalc.steps`;
nothing is computed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from nncalc.render import view as v
from nncalc.render.document import Block, Heading, Math, Para, latex_text
from nncalc.render.numbers import fmt, sum_terms
from nncalc.render.texlayout import BUDGET, em, pack
from nncalc.steps import Chain, formula, tex

if TYPE_CHECKING:
    from nncalc import exact as exact_
    from nncalc.activations import Activation
    from nncalc.collapsing import Check, Collapse, WitnessSearch
    from nncalc.engine import Trace
    from nncalc.network import Layer, Network

MAX_SHOWN = 8  # matrices and vectors longer than this show their ends around dots
MAX_NAMED = v.MAX_NAMED

_OPERATORS = {
    "relu": r"\operatorname{ReLU}",
    "leaky_relu": r"\operatorname{LeakyReLU}",
    "sigmoid": r"\sigma",
    "tanh": r"\tanh",
    "softmax": r"\operatorname{softmax}",
}
_PROSE = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "gelu": "GELU", "selu": "SELU", "elu": "ELU"}

Number = Callable[[Any], str]


def tex_number(x: float, precision: int = 10) -> str:
    r"""A number for LaTeX maths: ``1e-20`` becomes ``1 \times 10^{-20}``.

    >>> tex_number(0.28), tex_number(-2.5e-7)
    ('0.28', '-2.5 \\times 10^{-7}')
    """
    return v.Numbers(precision, latex=True)(x)


def shortest_tex(x: float) -> str:
    r"""``x`` with every digit its float holds (``repr``), for LaTeX maths: a constant as
    a model or a user gave it.

    >>> shortest_tex(0.20000000298023224), shortest_tex(1e-07)
    ('0.20000000298023224', '1 \\times 10^{-7}')
    """
    text = repr(float(x))
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}"


def _numbers(number: int | Number) -> Number:
    """A precision (the float path's digits) or a number writer, as a number writer."""
    return v.Numbers(number, latex=True) if isinstance(number, int) else number


def _elide(n: int, half: int = MAX_SHOWN // 2) -> list[int | None]:
    """Indices to show of ``n``, None where the middle is left out."""
    if n <= 2 * half:
        return list(range(n))
    return [*range(half), None, *range(n - half, n)]


def _bmatrix_at(cell, rows: list[int | None], cols: list[int | None]) -> str:  # type: ignore[no-untyped-def]
    lines = []
    for r in rows:
        if r is None:
            lines.append(" & ".join(r"\ddots" if c is None else r"\vdots" for c in cols))
        else:
            lines.append(" & ".join(r"\cdots" if c is None else cell(r, c) for c in cols))
    return r"\begin{bmatrix} " + r" \\ ".join(lines) + r" \end{bmatrix}"


def bmatrix(cells: Sequence[Sequence[str]]) -> str:
    """A LaTeX bmatrix of already formatted cells, large ones shortened with dots."""
    return _bmatrix_at(lambda r, c: cells[r][c], _elide(len(cells)), _elide(len(cells[0])))


def matrix(M: np.ndarray, precision: int | Number, budget: float = BUDGET) -> str:
    """A matrix of numbers, its middle rows and columns left out: as many columns as fit
    in ``budget`` em (at least the first and the last). Only the entries shown are
    formatted. ``precision`` is the float path's digits, or a number writer."""
    number = _numbers(precision)
    M = np.atleast_2d(M)
    rows = _elide(M.shape[0])
    for half in (MAX_SHOWN // 2, 3, 2, 1):
        tex_ = _bmatrix_at(lambda r, c: number(M[r, c]), rows, _elide(M.shape[1], half))
        if em(tex_) <= budget:
            break
    return tex_


def column(values: Sequence[Any] | np.ndarray, precision: int | Number) -> str:
    number = _numbers(precision)
    return _bmatrix_at(lambda r, c: number(values[r]), _elide(len(values)), [0])


def aligned(lines: Sequence[str]) -> str:
    """Lines of an ``aligned`` block (written as ``align*``, which breaks across pages, in LaTeX).

    Lines holding fractions get a little more room between them.
    """
    sep = " \\\\[3pt]\n" if any("\\frac" in line for line in lines) else " \\\\\n"
    return "\\begin{aligned}\n" + sep.join(lines) + "\n\\end{aligned}"


def _equation(lhs: str, terms: Sequence[str], value: str) -> list[str]:
    """``lhs &= t1 + t2 + … = value`` on one line if it fits, else broken between terms
    with the value on a line of its own."""
    one = f"{lhs} &= {' + '.join(terms)} = {value}"
    if em(one) <= BUDGET:
        return [one]
    return [*pack(f"{lhs} &= ", terms, " + ", r"&\quad + "), f"&= {value}"]


def operator(act: Activation) -> str:
    """The activation's symbol in LaTeX: ``\\sigma``, ``\\operatorname{ReLU}``."""
    name = act.name
    return _OPERATORS.get(name, r"\operatorname{" + latex_text(name) + "}")


def prose(act: Activation) -> str:
    """The activation's name in a sentence: ``ReLU``, ``leaky ReLU (alpha = 0.1)``."""
    text = _PROSE.get(act.name, act.name.replace("_", " "))
    if act.params:
        text += " (" + ", ".join(f"{k} = {v:g}" for k, v in act.params) + ")"
    return text


def given(net: Network, params: Sequence[tuple[Any, Any]], number: Number, level: int = 3) -> list[Block]:
    """Each layer's W and b, under a "Given" heading of ``level``."""
    doc: list[Block] = [Heading("Given", level)]
    for k, (layer, (W_, b_)) in enumerate(zip(net.layers, params), 1):
        doc.append(Para(f"Layer {k} ({layer.name}), {v.plural(layer.nout, 'unit')}, {prose(layer.activation)}:"))
        lhs = f"W^{{({k})}} = "
        W = lhs + matrix(W_, number, BUDGET - em(lhs))
        if not layer.has_bias:
            doc.append(Math(W))
            continue
        b = rf"\mathbf{{b}}^{{({k})}} = {column(b_, number)}"
        together = rf"{W}, \quad {b}"
        doc += [Math(together)] if em(together) <= BUDGET else [Math(W), Math(b)]
    return doc


def _sub(symbol: str, i: int) -> str:
    """``z_1``, ``z_{12}``: braces only where LaTeX needs them, as the seed writes it."""
    return f"{symbol}_{i}" if i < 10 else f"{symbol}_{{{i}}}"


def _chain(chain: Chain, number: Number) -> list[str]:
    parts = [tex(e, number) for e in chain.exprs]
    if chain.note:
        note = chain.note.replace("βz", r"\beta z").replace("threshold", r"\text{threshold}")
        parts[-1] += rf" \quad ({note})"
    return parts


def _steps(lhs: str, parts: Sequence[str]) -> list[str]:
    """``lhs &= p1 = p2 = … `` on one line if it fits, else one step per line."""
    one = f"{lhs} &= {' = '.join(parts)}"
    if em(one) <= BUDGET:
        return [one]
    return pack(f"{lhs} &= ", parts, " = ", "&= ")


def layer_steps(
    layer: Layer,
    k: int,
    x: np.ndarray,
    z: np.ndarray,
    a: np.ndarray,
    step: int,
    precision: int,
    show_all: bool,
    mark: str = "",
    brief: bool = False,
) -> tuple[list[Block], int]:
    """One layer's worked steps: each weighted sum term by term, then the activation.

    ``x`` is what the layer multiplies (the input, or the layer before's ``a``); ``z`` and
    ``a`` are the layer's values from the Trace; ``mark`` (a prime) sets the symbols of a
    collapsed network apart. Returns the blocks and the next step number.
    """
    from nncalc.engine import LayerTrace, Trace
    from nncalc.network import Network

    net = Network((layer,))
    trace = Trace(np.atleast_2d(x), (LayerTrace(np.atleast_2d(z), np.atleast_2d(a), layer.name),))
    (lv,) = v.forward_view(net, trace, show_all, brief=brief).inputs[0].layers
    lv.k = k
    return _layer_blocks(lv, step, v.Numbers(precision, latex=True), mark)


def _layer_blocks(lv: v.LayerView, step: int, number: Number, mark: str = "") -> tuple[list[Block], int]:
    layer, k = lv.layer, lv.k
    doc: list[Block] = [Heading(f"Step {step}: layer {k} ({layer.name}), weighted sums", 4)]
    step += 1
    W, b, zs, a_ = (f"{s}{mark}^{{({k})}}" for s in ("W", r"\mathbf{b}", r"\mathbf{z}", r"\mathbf{a}"))
    previous = r"\mathbf{x}" if k == 1 else rf"\mathbf{{a}}{mark}^{{({k - 1})}}"
    doc.append(Math(f"{zs} = {W} {previous}" + (f" + {b}" if layer.has_bias else "")))
    more = rf"&\;\vdots \quad \text{{({lv.hidden} more units)}}"
    lines = []
    for u in lv.units:
        if u.j == lv.gap_at:
            lines.append(more)
        terms = sum_terms(
            u.w,
            lv.x,
            u.b,
            number=number,
            gap=r"{{\underbrace{{\cdots}}_{{\text{{{n} more}}}}}}",  # braced: "+" around it stays binary
            bracket=getattr(number, "bracket", None),
        )
        lines += _equation(f"{_sub('z', u.j + 1)}{mark}^{{({k})}}", terms, number(u.z))
    doc.append(Math(aligned(lines)))

    act = layer.activation
    if act.is_identity:
        doc.append(Para("The activation is linear, so ", Math(f"{a_} = {zs}"), "."))
        return doc, step
    doc.append(Heading(f"Step {step}: apply {prose(act)}", 4))
    step += 1
    op = operator(act)
    if lv.brief:
        if act.definition.elementwise:
            if act.name == "relu":
                applied = [[rf"\max(0, {number(u.z)})"] for u in lv.units]
            else:
                applied = [[rf"{op}({number(u.z)})"] for u in lv.units]
            middle = f" = {_bmatrix_at(lambda r, c: applied[r][c], _elide(len(applied)), [0])}"
        else:
            middle = ""
        one = f"{a_} = {op}({zs}){middle} = {column(lv.a, number)}"
        if em(one) <= BUDGET:
            doc.append(Math(one))
        else:
            doc.append(Math(aligned([f"{a_} &= {op}({zs}){middle}", f"&= {column(lv.a, number)}"])))
        return doc, step

    if lv.softmax is not None:
        doc += _softmax_blocks(lv, number, a_, op, zs, mark)
        return doc, step
    rule = formula(act, number, latex=True)
    doc.append(Math(f"{a_} = {op}({zs})" + (rf", \quad {op}(z) = {rule}" if rule else "")))
    lines = []
    for u in lv.units:
        if u.j == lv.gap_at:
            lines.append(more)
        parts = _chain(u.chain, number) if u.chain is not None else [rf"{op}({number(u.z)})", number(u.a)]
        lines += _steps(f"{_sub('a', u.j + 1)}{mark}^{{({k})}}", parts)
    doc.append(Math(aligned(lines)))
    return doc, step


def _softmax_blocks(lv: v.LayerView, number: Number, a_: str, op: str, zs: str, mark: str) -> list[Block]:
    """Softmax or log-softmax worked out: shifted powers, their sum, each result."""
    s = lv.softmax
    assert s is not None
    k = lv.k
    doc: list[Block] = [Math(rf"{a_} = {op}({zs}), \quad {op}(\mathbf{{z}})_i = {formula(lv.layer.activation, number, latex=True)}")]
    doc.append(Para(*(p if isinstance(p, str) else Math(p[1]) for p in v.shift_sentence(s.kind, number(s.m)))))
    more = rf"&\;\vdots \quad \text{{({lv.hidden} more units)}}"
    lines = []
    for u in lv.units:
        if u.j == lv.gap_at:
            lines.append(more)
        lines += _steps(f"e^{{{_sub('z', u.j + 1)} - m}}", _chain(s.power(u.j), number))
    shown, hidden = lv.sum_parts()
    terms = [number(s.powers[i]) for i in shown]
    if hidden:
        terms.insert(len(terms) - 2, rf"{{\underbrace{{\cdots}}_{{\text{{{hidden} more}}}}}}")
    lines += _equation(r"\textstyle\sum_j e^{z_j - m}", terms, number(s.total))
    if s.log_total is not None:
        lines += _steps(r"\ln \textstyle\sum_j e^{z_j - m}", [rf"\ln({number(s.total)})", number(s.log_total)])
    for u in lv.units:
        if u.j == lv.gap_at:
            lines.append(more)
        lines += _steps(f"{_sub('a', u.j + 1)}{mark}^{{({k})}}", _chain(s.result(u.j), number))
    doc.append(Math(aligned(lines)))
    return doc


def describe(net: Network) -> Para:
    """``Network: 2 inputs; then layer 1 (hidden): 3 units, ReLU; then ...``."""
    parts = [v.plural(net.nin, "input")]
    for k, layer in enumerate(net.layers, 1):
        parts.append(f"layer {k} ({layer.name}): {v.plural(layer.nout, 'unit')}, {prose(layer.activation)}")
    return Para("Network: " + "; then ".join(parts) + ".")


def _output(y: Sequence[Any], number: v.Numbers, exact: bool = False) -> Para:
    if len(y) == 1:
        value = (number.rounded if exact else number)(y[0])
        if exact and number.fraction(y[0]) != value:
            value += f" = {number.fraction(y[0])}"
        return Para("The network outputs ", Math(rf"\hat{{y}} = {value}"), ".")
    value = column(y, number.rounded if exact else number)
    if exact:
        value += f" = {column(y, number.fraction)}"
    return Para("The network outputs ", Math(rf"\hat{{\mathbf{{y}}}} = {value}"), ".")


def _params(net: Network, exact: bool) -> list[tuple[Any, Any]]:
    if exact:
        from nncalc.exact import layer_params

        return [layer_params(layer) for layer in net.layers]
    return [(layer.W, layer.b) for layer in net.layers]


def forward_doc(
    net: Network,
    trace: Trace,
    precision: int = 10,
    show_all: bool = False,
    total: int | None = None,
    brief: bool = False,
    exact: exact_.Trace | None = None,
) -> list[Block]:
    """The forward pass of every input in ``trace``, worked out like the seed's Example 2.

    Each activation is worked out from its formula unless ``brief``; with ``exact`` (an
    exact trace of the same inputs) every number is exact.
    """
    fv = v.forward_view(net, trace, show_all, total, brief, exact)
    number = v.Numbers(precision, exact=fv.exact, latex=True)
    doc: list[Block] = [Heading(f"Forward pass: {net.name or net.source}", 2), describe(net)]
    doc += given(net, _params(net, fv.exact), number)
    for iv in fv.inputs:
        if fv.total > 1:
            doc.append(Heading(f"Input {iv.i + 1} of {fv.total:,}", 3))
        doc.append(Para("Input:"))
        doc.append(Math(rf"\mathbf{{x}} = {column(iv.x, number)}"))
        step = 1
        for lv in iv.layers:
            blocks, step = _layer_blocks(lv, step, number)
            doc += blocks
        doc.append(_output(iv.output, number, fv.exact))
        doc += [Para(sentence) for sentence in iv.firing]
    if fv.more:
        doc.append(Para(fv.more))
    return doc


def _chain_of(group: Sequence[int]) -> str:
    """``W_2 W_1`` as the seed writes it, or ``W_5 \\cdots W_1`` for longer runs of layers."""
    ks = [_sub("W", k + 1) for k in reversed(group)]
    return " ".join(ks) if len(ks) <= 3 else rf"{ks[0]} \cdots {ks[-1]}"


def _product(p: Any, head: str, number: Number, small: bool) -> list[Block]:
    """``W^{(2)} W^{(1)} = [entries written out] = [values]``, as the seed's Example 3.

    Entries too long for one line are written one per line, each sum broken between terms.
    """
    result = f"{head} = {matrix(p.result, number, BUDGET - em(head) - 1.4)}"
    if not small:
        return [Math(result)]
    rows, cols = p.result.shape
    sums = [[v.product_terms(p, r, c, number) for c in range(cols)] for r in range(rows)]
    one = f"{head} = {bmatrix([[' + '.join(terms) for terms in row] for row in sums])} = {result[len(head) + 3:]}"
    if em(one) <= BUDGET:
        return [Math(one)]
    lines = []
    for r in range(rows):
        for c in range(cols):
            lines += _equation(f"({head})_{{{r + 1},{c + 1}}}", sums[r][c], number(p.result[r, c]))
    return [Math(aligned(lines)), Math(result)]


def _layers(net: Network, trace: Any, exact: bool, brief: bool) -> list[v.LayerView]:
    """The layer views of a one-input trace (float or exact)."""
    if exact:
        return v.forward_view(net, None, brief=brief, exact=trace).inputs[0].layers  # type: ignore[arg-type]
    return v.forward_view(net, trace, brief=brief).inputs[0].layers


def collapse_doc(
    c: Collapse,
    chk: Check,
    search: WitnessSearch | None,
    precision: int = 10,
    brief: bool = False,
    exact: exact_.Collapse | None = None,
) -> list[Block]:
    """Both paths on one input, the merged weights, and the verdict (or a witness)."""
    cv = v.collapse_view(c, chk, search, exact)
    number = v.Numbers(precision, exact=cv.exact, latex=True)
    net = c.original
    before, after = cv.before, cv.after
    doc: list[Block] = [Heading(f"Collapsing linear layers: {net.name or net.source}", 2), describe(net)]
    doc += given(net, _params(net, cv.exact), number)
    doc.append(Para("Input:"))
    doc.append(Math(rf"\mathbf{{x}} = {column(cv.x, number)}"))

    doc.append(Heading(v.plural(before, "separate layer"), 3))
    step = 1
    for lv in _layers(net, cv.layered_trace, cv.exact, brief):
        blocks, step = _layer_blocks(lv, step, number)
        doc += blocks
    doc.append(_output(cv.layered, number, cv.exact))

    if after < before:
        doc.append(Heading(f"{v.plural(after, 'layer')}: linear runs merged", 3))
        for m in cv.merges:
            doc.append(
                Para(f"{m.layer.name}: {len(m.group)} linear layers become one, ", Math(f"W' = {_chain_of(m.group)}"), ".")
            )
            for i, (p, small) in enumerate(zip(m.products, m.small)):
                # step i multiplies layer group[i + 1] onto the product of the layers before it
                doc += _product(p, _chain_of(m.group[: i + 2]), number, small)
            if cv.exact:
                doc.append(Math(f"W' = {matrix(m.W, number.fraction)}"))
            if m.b is not None:
                doc.append(Math(rf"\mathbf{{b}}' = {column(m.b, number.fraction if cv.exact else number)}"))
        step = 1
        for lv in _layers(cv.reduced, cv.collapsed_trace, cv.exact, brief):
            blocks, step = _layer_blocks(lv, step, number, mark="'")
            doc += blocks
        doc.append(_output(cv.collapsed, number, cv.exact))

    doc.append(Heading("Verdict", 3))
    if c.collapsible:
        (layer,) = c.reduced.layers
        agree = (
            "The two paths agree exactly."
            if cv.exact
            else f"The two paths differ by at most {fmt(cv.difference, 3)}."
        )
        doc.append(
            Para(
                f"Same result: {v.collapsed_verdict(before, (layer.nout, layer.nin))}, ",
                Math(f"W' = {_chain_of(range(before))}"),
                f". {agree}",
            )
        )
        return doc
    who = [f"{l.name} ({prose(l.activation)})" for l in cv.blocking()]
    doc.append(Para(f"{v.nonlinear_verdict(who)} {v.reduction(before, after, cv.merged_names())}."))
    w = cv.witness
    if search is not None and w is None:
        if cv.exact and search.witness is not None:
            doc.append(Para("No witness was found: the pair the search found is not one in exact arithmetic."))
        else:
            doc.append(Para(v.no_witness(search)))
    elif w is not None:
        doc.append(Para(f"A witness: {v.WITNESS_RULE}, but here"))
        inputs = [rf"\mathbf{{x}}_1 = {column(w.x1, number)}", rf"\mathbf{{x}}_2 = {column(w.x2, number)}"]
        outputs = [
            rf"f\left(\tfrac{{\mathbf{{x}}_1 + \mathbf{{x}}_2}}{{2}}\right) = {column(w.midpoint_output, number)}",
            rf"\neq \tfrac{{f(\mathbf{{x}}_1) + f(\mathbf{{x}}_2)}}{{2}} = {column(w.average_output, number)}",
        ]
        one = ", \\quad ".join(inputs) + ", \\quad " + " ".join(outputs)
        if em(one) <= BUDGET:
            doc.append(Math(one))
        else:
            lines = pack("", inputs, ", \\quad ", "") + pack("", outputs, " ", "")
            doc.append(Math("\\begin{gathered}\n" + " \\\\\n".join(lines) + "\n\\end{gathered}"))
        gap = number(w.gap) if cv.exact else fmt(w.gap, 3)
        doc.append(Para(f"They differ by {gap}: no linear map does that."))
    return doc
