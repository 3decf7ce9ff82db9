"""``nncalc stats`` and ``net.stats()``: one view model, drawn as Rich tables or written
as Markdown.

:func:`view` decides everything a reader sees: the verdict of each layer ("layer hidden:
22 of 128 ReLU units never fired on 10,000 inputs"), the order of the units (the worst
first), which are left out of a large layer, the class counts. :func:`stats_tables` and
:func:`stats_doc` only lay it out, so the terminal, Markdown and the notebook say the
same thing. Every number comes from :class:`nncalc.stats.Stats`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nncalc.errors import plural as _plural
from nncalc.render.document import Block, Heading, Para, Table
from nncalc.render.numbers import MAX_UNITS, SHOWN_UNITS, fmt

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table as RichTable

    from nncalc.stats import LayerStats, Stats, Summary

_PROSE = {
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
    "hard_sigmoid": "hard sigmoid",
    "hard_tanh": "hard tanh",
}




def percent(x: float) -> str:
    """A share as a percentage to 3 digits, never rounded to 0% or 100% unless it is.

    >>> percent(0.0), percent(0.2245), percent(0.00001), percent(0.99999), percent(1.0)
    ('0%', '22.4%', '<0.1%', '>99.9%', '100%')
    """
    if x == 0.0 or x == 1.0:
        return f"{x:.0%}"
    if x < 0.001:
        return "<0.1%"
    if x > 0.999:
        return ">99.9%"
    return f"{x * 100:.3g}%"


# ----------------------------------------------------------------------------- the view


@dataclass(frozen=True)
class UnitRow:
    """One unit: its number (from 1), its state ("dead", "37.5%" saturated, or ""), the
    share of inputs where a was 0, and min, mean, std, max of z and of a (None when the
    activation is the identity, so a = z)."""

    unit: int
    state: str
    zeros: float
    z: tuple[float, float, float, float]
    a: tuple[float, float, float, float] | None


@dataclass(frozen=True)
class LayerView:
    title: str
    verdict: str
    state: str | None  # the state column's header: "dead", "saturated", or None (no column)
    rows: tuple[UnitRow, ...]  # the worst first
    hidden: int  # units left out after the rows shown


@dataclass(frozen=True)
class ClassesView:
    title: str
    verdict: str
    rows: tuple[tuple[str, int, float], ...]  # (class, inputs, share)


@dataclass(frozen=True)
class StatsView:
    title: str
    note: str
    layers: tuple[LayerView, ...]
    classes: ClassesView | None


def _four(s: Summary, j: int) -> tuple[float, float, float, float]:
    return (float(s.min[j]), float(s.mean[j]), float(s.std[j]), float(s.max[j]))


def _on(n: int) -> str:
    return f"on {_plural(n, 'input')}"


def _verdict(s: LayerStats, n: int, threshold: float) -> str:
    act = s.layer.activation
    prose = _PROSE.get(act.name, act.name)
    head = f"layer {s.name}: "
    if s.dead is not None:
        d = len(s.dead)
        if d:
            return head + f"{d:,} of {_plural(s.units, prose + ' unit')} never fired {_on(n)}"
        some = f"on at least one of {n:,} inputs" if n > 1 else "on the one input"
        if s.units == 1:
            return head + f"no dead unit: its {prose} unit fired {some}"
        return head + f"no dead units: each of {s.units:,} {prose} units fired {some}"
    if s.saturated is not None:
        below = f"derivative below {fmt(threshold, 6)}"
        share = s.saturated_share or 0.0
        if share == 0.0:
            return head + f"no {prose} unit saturated ({below}) {_on(n)}"
        if s.units == 1:
            return head + f"the {prose} unit saturated ({below}) on {percent(share)} of {_plural(n, 'input')}"
        text = head + (
            f"{prose} units saturated ({below}) on {percent(share)} of {_plural(n, 'input')}, "
            f"on average over {s.units:,} units"
        )
        always = int(np.count_nonzero(s.saturated == 1.0))
        if always:
            return text + f"; {always:,} of {s.units:,} saturated on every input"
        worst = int(np.argmax(s.saturated))
        return text + f"; the most, unit {worst + 1}, on {percent(float(s.saturated[worst]))}"
    return head + f"ranges only ({act.label} is not checked for dead or saturated units)"


def _order(s: LayerStats) -> list[int]:
    """Unit indices, the worst first: dead, then most often 0 (ReLU family); most often
    saturated; else in order."""
    units = range(s.units)
    if s.dead is not None:
        dead = set(int(u) - 1 for u in s.dead)
        return sorted(units, key=lambda j: (j not in dead, -s.zeros[j], j))
    if s.saturated is not None:
        return sorted(units, key=lambda j: (-s.saturated[j], j))  # type: ignore[index]
    return list(units)


def _layer_view(k: int, s: LayerStats, n: int, threshold: float, show_all: bool) -> LayerView:
    layer = s.layer
    title = f"Layer {k}: {layer.name} ({layer.nin} → {layer.nout}, {layer.activation.label})"
    order = _order(s)
    shown = order if show_all or len(order) <= MAX_UNITS else order[:SHOWN_UNITS]
    dead = set(s.dead.tolist()) if s.dead is not None else set()
    rows = []
    for j in shown:
        if s.dead is not None:
            state = "dead" if j + 1 in dead else ""
        elif s.saturated is not None:
            state = percent(float(s.saturated[j]))
        else:
            state = ""
        a = None if s.a is s.z else _four(s.a, j)
        rows.append(UnitRow(j + 1, state, float(s.zeros[j]), _four(s.z, j), a))
    header = "dead" if s.dead is not None else "saturated" if s.saturated is not None else None
    return LayerView(title, _verdict(s, n, threshold), header, tuple(rows), len(order) - len(shown))


def _classes_view(stats: Stats) -> ClassesView | None:
    if stats.classes is None:
        return None
    last = stats.network.layers[-1]
    n = stats.inputs
    counts = [int(c) for c in stats.classes]
    if stats.binary:
        title = f"Classes of layer {last.name}: 0 when a < 0.5, 1 when a ≥ 0.5"
        labels = ["0 (a < 0.5)", "1 (a ≥ 0.5)"]
    else:
        title = f"Classes of layer {last.name}: the unit with the largest a"
        labels = [f"unit {j + 1}" for j in range(len(counts))]
    rows = tuple((label, c, c / n) for label, c in zip(labels, counts))
    if stats.binary:
        verdict = f"class 1 on {percent(counts[1] / n)} of {_plural(n, 'input')}"
    else:
        top = int(np.argmax(counts))
        verdict = f"most chosen: {labels[top]}, by {percent(counts[top] / n)} of {_plural(n, 'input')}"
        never = sum(1 for c in counts if c == 0)
        if never:
            verdict += f"; never chosen: {never:,} of {len(counts):,} units"
    return ClassesView(title, verdict, rows)


def view(stats: Stats, show_all: bool = False) -> StatsView:
    """What to show of ``stats``: verdicts, units worst first (the first 16 of a layer
    over 32 units unless ``show_all``), the class counts."""
    net = stats.network
    title = f"{net.name or net.source}: statistics over {_plural(stats.inputs, 'input')}"
    note = "z = Wx + b and a = σ(z) per unit; zeros: the share of inputs where a = 0"
    if any(s.saturated is not None for s in stats.layers):
        note += f"; saturated: the share where σ'(z) < {fmt(stats.saturation, 6)}"
    layers = tuple(
        _layer_view(k, s, stats.inputs, stats.saturation, show_all) for k, s in enumerate(stats.layers, 1)
    )
    return StatsView(title, note, layers, _classes_view(stats))


# ------------------------------------------------------------------------ Rich tables


def stats_tables(console: Console, v: StatsView, precision: int = 4) -> None:
    """The terminal's view: a verdict and a table of units per layer, then the classes."""
    from rich.table import Table
    from rich.text import Text

    console.print(Text(v.title, style="bold"))
    console.print(Text(v.note))
    for layer in v.layers:
        console.print()
        console.print(Text(layer.title, style="bold"))
        console.print(Text(layer.verdict))
        table = Table()
        table.add_column("unit", justify="right")
        if layer.state:
            table.add_column(layer.state, justify="right")
        table.add_column("zeros", justify="right")
        table.add_column("")
        for name in ("min", "mean", "std", "max"):
            table.add_column(name, justify="right")
        for row in layer.rows:
            cells = [Text(str(row.unit))]
            if layer.state:
                cells.append(Text(row.state, style="bold red" if row.state == "dead" else ""))
            cells.append(Text(percent(row.zeros)))
            if row.a is None:
                cells.append(Text("z = a"))
                cells += [Text(fmt(x, precision)) for x in row.z]
            else:
                cells.append(Text("z\na"))
                cells += [Text(f"{fmt(z, precision)}\n{fmt(a, precision)}") for z, a in zip(row.z, row.a)]
            table.add_row(*cells)
        if layer.hidden:
            table.add_row(Text("…"), Text(f"{layer.hidden:,} more units (--all shows every unit)", style="italic"))
        console.print(_never_cut(table))
    if v.classes is not None:
        c = v.classes
        console.print()
        console.print(Text(c.title, style="bold"))
        console.print(Text(c.verdict))
        table = Table()
        table.add_column("class")
        table.add_column("inputs", justify="right")
        table.add_column("share", justify="right")
        for label, count, share in c.rows:
            table.add_row(Text(label), Text(f"{count:,}"), Text(percent(share)))
        console.print(_never_cut(table))


