"""Worked examples, step by step as the textbook writes them, from a Trace or a Collapse.

They are built as documents (:mod:`nncalc.render.document`) and written as Markdown or
LaTeX. Every number comes from the engine's Trace; nothing is computed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from nncalc.render.document import Block, Heading, Math, Para, latex_text
from nncalc.render.numbers import SMALL, fmt, shown_units, sum_terms
from nncalc.render.texlayout import BUDGET, em, pack

if TYPE_CHECKING:
    from nncalc.activations import Activation
    from nncalc.collapsing import Check, Collapse, Product, WitnessSearch
    from nncalc.engine import Trace
    from nncalc.network import Layer, Network

MAX_SHOWN = 8  # matrices and vectors longer than this show their ends around dots
MAX_NAMED = 10  # units named in a sentence before "and N more"

_OPERATORS = {
    "relu": r"\operatorname{ReLU}",
    "leaky_relu": r"\operatorname{LeakyReLU}",
    "sigmoid": r"\sigma",
    "tanh": r"\tanh",
    "softmax": r"\operatorname{softmax}",
}
_PROSE = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "gelu": "GELU", "selu": "SELU", "elu": "ELU"}


def tex_number(x: float, precision: int = 10) -> str:
    r"""A number for LaTeX maths: ``1e-20`` becomes ``1 \times 10^{-20}``.

    >>> tex_number(0.28), tex_number(-2.5e-7)
    ('0.28', '-2.5 \\times 10^{-7}')
    """
    s = fmt(x, precision)
    if "e" in s:
        mantissa, exponent = s.split("e")
        return f"{mantissa} \\times 10^{{{int(exponent)}}}"
    return s


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


def matrix(M: np.ndarray, precision: int, budget: float = BUDGET) -> str:
    """A matrix of numbers, its middle rows and columns left out: as many columns as fit
    in ``budget`` em (at least the first and the last)."""
    M = np.atleast_2d(M)
    rows = _elide(M.shape[0])
    for half in (MAX_SHOWN // 2, 3, 2, 1):
        tex = _bmatrix_at(lambda r, c: tex_number(M[r, c], precision), rows, _elide(M.shape[1], half))
        if em(tex) <= budget:
            break
    return tex


def column(v: Sequence[float] | np.ndarray, precision: int) -> str:
    return _bmatrix_at(lambda r, c: tex_number(v[r], precision), _elide(len(v)), [0])


def aligned(lines: Sequence[str]) -> str:
    """Lines of an ``aligned`` block (written as ``align*``, which breaks across pages, in LaTeX)."""
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def _equation(lhs: str, terms: Sequence[str], value: str) -> list[str]:
    """``lhs &= t1 + t2 + … = value`` on one line if it fits, else broken between terms
    with the value on a line of its own."""
    one = f"{lhs} &= {' + '.join(terms)} = {value}"
    if em(one) <= BUDGET:
        return [one]
    return [*pack(f"{lhs} &= ", terms, " + ", r"&\quad + "), f"&= {value}"]


def _operator(act: Activation) -> str:
    name = act.name
    return _OPERATORS.get(name, r"\operatorname{" + latex_text(name) + "}")


def _prose(act: Activation) -> str:
    text = _PROSE.get(act.name, act.name.replace("_", " "))
    if act.params:
        text += " (" + ", ".join(f"{k} = {v:g}" for k, v in act.params) + ")"
    return text


def _units(n: int) -> str:
    return f"{n} unit{'s' if n != 1 else ''}"


def _names(numbers: list[int]) -> str:
    shown = [str(n) for n in numbers[:MAX_NAMED]]
    more = len(numbers) - len(shown)
    if more:
        return ", ".join(shown) + f" and {more} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _given(net: Network, precision: int) -> list[Block]:
    doc: list[Block] = [Heading("Given", 3)]
    for k, layer in enumerate(net.layers, 1):
        doc.append(Para(f"Layer {k} ({layer.name}), {_units(layer.nout)}, {_prose(layer.activation)}:"))
        lhs = f"W^{{({k})}} = "
        W = lhs + matrix(layer.W, precision, BUDGET - em(lhs))
        if not layer.has_bias:
            doc.append(Math(W))
            continue
        b = rf"\mathbf{{b}}^{{({k})}} = {column(layer.b, precision)}"
        together = rf"{W}, \quad {b}"
        doc += [Math(together)] if em(together) <= BUDGET else [Math(W), Math(b)]
    return doc


def _sub(symbol: str, i: int) -> str:
    """``z_1``, ``z_{12}``: braces only where LaTeX needs them, as the seed writes it."""
    return f"{symbol}_{i}" if i < 10 else f"{symbol}_{{{i}}}"


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
) -> tuple[list[Block], int]:
    """One layer's worked steps: each weighted sum term by term, then the activation.

    ``x`` is what the layer multiplies (the input, or the layer before's ``a``); ``z`` and
    ``a`` are the layer's values from the Trace; ``mark`` (a prime) sets the symbols of a
    collapsed network apart. Returns the blocks and the next step number.
    """
    doc: list[Block] = [Heading(f"Step {step}: layer {k} ({layer.name}), weighted sums", 4)]
    step += 1
    W, b, zs, a_ = (f"{s}{mark}^{{({k})}}" for s in ("W", r"\mathbf{b}", r"\mathbf{z}", r"\mathbf{a}"))
    previous = r"\mathbf{x}" if k == 1 else rf"\mathbf{{a}}{mark}^{{({k - 1})}}"
    doc.append(Math(f"{zs} = {W} {previous}" + (f" + {b}" if layer.has_bias else "")))
    lines = []
    units, hidden = shown_units(layer.nout, show_all)
    for j in units:
        if hidden and j == units[len(units) // 2]:
            lines.append(rf"&\;\vdots \quad \text{{({hidden} more units)}}")
        terms = sum_terms(
            layer.W[j],
            x,
            layer.b[j] if layer.has_bias else None,
            number=lambda v: tex_number(v, precision),
            gap=r"{{\underbrace{{\cdots}}_{{\text{{{n} more}}}}}}",  # braced: "+" around it stays binary
        )
        lines += _equation(f"{_sub('z', j + 1)}{mark}^{{({k})}}", terms, tex_number(z[j], precision))
    doc.append(Math(aligned(lines)))

    act = layer.activation
    if act.is_identity:
        doc.append(Para("The activation is linear, so ", Math(f"{a_} = {zs}"), "."))
        return doc, step
    doc.append(Heading(f"Step {step}: apply {_prose(act)}", 4))
    step += 1
    op = _operator(act)
    if act.definition.elementwise:
        if act.name == "relu":
            applied = [[rf"\max(0, {tex_number(v, precision)})"] for v in z]
        else:
            applied = [[rf"{op}({tex_number(v, precision)})"] for v in z]
        middle = f" = {bmatrix(applied)}"
    else:
        middle = ""
    one = f"{a_} = {op}({zs}){middle} = {column(a, precision)}"
    if em(one) <= BUDGET:
        doc.append(Math(one))
    else:
        doc.append(Math(aligned([f"{a_} &= {op}({zs}){middle}", f"&= {column(a, precision)}"])))
    return doc, step


def _firing(net: Network, trace: Trace, i: int) -> list[Block]:
    """Which ReLU units fired (z > 0) and which output 0, layer by layer."""
    doc: list[Block] = []
    for k, (layer, lt) in enumerate(zip(net.layers, trace.layers), 1):
        if layer.activation.name != "relu":
            continue
        dead = [j + 1 for j, v in enumerate(lt.z[i]) if v <= 0]
        where = f"layer {k} ({layer.name})"
        if not dead:
            everyone = "the unit" if layer.nout == 1 else f"all {layer.nout} units"
            doc.append(Para(f"In {where}, {everyone} fired: z > 0, so ReLU passed z through."))
        elif len(dead) == layer.nout == 1:
            doc.append(Para(f"In {where}, z ≤ 0, so ReLU output 0: the unit did not fire for this input."))
        else:
            doc.append(
                Para(
                    f"In {where}, unit{'s' if len(dead) > 1 else ''} {_names(dead)} had z ≤ 0, "
                    f"so ReLU output 0: {'they' if len(dead) > 1 else 'it'} did not fire. "
                    f"The other {layer.nout - len(dead)} fired."
                )
            )
    return doc


def _describe(net: Network) -> Para:
    parts = [f"{net.nin} input{'s' if net.nin != 1 else ''}"]
    for k, layer in enumerate(net.layers, 1):
        parts.append(f"layer {k} ({layer.name}): {_units(layer.nout)}, {_prose(layer.activation)}")
    return Para("Network: " + "; then ".join(parts) + ".")


def _output(y: np.ndarray, precision: int) -> Para:
    if len(y) == 1:
        return Para("The network outputs ", Math(rf"\hat{{y}} = {tex_number(y[0], precision)}"), ".")
    return Para("The network outputs ", Math(rf"\hat{{\mathbf{{y}}}} = {column(y, precision)}"), ".")


def forward_doc(
    net: Network, trace: Trace, precision: int = 10, show_all: bool = False, total: int | None = None
) -> list[Block]:
    """The forward pass of every input in ``trace``, worked out like the seed's Example 2."""
    n = len(trace.x)
    total = total or n
    doc: list[Block] = [Heading(f"Forward pass: {net.name or net.source}", 2), _describe(net)]
    doc += _given(net, precision)
    for i in range(n):
        if total > 1:
            doc.append(Heading(f"Input {i + 1} of {total:,}", 3))
        doc.append(Para("Input:"))
        doc.append(Math(rf"\mathbf{{x}} = {column(trace.x[i], precision)}"))
        step = 1
        for k, (layer, lt) in enumerate(zip(net.layers, trace.layers), 1):
            blocks, step = layer_steps(
                layer, k, trace.inputs_to(k - 1)[i], lt.z[i], lt.a[i], step, precision, show_all
            )
            doc += blocks
        doc.append(_output(trace.output[i], precision))
        doc += _firing(net, trace, i)
    if total > n:
        doc.append(Para(f"… and {total - n:,} more inputs, not worked out here: --csv or --json print every output."))
    return doc


def _chain(group: Sequence[int]) -> str:
    """``W_2 W_1`` as the seed writes it, or ``W_5 \\cdots W_1`` for longer runs of layers."""
    ks = [_sub("W", k + 1) for k in reversed(group)]
    return " ".join(ks) if len(ks) <= 3 else rf"{ks[0]} \cdots {ks[-1]}"


def _product(p: Product, head: str, precision: int, small: bool) -> list[Block]:
    """``W^{(2)} W^{(1)} = [entries written out] = [values]``, as the seed's Example 3.

    Entries too long for one line are written one per line, each sum broken between terms.
    """
    result = f"{head} = {matrix(p.result, precision, BUDGET - em(head) - 1.4)}"
    if not small:
        return [Math(result)]
    rows, cols = p.result.shape
    sums = [
        [
            [
                f"({tex_number(p.left[r, t], precision)})({tex_number(p.right[t, c], precision)})"
                for t in range(p.left.shape[1])
            ]
            for c in range(cols)
        ]
        for r in range(rows)
    ]
    one = f"{head} = {bmatrix([[' + '.join(terms) for terms in row] for row in sums])} = {result[len(head) + 3:]}"
    if em(one) <= BUDGET:
        return [Math(one)]
    lines = []
    for r in range(rows):
        for c in range(cols):
            lines += _equation(f"({head})_{{{r + 1},{c + 1}}}", sums[r][c], tex_number(p.result[r, c], precision))
    return [Math(aligned(lines)), Math(result)]


def collapse_doc(
    c: Collapse,
    chk: Check,
    search: WitnessSearch | None,
    precision: int = 10,
) -> list[Block]:
    """Both paths on one input, the merged weights, and the verdict (or a witness)."""
    net, layered, collapsed = c.original, chk.layered_trace, chk.collapsed_trace
    before, after = len(net.layers), len(c.reduced.layers)
    doc: list[Block] = [Heading(f"Collapsing linear layers: {net.name or net.source}", 2), _describe(net)]
    doc += _given(net, precision)
    doc.append(Para("Input:"))
    doc.append(Math(rf"\mathbf{{x}} = {column(chk.input, precision)}"))

    doc.append(Heading(f"{before} separate layer{'s' if before != 1 else ''}", 3))
    step = 1
    for k, (layer, lt) in enumerate(zip(net.layers, layered.layers), 1):
        blocks, step = layer_steps(layer, k, layered.inputs_to(k - 1)[0], lt.z[0], lt.a[0], step, precision, False)
        doc += blocks
    doc.append(_output(chk.layered, precision))

    if after < before:
        doc.append(Heading(f"{after} layer{'s' if after != 1 else ''}: linear runs merged", 3))
        for group, layer, products in zip(c.groups, c.reduced.layers, c.products):
            if len(group) < 2:
                continue
            doc.append(
                Para(f"{layer.name}: {len(group)} linear layers become one, ", Math(f"W' = {_chain(group)}"), ".")
            )
            for i, p in enumerate(products):
                # step i multiplies layer group[i + 1] onto the product of the layers before it
                doc += _product(p, _chain(group[: i + 2]), precision, max(*p.left.shape, *p.right.shape) <= SMALL)
            if layer.has_bias:
                doc.append(Math(rf"\mathbf{{b}}' = {column(layer.b, precision)}"))
        step = 1
        for k, (layer, lt) in enumerate(zip(c.reduced.layers, collapsed.layers), 1):
            blocks, step = layer_steps(
                layer, k, collapsed.inputs_to(k - 1)[0], lt.z[0], lt.a[0], step, precision, False, mark="'"
            )
            doc += blocks
        doc.append(_output(chk.collapsed, precision))

    doc.append(Heading("Verdict", 3))
    if c.collapsible:
        (layer,) = c.reduced.layers
        doc.append(
            Para(
                f"Same result: {before} linear layer{'s' if before != 1 else ''} = 1 linear layer "
                f"({layer.nout}×{layer.nin}), ",
                Math(f"W' = {_chain(range(before))}"),
                f". The two paths differ by at most {fmt(chk.max_abs_diff, 3)}.",
            )
        )
        return doc
    blocking = [f"{l.name} ({_prose(l.activation)})" for l in net.layers if l.name in c.blocking]
    doc.append(
        Para(
            f"The network does not collapse to one linear layer: "
            f"{'layers' if len(blocking) > 1 else 'layer'} {', '.join(blocking)} "
            f"{'are' if len(blocking) > 1 else 'is'} nonlinear. {before} layers → {after}."
        )
    )
    w = search.witness if search else None
    if search is not None and w is None:
        doc.append(
            Para(
                f"No witness was found: the network behaves linearly on every input tried "
                f"({search.pairs_tried:,} pairs around x, up to {fmt(max(search.scales), 3)}× its size away)."
            )
        )
    elif w is not None:
        doc.append(Para("A witness: every linear (affine) map f has f((x1 + x2)/2) = (f(x1) + f(x2))/2, but here"))
        inputs = [rf"\mathbf{{x}}_1 = {column(w.x1, precision)}", rf"\mathbf{{x}}_2 = {column(w.x2, precision)}"]
        outputs = [
            rf"f\left(\tfrac{{\mathbf{{x}}_1 + \mathbf{{x}}_2}}{{2}}\right) = {column(w.midpoint_output, precision)}",
            rf"\neq \tfrac{{f(\mathbf{{x}}_1) + f(\mathbf{{x}}_2)}}{{2}} = {column(w.average_output, precision)}",
        ]
        one = ", \\quad ".join(inputs) + ", \\quad " + " ".join(outputs)
        if em(one) <= BUDGET:
            doc.append(Math(one))
        else:
            lines = pack("", inputs, ", \\quad ", "") + pack("", outputs, " ", "")
            doc.append(Math("\\begin{gathered}\n" + " \\\\\n".join(lines) + "\n\\end{gathered}"))
        doc.append(Para(f"They differ by {fmt(w.gap, 3)}: no linear map does that."))
    return doc
