"""Rich tables for people: every weighted sum, z and activation, layer by layer.

Cells are :class:`rich.text.Text`, never markup strings, so a layer named ``[bold]``
prints as written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from nncalc.network import Network

if TYPE_CHECKING:
    from nncalc.activations import ActivationDef, Saturation
    from nncalc.collapsing import Check, Collapse, Product, WitnessSearch
    from nncalc.engine import Trace
from nncalc.render.numbers import SMALL, fmt, shown_units, vector, weighted_sum

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
    """
    n = len(trace.x)
    total = total or n
    for i in range(n):
        if total > 1:
            console.rule(Text(f"Input {i + 1} of {total:,}"), align="left")
        console.print(Text(f"Input x = {vector(trace.x[i], precision)}"))
        for k, (layer, lt) in enumerate(zip(net.layers, trace.layers)):
            x = trace.inputs_to(k)[i]
            title = (
                f"Layer {k + 1}: {layer.name} "
                f"({layer.nin} → {layer.nout}, {layer.activation.label})"
            )
            table = Table(title=Text(title), title_justify="left")
            table.add_column("unit", justify="right")
            table.add_column("z = Wx + b, term by term")
            table.add_column("z", justify="right")
            table.add_column(f"a = {layer.activation.name}(z)", justify="right")
            units, hidden = shown_units(layer.nout, show_all)
            for j in units:
                if hidden and j == units[len(units) // 2]:
                    table.add_row(
                        Text("…"),
                        Text(f"{hidden} more units (--all shows every row)", style="italic"),
                        Text("…"),
                        Text("…"),
                    )
                b = layer.b[j] if layer.has_bias else None
                table.add_row(
                    Text(str(j + 1)),
                    Text(weighted_sum(layer.W[j], x, b, precision)),
                    Text(fmt(lt.z[i, j], precision)),
                    Text(fmt(lt.a[i, j], precision)),
                )
            console.print(table)
        console.print(Text(f"Output = {vector(trace.output[i], precision)}", style="bold"))
        if i < n - 1:
            console.print()


def summary_table(console: Console, net: Network) -> None:
    """``nncalc validate``: a model summary, layer by layer, with parameter counts."""
    console.print(Text(f"{net.name or net.source}: valid, {' → '.join(map(str, net.sizes))}"))
    table = Table(show_footer=True)
    table.add_column("#", justify="right")
    table.add_column("layer", footer="total")
    table.add_column("activation")
    table.add_column("shape (in → out)")
    table.add_column("parameters", justify="right", footer=f"{net.n_params:,}")
    from_files = any(layer.weights_from or layer.bias_from for layer in net.layers)
    if from_files:
        table.add_column("read from", overflow="fold")
    for k, layer in enumerate(net.layers, 1):
        cells = [
            Text(str(k)),
            Text(layer.name),
            Text(layer.activation.label),
            Text(f"{layer.nin} → {layer.nout}"),
            Text(f"{layer.n_params:,}"),
        ]
        if from_files:
            where = [f"W: {layer.weights_from or 'inline'}"]
            if layer.has_bias:
                where.append(f"b: {layer.bias_from or 'inline'}")
            cells.append(Text("\n".join(where)))
        table.add_row(*cells)
    console.print(table)
    if net.input is not None:
        rows = [vector(r) for r in net.input]
        console.print(Text(f"input: {', '.join(rows)}"))


def examples_table(console: Console, rows: Iterable[tuple[str, str, str]]) -> None:
    """``nncalc examples``: name, shape and description of each bundled spec."""
    table = Table()
    table.add_column("name")
    table.add_column("shape")
    table.add_column("description")
    for name, shape, description in rows:
        table.add_row(Text(name), Text(shape), Text(description))
    console.print(table)


# ----------------------------------------------------------------------------- collapse

MAX_COLUMNS = 8  # wider matrices show their first columns only


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _product_table(p: Product, precision: int) -> Table:
    """``W' = left · right``, each entry as its sum of products, as the seed writes it."""
    rows, cols = p.result.shape
    table = Table(title=Text(f"{p.left_name} · {p.right_name}"), title_justify="left")
    table.add_column("row", justify="right")
    for c in range(cols):
        table.add_column(f"column {c + 1}")
    for r in range(rows):
        cells = []
        for c in range(cols):
            terms = " + ".join(
                f"({fmt(p.left[r, t], precision)})({fmt(p.right[t, c], precision)})"
                for t in range(p.left.shape[1])
            )
            cells.append(Text(f"{terms} = {fmt(p.result[r, c], precision)}"))
        table.add_row(Text(str(r + 1)), *cells)
    return table


def _matrix_table(title: str, W: np.ndarray, b: np.ndarray | None, precision: int) -> Table:
    """A matrix of numbers (first and last rows of tall ones, first columns of wide ones)."""
    rows, cols = W.shape
    shown_cols = min(cols, MAX_COLUMNS)
    table = Table(title=Text(title), title_justify="left")
    table.add_column("row", justify="right")
    for c in range(shown_cols):
        table.add_column(f"{c + 1}", justify="right")
    if shown_cols < cols:
        table.add_column(f"… {cols - shown_cols} more")
    if b is not None:
        table.add_column("b'", justify="right")
    units, hidden = shown_units(rows, False)
    for r in units:
        if hidden and r == units[len(units) // 2]:
            table.add_row(Text("…"), Text(f"{hidden} more rows", style="italic"))
        cells = [Text(fmt(v, precision)) for v in W[r, :shown_cols]]
        if shown_cols < cols:
            cells.append(Text("…"))
        if b is not None:
            cells.append(Text(fmt(b[r], precision)))
        table.add_row(Text(str(r + 1)), *cells)
    return table


def collapse_view(
    console: Console,
    c: Collapse,
    chk: Check,
    search: WitnessSearch | None,
    precision: int = 10,
) -> None:
    """``nncalc collapse``: the merged layers, their products, the check and the verdict."""
    before, after = len(c.original.layers), len(c.reduced.layers)
    name = c.original.name or c.original.source
    labels = ", ".join(layer.activation.label for layer in c.original.layers)
    console.print(Text(f"{name}: {_plural(before, 'layer')} ({labels})"))
    for group, layer, products in zip(c.groups, c.reduced.layers, c.products):
        if len(group) < 2:
            continue
        console.print()
        console.print(Text(f"W' of {layer.name} ({layer.nout}×{layer.nin}), merging {_plural(len(group), 'linear layer')}:", style="bold"))
        small = [max(*p.left.shape, *p.right.shape) <= SMALL for p in products]
        for p, written_out in zip(products, small):
            if written_out:
                console.print(_product_table(p, precision))
        bias = layer.b if layer.has_bias else None
        if bias is not None or not all(small):
            what = "W' and b'" if bias is not None else "W'"
            title = f"{what} of {layer.name}"
            console.print(_matrix_table(title, layer.W, bias, precision))
        if bias is not None:
            names = [c.original.layers[k].name for k in group]
            formula = f"b_{names[0]}"
            for n in names[1:]:
                formula = f"W_{n}·{'(' + formula + ')' if '+' in formula else formula} + b_{n}"
            console.print(Text(f"b' = {formula}"))

    if after < before:  # something merged: show that both paths agree
        console.print()
        table = Table(title=Text(f"Check on x = {vector(chk.input, precision)}"), title_justify="left")
        table.add_column("unit", justify="right")
        table.add_column(f"layered ({_plural(before, 'layer')})", justify="right")
        table.add_column(f"collapsed ({_plural(after, 'layer')})", justify="right")
        for j, (u, v) in enumerate(zip(chk.layered, chk.collapsed)):
            table.add_row(Text(str(j + 1)), Text(fmt(u, precision)), Text(fmt(v, precision)))
        console.print(table)
        console.print(Text(f"largest |difference|: {fmt(chk.max_abs_diff, 3)}"))
    console.print()

    if c.collapsible:
        (layer,) = c.reduced.layers
        shape = f"({layer.nout}×{layer.nin})"
        if before == 1:
            console.print(Text(f"1 linear layer: already a single linear layer {shape}", style="bold"))
        else:
            console.print(Text(f"{before} linear layers = 1 linear layer {shape}", style="bold green"))
        return

    blocking = [f"'{l.name}' ({l.activation.label})" for l in c.original.layers if l.name in c.blocking]
    console.print(
        Text(
            f"Does not collapse to one linear layer: {'layers' if len(blocking) > 1 else 'layer'} "
            f"{', '.join(blocking)} {'are' if len(blocking) > 1 else 'is'} nonlinear.",
            style="bold red",
        )
    )
    merged = [l.name for g, l in zip(c.groups, c.reduced.layers) if len(g) > 1]
    if merged:
        console.print(Text(f"{_plural(before, 'layer')} → {_plural(after, 'layer')}: merged {', '.join(merged)}"))
    else:
        console.print(Text(f"{_plural(before, 'layer')} → {_plural(after, 'layer')}: no two linear layers are adjacent"))
    if search is None:
        return
    w = search.witness
    if w is None:
        console.print(
            Text(
                f"No witness found: the network behaves linearly on every input tried "
                f"({search.pairs_tried:,} pairs around x, up to {fmt(max(search.scales), 3)}× its size away)."
            )
        )
        return
    console.print(
        Text(
            "Witness: every linear (affine) map f has f((x1+x2)/2) = (f(x1)+f(x2))/2, "
            "but this network does not:"
        )
    )
    table = Table(show_header=False)
    table.add_column(justify="right")
    table.add_column()
    for label, values in [
        ("x1", w.x1),
        ("x2", w.x2),
        ("f((x1+x2)/2)", w.midpoint_output),
        ("(f(x1)+f(x2))/2", w.average_output),
    ]:
        table.add_row(Text(label), Text(vector(values, precision)))
    console.print(table)
    console.print(Text(f"They differ by {fmt(w.gap, 3)}."))


# -------------------------------------------------------------------------- activations


def _saturation_cell(s: Saturation) -> str:
    def one(value: float, reached: bool) -> str:
        return fmt(value, 3) if reached else f"≈{fmt(value, 3)}"

    return f"{one(s.negative, s.negative_reached)} / {one(s.positive, s.positive_reached)}"


def _function_cell(d: ActivationDef) -> Text:
    text = Text(d.name, style="bold")
    if d.aliases:
        text.append(f" ({', '.join(d.aliases)})")
    if d.params:
        text.append("\n" + ", ".join(f"{k}={v:g}" for k, v in d.params.items()))
    text.append(f"\n{d.pytorch}", style="dim")
    return text


def activations_table(
    console: Console, rows: Sequence[tuple[ActivationDef, Saturation]]
) -> None:
    """``nncalc activations``: the seed's comparison table, for every registered function."""
    table = Table(title=Text("Activation functions"), show_lines=True)
    for header in (
        "Function / PyTorch",
        "Formula",
        "Output range",
        "Gradient at saturation (z → -∞ / +∞)",
        "Typical use",
        "Known problem",
    ):
        table.add_column(header, overflow="fold")
    for d, s in rows:
        table.add_row(
            _function_cell(d),
            Text(d.formula),
            Text(d.output_range),
            Text(_saturation_cell(s)),
            Text(d.typical_use),
            Text(d.known_problem),
        )
    console.print(table)
    for d, _ in rows:
        if d.notes:
            console.print(Text(f"{d.name}: {d.notes}"))


def activation_values_table(
    console: Console,
    points: np.ndarray,
    rows: Sequence[tuple[ActivationDef, np.ndarray, np.ndarray]],
    precision: int = 10,
) -> None:
    """``--at Z``: each activation's value and derivative at each point."""
    table = Table(title=Text(f"Values and derivatives at z = {vector(points, precision)}"))
    table.add_column("function")
    for z in points:
        table.add_column(f"σ({fmt(z, precision)})", justify="right")
        table.add_column(f"σ'({fmt(z, precision)})", justify="right")
    layer_wide = []
    for d, values, grads in rows:
        name = d.name if d.elementwise else f"{d.name} *"
        if not d.elementwise:
            layer_wide.append(d.name)
        cells = [Text(fmt(v, precision)) for pair in zip(values, grads) for v in pair]
        table.add_row(Text(name), *cells)
    console.print(table)
    if layer_wide:
        console.print(
            Text(
                f"* {' and '.join(layer_wide)} {'acts' if len(layer_wide) == 1 else 'act'} on the whole layer: here z = "
                f"{vector(points, precision)} is one layer, and σ' is the Jacobian's diagonal"
            )
        )
