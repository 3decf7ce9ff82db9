"""Tables for people: every weighted sum, z and activation, layer by layer.

The tables write the view models of :mod:`nncalc.render.view` (what is shown, the
sentences); this module only chooses how they look on a terminal, drawn by a
:class:`~nncalc.render.terminal.Screen`. Cells are plain text (or
:class:`~nncalc.render.terminal.Styled`), never markup, so a layer named ``[bold]``
prints as written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
from rich.cells import cell_len

from nncalc.network import Network

if TYPE_CHECKING:
    from rich.console import Console

    from nncalc import exact as exact_
    from nncalc.activations import ActivationDef, Saturation
    from nncalc.collapsing import Check, Collapse, WitnessSearch
    from nncalc.engine import Trace
from nncalc.render import view as v
from nncalc.render.numbers import fmt, not_finite, short_vector, shown_units, sum_terms
from nncalc.render.terminal import Column, Gap, Row, Screen, Styled, Terminal, join_wrapped, wrap
from nncalc.steps import Chain, formula, plain


def forward_tables(
    console: Terminal | Console,
    net: Network,
    trace: Trace,
    precision: int = 10,
    show_all: bool = False,
    total: int | None = None,
    brief: bool = False,
    exact: exact_.Trace | None = None,
) -> None:
    """Print one block per input: the input, a table per layer, the output.

    ``total`` is the size of the whole batch when the trace holds only its first inputs.
    Each activation is worked out from its formula unless ``brief``; with ``exact`` (an
    exact trace of the same inputs) every number is exact and the output is also given
    as fractions. A layer whose numbers do not fit the terminal's width is written one
    unit per block, so no digit is ever cut.
    """
    fv = v.forward_view(net, trace, show_all, total, brief, exact)
    screen = Screen(console)
    num = v.Numbers(precision, exact=fv.exact)
    n = len(fv.inputs)
    for iv in fv.inputs:
        if fv.total > 1:
            screen.rule(f"Input {iv.i + 1} of {fv.total:,}")
        screen.line(f"Input x = {short_vector(iv.x, show_all=show_all, number=num)}")
        for lv in iv.layers:
            _layer_table(screen, lv, num)
        output = f"Output = {short_vector(iv.output, show_all=show_all, number=num.rounded if fv.exact else num)}"
        if fv.exact:
            output += f" = {short_vector(iv.output, show_all=show_all, number=num.fraction)}"
        screen.line(output, style="bold")
        if iv.i < n - 1:
            screen.blank()


def more_inputs_note(console: Terminal | Console, shown: int, total: int) -> None:
    """The line after the tables of a batch larger than the tables show."""
    sentence = v.more_inputs(total, shown)
    if sentence:
        screen = Screen(console)
        screen.blank()
        screen.line(sentence)


def _chain(chain: Chain, num: v.Numbers) -> list[str]:
    """A chain's expressions as text, the branch note after the last."""
    parts = [plain(e, num) for e in chain.exprs]
    if chain.note:
        parts[-1] += f" ({chain.note})"
    return parts


