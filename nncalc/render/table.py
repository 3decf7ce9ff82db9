"""Rich tables for people: every weighted sum, z and activation, layer by layer.

Cells are :class:`rich.text.Text`, never markup strings, so a layer named ``[bold]``
prints as written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np
from rich.console import Console
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from nncalc.network import Layer, Network

if TYPE_CHECKING:
    from nncalc.activations import ActivationDef, Saturation
    from nncalc.collapsing import Check, Collapse, Product, WitnessSearch
    from nncalc.engine import Trace
from nncalc.render.numbers import SMALL, fmt, not_finite, short_vector, shown_units, sum_terms
from nncalc.render.terminal import Column, Gap, Row, Screen, join_wrapped, wrap

def forward_tables(
    console: Console,
    net: Network,
    trace: Trace,
    precision: int = 10,
    show_all: bool = False,
    total: int | None = None,
) -> None:
    """Print one block per input: the input, a table per layer, the output.

    ``total`` is the size of the whole batch when the trace holds only its first inputs.
    A layer whose numbers do not fit the terminal's width is written one unit per block,
    so no digit is ever cut.
    """
    screen = Screen(console)
    n = len(trace.x)
    total = total or n
    for i in range(n):
        if total > 1:
            screen.rule(f"Input {i + 1} of {total:,}")
        screen.line(f"Input x = {short_vector(trace.x[i], precision, show_all)}")
        for k, (layer, lt) in enumerate(zip(net.layers, trace.layers)):
            _layer_table(screen, layer, k, trace.inputs_to(k)[i], lt.z[i], lt.a[i], precision, show_all)
        screen.line(f"Output = {short_vector(trace.output[i], precision, show_all)}", style="bold")
        if i < n - 1:
            screen.blank()


def more_inputs_note(console: Console, shown: int, total: int) -> None:
    """The line after the tables of a batch larger than the tables show."""
    if total > shown:
        screen = Screen(console)
        screen.blank()
        screen.line(f"… and {total - shown:,} more inputs, not shown as tables: --csv or --json print every output.")


def _layer_table(
    screen: Screen,
    layer: Layer,
    k: int,
    x: np.ndarray,
    z: np.ndarray,
    a: np.ndarray,
    precision: int,
    show_all: bool,
) -> None:
    act = layer.activation
    title = f"Layer {k + 1}: {screen.name(layer.name)} ({layer.nin} → {layer.nout}, {screen.name(act.label)})"
    units, hidden = shown_units(layer.nout, show_all)
    gap_at = units[len(units) // 2] if hidden else None
    # Each unit's terms, z and a, formatted once for both layouts.
    rows = [
        (
            j,
            sum_terms(layer.W[j], x, layer.b[j] if layer.has_bias else None, precision),
            fmt(z[j], precision),
            fmt(a[j], precision),
        )
        for j in units
    ]
    gap = f"{hidden} more units (--all shows every row)"
    columns = [
        Column("unit", "right", number=True),
        Column("z = Wx + b, term by term", min_width=20),
        Column("z", "right", number=True),
        Column(f"a = {screen.name(act.name)}(z)", "right", number=True),
    ]
    table_rows: list[Row] = []
    for j, terms, zj, aj in rows:
        if j == gap_at:
            table_rows.append(Gap(gap))
        table_rows.append([str(j + 1), " + ".join(terms), zj, aj])

    def narrow() -> None:
        """One block per unit: the sum broken between terms, then z and a on lines of their own."""
        out: list[str] = []
        width = screen.width
        for j, terms, zj, aj in rows:
            if j == gap_at:
                out += wrap(f"… {gap}", width)
            out.append(f"unit {j + 1}")
            out += join_wrapped("  z = ", terms, " + ", "    + ", width)
            out.append(f"    = {zj}")
            out += _ends_with([f"  a = {screen.name(act.name)}(z)"], f"= {aj}", width)
        screen.lines([screen.cs.text(line) for line in out])

    screen.table(columns, table_rows, title=title, narrow=narrow)


def _ends_with(lines: list[str], tail: str, width: int) -> list[str]:
    """``lines`` with `` tail`` after the last one, or on a line of its own if it does not fit."""
    last = lines[-1]
    if cell_len(last) + 1 + cell_len(tail) <= width:
        return [*lines[:-1], f"{last} {tail}"]
    return [*lines, "    " + tail]


def summary_table(console: Console, net: Network) -> None:
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


def examples_table(console: Console, rows: Iterable[tuple[str, str, str]]) -> None:
    """``nncalc examples``: name, shape and description of each bundled spec."""
    screen = Screen(console)
    columns = [Column("name"), Column("shape"), Column("description", min_width=20)]
    screen.table(columns, [[screen.name(n), screen.name(s), screen.name(d)] for n, s, d in rows])


# ----------------------------------------------------------------------------- collapse

MAX_COLUMNS = 8  # wider matrices show their first columns only


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _product_table(screen: Screen, p: Product, precision: int) -> None:
    """``W' = left · right``, each entry as its sum of products, as the seed writes it."""
    rows, cols = p.result.shape
    columns = [Column("row", "right", number=True)] + [Column(f"column {c + 1}") for c in range(cols)]
    cells: list[Row] = []
    for r in range(rows):
        row = [str(r + 1)]
        for c in range(cols):
            terms = " + ".join(
                f"({fmt(p.left[r, t], precision)})({fmt(p.right[t, c], precision)})"
                for t in range(p.left.shape[1])
            )
            row.append(f"{terms} = {fmt(p.result[r, c], precision)}")
        cells.append(row)
    screen.table(columns, cells, title=f"{screen.name(p.left_name)} · {screen.name(p.right_name)}")


