"""Rich tables for people: every weighted sum, z and activation, layer by layer.

Cells are :class:`rich.text.Text`, never markup strings, so a layer named ``[bold]``
prints as written.
"""

from __future__ import annotations

from typing import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from nncalc.engine import Trace
from nncalc.network import Network
from nncalc.render.numbers import fmt, vector, weighted_sum

MAX_UNITS = 32  # a layer with more units shows the first and last SHOWN_UNITS // 2
SHOWN_UNITS = 16


def _shown_units(n: int, show_all: bool) -> tuple[list[int], int]:
    """The unit indices to show, and how many are left out in the middle."""
    if show_all or n <= MAX_UNITS:
        return list(range(n)), 0
    half = SHOWN_UNITS // 2
    return [*range(half), *range(n - half, n)], n - SHOWN_UNITS


def forward_tables(
    console: Console,
    net: Network,
    trace: Trace,
    precision: int = 10,
    show_all: bool = False,
) -> None:
    """Print one block per input: the input, a table per layer, the output."""
    n = len(trace.x)
    for i in range(n):
        if n > 1:
            console.rule(Text(f"Input {i + 1} of {n}"), align="left")
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
            units, hidden = _shown_units(layer.nout, show_all)
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
    sizes = " → ".join(str(s) for s in (net.nin, *(layer.nout for layer in net.layers)))
    console.print(Text(f"{net.name or net.source}: valid, {sizes}"))
    table = Table(show_footer=True)
    table.add_column("#", justify="right")
    table.add_column("layer", footer="total")
    table.add_column("activation")
    table.add_column("shape (in → out)")
    table.add_column("parameters", justify="right", footer=f"{net.n_params:,}")
    for k, layer in enumerate(net.layers, 1):
        table.add_row(
            Text(str(k)),
            Text(layer.name),
            Text(layer.activation.label),
            Text(f"{layer.nin} → {layer.nout}"),
            Text(f"{layer.n_params:,}"),
        )
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