def _layer_table(screen: Screen, lv: v.LayerView, num: v.Numbers) -> None:
    layer = lv.layer
    act = layer.activation
    name = screen.name
    title = f"Layer {lv.k}: {name(layer.name)} ({layer.nin} → {layer.nout}, {name(act.label)})"
    # Each unit's terms, z and a (the activation worked out, or its value), formatted
    # once for both layouts.
    rows = [
        (
            u.j,
            sum_terms(u.w, lv.x, u.b, number=num),
            num(u.z),
            _chain(u.chain, num) if u.chain is not None else None,
            num(u.a),
        )
        for u in lv.units
    ]
    gap = f"{lv.hidden} more units (--all shows every row)"
    header = f"a = {name(act.name)}(z)"
    if lv.expanded and act.definition.elementwise:
        header += f"\n= {name(formula(act, num) or '')}"
    columns = [
        Column("unit", "right", number=True),
        Column("z = Wx + b, term by term", min_width=20),
        Column("z", "right", number=True),
        Column(header, "right", number=True),  # a worked-out activation is never wrapped
    ]
    table_rows: list[Row] = []
    for j, terms, zj, steps, aj in rows:
        if j == lv.gap_at:
            table_rows.append(Gap(gap))
        table_rows.append([str(j + 1), " + ".join(terms), zj, " = ".join(steps) if steps else aj])

    def narrow() -> None:
        """One block per unit: the sum broken between terms, then z and a on lines of their own."""
        out: list[str] = []
        width = screen.width
        for j, terms, zj, steps, aj in rows:
            if j == lv.gap_at:
                out += wrap(f"… {gap}", width)
            out.append(f"unit {j + 1}")
            out += join_wrapped("  z = ", terms, " + ", "    + ", width)
            out.append(f"    = {zj}")
            if steps:
                out += join_wrapped(f"  a = {name(act.name)}(z) = ", steps, " = ", "    = ", width, break_first=True)
            else:
                out += _ends_with([f"  a = {name(act.name)}(z)"], f"= {aj}", width)
        screen.lines([screen.cs.text(line) for line in out])

    screen.table(columns, table_rows, title=title, narrow=narrow)
    if lv.softmax is not None:
        _softmax_block(screen, lv, num)


def _softmax_block(screen: Screen, lv: v.LayerView, num: v.Numbers) -> None:
    """Softmax (or log-softmax) of the layer: each shifted power, their sum, each quotient."""
    s = lv.softmax
    assert s is not None
    width = screen.width
    lines = wrap(v.mixed_text(v.shift_sentence(s.kind, num(s.m))), width, "")
    for u in lv.units:
        if u.j == lv.gap_at:
            lines += wrap(f"  … {lv.hidden} more units", width)
        lines += join_wrapped("  ", _chain(s.power(u.j), num), " = ", "    = ", width)
    shown, hidden = lv.sum_parts()
    terms = [num(s.powers[i]) for i in shown]
    if hidden:
        terms.insert(len(terms) - 2, f"… {hidden} more terms …")
    lines += _ends_with(join_wrapped("  Σ = ", terms, " + ", "    + ", width), f"= {num(s.total)}", width)
    if s.log_total is not None:
        lines += join_wrapped("  ln Σ = ", [f"ln({num(s.total)})", num(s.log_total)], " = ", "    = ", width, break_first=True)
    for u in lv.units:
        if u.j == lv.gap_at:
            lines += wrap(f"  … {lv.hidden} more units", width)
        lines += join_wrapped(f"  a_{u.j + 1} = ", _chain(s.result(u.j), num), " = ", "    = ", width, break_first=True)
    screen.lines([screen.cs.text(line) for line in lines])


def _ends_with(lines: list[str], tail: str, width: int) -> list[str]:
    """``lines`` with `` tail`` after the last one, or on a line of its own if it does not fit."""
    last = lines[-1]
    if cell_len(last) + 1 + cell_len(tail) <= width:
        return [*lines[:-1], f"{last} {tail}"]
    return [*lines, "    " + tail]


def summary_table(console: Terminal | Console, net: Network) -> None:
    """``nncalc validate``: a model summary, layer by layer, with parameter counts."""
    screen = Screen(console)
    screen.line(f"{screen.name(net.name or net.source)}: valid, {' → '.join(map(str, net.sizes))}")
    columns = [
        Column("#", "right", number=True, long="layer"),
        Column("layer", long="name"),
        Column("activation"),
        Column("shape (in → out)"),
        Column("parameters", "right", number=True),
    ]
    footer = ["", "total", "", "", f"{net.n_params:,}"]
    from_files = any(layer.weights_from or layer.bias_from for layer in net.layers)
    if from_files:
        columns.append(Column("read from"))
        footer.append("")
    rows: list[Row] = []
    for k, layer in enumerate(net.layers, 1):
        cells = [
            str(k),
            screen.name(layer.name),
            screen.name(layer.activation.label),
            f"{layer.nin} → {layer.nout}",
            f"{layer.n_params:,}",
        ]
        if from_files:
            where = [f"W: {screen.name(layer.weights_from or 'inline')}"]
            if layer.has_bias:
                where.append(f"b: {screen.name(layer.bias_from or 'inline')}")
            cells.append("\n".join(where))
        rows.append(cells)
    screen.table(columns, rows, footer=footer)
    if net.input is not None:
        shown = [short_vector(r) for r in net.input[:MAX_INPUT_ROWS]]
        more = len(net.input) - len(shown)
        screen.line(f"input: {', '.join(shown)}" + (f" and {more:,} more" if more else ""))