def _matrix_table(screen: Screen, title: str, W: np.ndarray, b: np.ndarray | None, precision: int) -> None:
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
        row = [str(r + 1)] + [fmt(v, precision) for v in W[r, :shown_cols]]
        if shown_cols < cols:
            row.append("…")
        if b is not None:
            row.append(fmt(b[r], precision))
        cells.append(row)
    screen.table(columns, cells, title=title)


def collapse_view(
    console: Console,
    c: Collapse,
    chk: Check,
    search: WitnessSearch | None,
    precision: int = 10,
) -> None:
    """``nncalc collapse``: the merged layers, their products, the check and the verdict."""
    screen = Screen(console)
    name = screen.name
    before, after = len(c.original.layers), len(c.reduced.layers)
    labels = ", ".join(name(layer.activation.label) for layer in c.original.layers)
    screen.line(f"{name(c.original.name or c.original.source)}: {_plural(before, 'layer')} ({labels})")
    for group, layer, products in zip(c.groups, c.reduced.layers, c.products):
        if len(group) < 2:
            continue
        screen.blank()
        screen.line(
            f"W' of {name(layer.name)} ({layer.nout}×{layer.nin}), merging {_plural(len(group), 'linear layer')}:",
            style="bold",
        )
        small = [max(*p.left.shape, *p.right.shape) <= SMALL for p in products]
        for p, written_out in zip(products, small):
            if written_out:
                _product_table(screen, p, precision)
        bias = layer.b if layer.has_bias else None
        if bias is not None or not all(small):
            what = "W' and b'" if bias is not None else "W'"
            _matrix_table(screen, f"{what} of {name(layer.name)}", layer.W, bias, precision)
        if bias is not None:
            names = [name(c.original.layers[k].name) for k in group]
            formula = f"b_{names[0]}"
            for n in names[1:]:
                formula = f"W_{n}·{'(' + formula + ')' if '+' in formula else formula} + b_{n}"
            screen.line(f"b' = {formula}")

    if after < before:  # something merged: show that both paths agree
        screen.blank()
        units, hidden = shown_units(len(chk.layered), False)
        rows: list[Row] = []
        for j in units:
            if hidden and j == units[len(units) // 2]:
                rows.append(Gap(f"{hidden} more units"))
            rows.append([str(j + 1), fmt(chk.layered[j], precision), fmt(chk.collapsed[j], precision)])
        columns = [
            Column("unit", "right", number=True),
            Column(f"layered ({_plural(before, 'layer')})", "right", number=True),
            Column(f"collapsed ({_plural(after, 'layer')})", "right", number=True),
        ]
        screen.table(columns, rows, title=f"Check on x = {short_vector(chk.input, precision)}")
        screen.line(f"largest |difference|: {fmt(chk.max_abs_diff, 3)}")
    screen.blank()

    if c.collapsible:
        (layer,) = c.reduced.layers
        shape = f"({layer.nout}×{layer.nin})"
        if before == 1:
            screen.line(f"1 linear layer: already a single linear layer {shape}", style="bold")
        else:
            screen.line(f"{before} linear layers = 1 linear layer {shape}", style="bold green")
        return

    blocking = [f"'{name(l.name)}' ({name(l.activation.label)})" for l in c.original.layers if l.name in c.blocking]
    screen.line(
        f"Does not collapse to one linear layer: {'layers' if len(blocking) > 1 else 'layer'} "
        f"{', '.join(blocking)} {'are' if len(blocking) > 1 else 'is'} nonlinear.",
        style="bold red",
    )
    merged = [name(l.name) for g, l in zip(c.groups, c.reduced.layers) if len(g) > 1]
    if merged:
        screen.line(f"{_plural(before, 'layer')} → {_plural(after, 'layer')}: merged {', '.join(merged)}")
    else:
        screen.line(f"{_plural(before, 'layer')} → {_plural(after, 'layer')}: no two linear layers are adjacent")
    if search is None:
        return
    w = search.witness
    if w is None:
        screen.line(
            f"No witness found: the network behaves linearly on every input tried "
            f"({search.pairs_tried:,} pairs around x, up to {fmt(max(search.scales), 3)}× its size away)."
        )
        return
    screen.line(
        "Witness: every linear (affine) map f has f((x1+x2)/2) = (f(x1)+f(x2))/2, "
        "but this network does not:"
    )
    rows = [
        [label, short_vector(values, precision)]
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
        narrow=lambda: screen.lines([line for label, v in rows for line in wrap(f"{label} = {v}", screen.width, "  ")]),
    )
    screen.line(f"They differ by {fmt(w.gap, 3)}.")


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


def _function_cell(screen: Screen, d: ActivationDef) -> Text:
    text = Text(screen.name(d.name), style="bold")
    if d.aliases:
        text.append(screen.name(f" ({', '.join(d.aliases)})"))
    if d.params:
        text.append("\n" + ", ".join(f"{k}={v:g}" for k, v in d.params.items()))
    text.append(f"\n{screen.name(d.pytorch)}", style="dim")
    return text


def activations_table(
    console: Console, rows: Sequence[tuple[ActivationDef, Saturation]]
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
    console: Console,
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
            for z, v, g in zip(zs, values, grads):
                out += wrap(f"  z = {z}: σ = {value_cell(v, precision)}, σ' = {value_cell(g, precision)}", screen.width, "      ")
        screen.lines(out)

    screen.table(columns, cells, title=f"Values and derivatives at z = {short_vector(points, precision)}", narrow=narrow)
    if layer_wide:
        screen.line(
            f"* {' and '.join(layer_wide)} {'acts' if len(layer_wide) == 1 else 'act'} on the whole layer: here z = "
            f"{short_vector(points, precision)} is one layer, and σ' is the Jacobian's diagonal"
        )