# ------------------------------------------------------------------------- Markdown


def _table(header: list[str], align: list[str], rows: list[list[str]]) -> Table:
    """A table block: ``align`` holds Markdown's ``---:`` for right-aligned columns."""
    return Table(tuple(header), tuple(tuple(r) for r in rows), tuple(a.endswith(":") for a in align))


def stats_doc(v: StatsView, precision: int = 4) -> list[Block]:
    """The same view as a document (``--format markdown``, the notebook's text/markdown)."""
    doc: list[Block] = [Heading(v.title), Para(v.note + ".")]
    for layer in v.layers:
        doc += [Heading(layer.title, 3), Para(layer.verdict + ".")]
        header = ["unit", *([layer.state] if layer.state else []), "zeros", "", "min", "mean", "std", "max"]
        align = ["---:", *(["---:"] if layer.state else []), "---:", "---", "---:", "---:", "---:", "---:"]
        rows = []
        for row in layer.rows:
            state = [row.state] if layer.state else []
            blank = [""] if layer.state else []
            if row.a is None:
                rows.append([str(row.unit), *state, percent(row.zeros), "z = a", *(fmt(x, precision) for x in row.z)])
            else:
                rows.append([str(row.unit), *state, percent(row.zeros), "z", *(fmt(x, precision) for x in row.z)])
                rows.append(["", *blank, "", "a", *(fmt(x, precision) for x in row.a)])
        doc.append(_table(header, align, rows))
        if layer.hidden:
            doc.append(Para(f"… and {layer.hidden:,} more units, not shown."))
    if v.classes is not None:
        c = v.classes
        doc += [Heading(c.title, 3), Para(c.verdict + ".")]
        rows = [[label, f"{count:,}", percent(share)] for label, count, share in c.rows]
        doc.append(_table(["class", "inputs", "share"], ["---", "---:", "---:"], rows))
    return doc


# ------------------------------------------------------------------------- notebooks


def stats_bundle(stats: Stats) -> dict[str, str]:
    """What Jupyter shows: the short repr, the Rich tables as HTML, the Markdown."""
    from rich.console import Console

    from nncalc.render.document import to_markdown
    from nncalc.render.notebook import WIDTH

    v = view(stats)
    console = Console(record=True, width=WIDTH, file=io.StringIO(), color_system=None, force_terminal=False)
    stats_tables(console, v)
    html = console.export_html(inline_styles=True, code_format='<pre style="font-family:monospace">{code}</pre>')
    return {"text/plain": repr(stats), "text/html": html, "text/markdown": to_markdown(stats_doc(v))}


def _never_cut(table: RichTable) -> RichTable:
    """A cell too wide for the terminal folds onto the next line rather than ending in
    an ellipsis: every digit of a number is shown."""
    for column in table.columns:
        column.overflow = "fold"
    return table