MAX_INPUT_ROWS = 5  # a spec's default inputs shown by validate


def examples_table(console: Terminal | Console, rows: Iterable[tuple[str, str, str]]) -> None:
    """``nncalc examples``: name, shape and description of each bundled spec."""
    screen = Screen(console)
    columns = [Column("name"), Column("shape"), Column("description", min_width=20)]
    screen.table(columns, [[screen.name(n), screen.name(s), screen.name(d)] for n, s, d in rows])


# ----------------------------------------------------------------------------- collapse

MAX_COLUMNS = 8  # wider matrices show their first columns only


def _product_table(screen: Screen, p: Any, left: str, right: str, num: v.Numbers) -> None:
    """``W' = left · right``, each entry as its sum of products, as the seed writes it."""
    rows, cols = p.result.shape
    columns = [Column("row", "right", number=True)] + [Column(f"column {c + 1}") for c in range(cols)]
    cells: list[Row] = []
    for r in range(rows):
        row = [str(r + 1)]
        for c in range(cols):
            terms = " + ".join(v.product_terms(p, r, c, num))
            row.append(f"{terms} = {num(p.result[r, c])}")
        cells.append(row)
    screen.table(columns, cells, title=f"{screen.name(left)} · {screen.name(right)}")


def _matrix_table(screen: Screen, title: str, W: np.ndarray, b: np.ndarray | None, num: v.Numbers) -> None:
    """A matrix of numbers (first and last rows of tall ones, first columns of wide ones)."""
    rows, cols = W.shape
    shown_cols = min(cols, MAX_COLUMNS)
    columns = [Column("row", "right", number=True)]
    columns += [Column(f"{c + 1}", "right", number=True, long=f"column {c + 1}") for c in range(shown_cols)]
    if shown_cols < cols:
        columns.append(Column(f"… {cols - shown_cols} more"))
    if b is not None:
        columns.append(Column("b'", "right", number=True))
    units, hidden = shown_units(rows, False)
    cells: list[Row] = []
    for r in units:
        if hidden and r == units[len(units) // 2]:
            cells.append(Gap(f"{hidden} more rows"))
        row = [str(r + 1)] + [num(x) for x in W[r, :shown_cols]]
        if shown_cols < cols:
            row.append("…")
        if b is not None:
            row.append(num(b[r]))
        cells.append(row)
    screen.table(columns, cells, title=title)


def _fractions(M: Any, num: v.Numbers) -> str:
    """``[[-5/2, -3], [3, 5]]``: an exact matrix or vector as fractions, on one line."""
    if np.ndim(M) == 1:
        return short_vector(M, number=num.fraction)
    return "[" + ", ".join(short_vector(row, number=num.fraction) for row in M) + "]"


def collapse_view(
    console: Terminal | Console,
    c: Collapse,
    chk: Check,
    search: WitnessSearch | None,
    precision: int = 10,
    exact: exact_.Collapse | None = None,
) -> None:
    """``nncalc collapse``: the merged layers, their products, the check and the verdict.

    With ``exact`` (the same collapse in Fractions), every number is exact and W', b'
    are also given as fractions.
    """
    cv = v.collapse_view(c, chk, search, exact)
    screen = Screen(console)
    name = screen.name
    num = v.Numbers(precision, exact=cv.exact)
    before, after = cv.before, cv.after
    labels = ", ".join(name(layer.activation.label) for layer in c.original.layers)
    screen.line(f"{name(c.original.name or c.original.source)}: {v.plural(before, 'layer')} ({labels})")
    for m in cv.merges:
        layer = m.layer
        screen.blank()
        screen.line(
            f"W' of {name(layer.name)} ({layer.nout}×{layer.nin}), merging {v.plural(len(m.group), 'linear layer')}:",
            style="bold",
        )
        names = [c.original.layers[k].name for k in m.group]
        for i, (p, written_out) in enumerate(zip(m.products, m.small)):
            if written_out:
                _product_table(screen, p, names[i + 1], "·".join(reversed(names[: i + 1])), num)
        if m.b is not None or not all(m.small):
            what = "W' and b'" if m.b is not None else "W'"
            _matrix_table(screen, f"{what} of {name(layer.name)}", m.W, m.b, num)
        if cv.exact:
            screen.line(f"W' = {_fractions(m.W, num)}")
            if m.b is not None:
                screen.line(f"b' = {_fractions(m.b, num)}")
        if m.b is not None:
            formula_ = f"b_{name(names[0])}"
            for n in names[1:]:
                formula_ = f"W_{name(n)}·{'(' + formula_ + ')' if '+' in formula_ else formula_} + b_{name(n)}"
            screen.line(f"b' = {formula_}")

    if after < before:  # something merged: show that both paths agree
        screen.blank()
        units, hidden = shown_units(len(cv.layered), False)
        rows: list[Row] = []
        for j in units:
            if hidden and j == units[len(units) // 2]:
                rows.append(Gap(f"{hidden} more units"))
            rows.append([str(j + 1), num(cv.layered[j]), num(cv.collapsed[j])])
        columns = [
            Column("unit", "right", number=True),
            Column(f"layered ({v.plural(before, 'layer')})", "right", number=True),
            Column(f"collapsed ({v.plural(after, 'layer')})", "right", number=True),
        ]
        screen.table(columns, rows, title=f"Check on x = {short_vector(cv.x, number=num)}")
        if cv.exact:
            screen.line(f"largest |difference|: {num(cv.difference)} (exact arithmetic)")
        else:
            screen.line(f"largest |difference|: {fmt(cv.difference, 3)}")
    screen.blank()

    if c.collapsible:
        (layer,) = c.reduced.layers
        style = "bold" if before == 1 else "bold green"
        screen.line(v.collapsed_verdict(before, (layer.nout, layer.nin)), style=style)
        return

    screen.line(
        v.nonlinear_verdict([f"'{name(l.name)}' ({name(l.activation.label)})" for l in cv.blocking()]),
        style="bold red",
    )
    screen.line(v.reduction(before, after, [name(n) for n in cv.merged_names()]))
    if search is None:
        return
    w = cv.witness
    if w is None:
        if cv.exact and search.witness is not None:
            screen.line("No witness found: the pair the search found is not one in exact arithmetic.")
        else:
            screen.line(v.no_witness(search))
        return
    screen.line(f"Witness: {v.WITNESS_RULE}, but this network does not:")
    rows = [
        [label, short_vector(values, number=num)]
        for label, values in [
            ("x1", w.x1),
            ("x2", w.x2),
            ("f((x1+x2)/2)", w.midpoint_output),
            ("(f(x1)+f(x2))/2", w.average_output),
        ]
    ]
    screen.table(
        [Column("", "right", number=True), Column("")],
        rows,
        show_header=False,
        narrow=lambda: screen.lines([line for label, val in rows for line in wrap(f"{label} = {val}", screen.width, "  ")]),
    )
    gap = num(w.gap) if cv.exact else fmt(w.gap, 3)
    screen.line(f"They differ by {gap}.")


# -------------------------------------------------------------------------- activations


def value_cell(x: float, precision: int) -> str:
    """A number for a table, or why there is none: float64 cannot hold every result.

    >>> value_cell(0.5, 3), value_cell(float("inf"), 3), value_cell(float("nan"), 3)
    ('0.5', 'overflow (> 1.8e308)', 'undefined (overflow)')
    """
    return not_finite(x) or fmt(x, precision)


def _saturation_cell(s: Saturation) -> str:
    def one(value: float, reached: bool) -> str:
        return value_cell(value, 3) if reached or not np.isfinite(value) else f"≈{fmt(value, 3)}"

    return f"{one(s.negative, s.negative_reached)} / {one(s.positive, s.positive_reached)}"


def _function_cell(screen: Screen, d: ActivationDef) -> Styled:
    parts: list[tuple[str, str | None]] = [(screen.name(d.name), "bold")]
    if d.aliases:
        parts.append((screen.name(f" ({', '.join(d.aliases)})"), None))
    if d.params:
        parts.append(("\n" + ", ".join(f"{k}={v:g}" for k, v in d.params.items()), None))
    parts += [("\n", None), (screen.name(d.pytorch), "dim")]
    return Styled.of(*parts)


def activations_table(
    console: Terminal | Console, rows: Sequence[tuple[ActivationDef, Saturation]]
) -> None:
    """``nncalc activations``: the seed's comparison table, for every registered function.

    On a terminal narrower than the six columns need (about 120), one block per function,
    every text wrapped between words.
    """
    screen = Screen(console)
    name = screen.name
    columns = [
        Column("Function / PyTorch", min_width=18),
        Column("Formula", min_width=18),
        Column("Output range", min_width=12),
        Column("Gradient at saturation (z → -∞ / +∞)", min_width=12),
        Column("Typical use", min_width=20),
        Column("Known problem", min_width=20),
    ]
    cells: list[Row] = [
        [
            _function_cell(screen, d),
            name(d.formula),
            name(d.output_range),
            _saturation_cell(s),
            name(d.typical_use),
            name(d.known_problem),
        ]
        for d, s in rows
    ]

    def narrow() -> None:
        width = screen.width
        for d, s in rows:
            screen.blank()
            head = name(d.name) + (f" ({name(', '.join(d.aliases))})" if d.aliases else "")
            screen.line(head, style="bold")
            fields = [("PyTorch", name(d.pytorch))]
            if d.params:
                fields.append(("parameters", ", ".join(f"{k}={v:g}" for k, v in d.params.items())))
            fields += [
                ("formula", name(d.formula)),
                ("output range", name(d.output_range)),
                ("gradient as z → -∞ / +∞", _saturation_cell(s)),
                ("typical use", name(d.typical_use)),
                ("known problem", name(d.known_problem)),
            ]
            screen.lines([line for label, value in fields for line in wrap(f"  {label}: {value}", width, "      ")])

    screen.table(columns, cells, title="Activation functions", show_lines=True, narrow=narrow)
    notes = [d for d, _ in rows if d.notes]
    if notes:
        screen.blank()
    for d in notes:
        screen.line(f"{name(d.name)}: {name(d.notes)}")


def activation_values_table(
    console: Terminal | Console,
    points: np.ndarray,
    rows: Sequence[tuple[ActivationDef, np.ndarray, np.ndarray]],
    precision: int = 10,
) -> None:
    """``--at``: each activation's value and derivative at each point.

    A value float64 cannot hold is shown with its reason (``undefined (overflow)``). Too
    many points for the width: one block per function, a line per point.
    """
    screen = Screen(console)
    zs = [fmt(z, precision) for z in points]
    columns = [Column("function")]
    for z in zs:
        columns.append(Column(f"σ({z})", "right", number=True))
        columns.append(Column(f"σ'({z})", "right", number=True))
    layer_wide = []
    cells: list[Row] = []
    for d, values, grads in rows:
        label = screen.name(d.name) if d.elementwise else f"{screen.name(d.name)} *"
        if not d.elementwise:
            layer_wide.append(screen.name(d.name))
        cells.append([label, *(value_cell(v, precision) for pair in zip(values, grads) for v in pair)])

    def narrow() -> None:
        out = []
        for row, (_, values, grads) in zip(cells, rows):
            out.append(str(row[0]))
            for z, value, g in zip(zs, values, grads):
                out += wrap(f"  z = {z}: σ = {value_cell(value, precision)}, σ' = {value_cell(g, precision)}", screen.width, "      ")
        screen.lines(out)

    screen.table(columns, cells, title=f"Values and derivatives at z = {short_vector(points, precision)}", narrow=narrow)
    if layer_wide:
        screen.line(
            f"* {' and '.join(layer_wide)} {'acts' if len(layer_wide) == 1 else 'act'} on the whole layer: here z = "
            f"{short_vector(points, precision)} is one layer, and σ' is the Jacobian's diagonal"
        )
