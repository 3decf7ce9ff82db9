"""Notebook and plain-text displays: what Jupyter shows for a Network, a Trace or a
collapse result, from the same renderers as the command line.

``text/html`` holds the Rich tables the terminal shows, ``text/markdown`` and
``text/latex`` the worked example, ``text/plain`` the short repr. Rich is imported only
here, when a notebook (or ``net.summary()``) asks for it.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from rich.console import Console

    from nncalc.collapsing import Result
    from nncalc.engine import Trace
    from nncalc.network import Network

WIDTH = 100  # columns of the text and HTML tables
MAX_INPUTS = 5  # a notebook shows the first inputs of a batch, as the terminal does


def _record(draw: Callable[[Console], None]) -> Console:
    from rich.console import Console

    console = Console(record=True, width=WIDTH, file=io.StringIO(), color_system=None, force_terminal=False)
    draw(console)
    return console


def summary_text(net: Network) -> str:
    """``nncalc validate``'s summary as plain text."""
    from nncalc.render.table import summary_table

    return _record(lambda c: summary_table(c, net)).export_text()


def _html(console: Console) -> str:
    return console.export_html(inline_styles=True, code_format="<pre style=\"font-family:monospace\">{code}</pre>")


def _latex_body(document: str) -> str:
    """The part of a standalone LaTeX document between begin and end document."""
    start = document.index(r"\begin{document}") + len(r"\begin{document}")
    return document[start : document.rindex(r"\end{document}")].strip() + "\n"


def _bundle(plain: str, console: Console, doc: list | None) -> dict[str, str]:  # type: ignore[type-arg]
    bundle = {"text/plain": plain, "text/html": _html(console)}
    if doc is not None:
        from nncalc.render.document import to_latex, to_markdown

        bundle["text/markdown"] = to_markdown(doc)
        bundle["text/latex"] = _latex_body(to_latex(doc))
    return bundle


def network_bundle(net: Network) -> dict[str, str]:
    """A network: its summary table; with a default input, also its worked forward pass."""
    from nncalc.render.table import summary_table

    doc = None
    if net.input is not None:
        from nncalc.render.worked import forward_doc

        trace = net.forward(net.input[:MAX_INPUTS])
        doc = forward_doc(net, trace, total=len(net.input))
    return _bundle(repr(net), _record(lambda c: summary_table(c, net)), doc)


def trace_bundle(trace: Trace) -> dict[str, str]:
    """A forward pass: the step-by-step tables and the worked example, first inputs only."""
    from nncalc.engine import forward
    from nncalc.render.table import forward_tables
    from nncalc.render.worked import forward_doc

    net = trace.network
    if net is None:
        return {"text/plain": repr(trace)}
    total = len(trace.x)
    shown = trace if total <= MAX_INPUTS else forward(net, trace.x[:MAX_INPUTS])
    console = _record(lambda c: forward_tables(c, net, shown, total=total))
    return _bundle(repr(trace), console, forward_doc(net, shown, total=total))


def collapse_bundle(result: Result) -> dict[str, str]:
    """A collapse: the tables of ``nncalc collapse`` and its worked example."""
    from nncalc.render.table import collapse_view
    from nncalc.render.worked import collapse_doc

    console = _record(lambda c: collapse_view(c, result.collapse, result.check, result.search))
    return _bundle(repr(result), console, collapse_doc(result.collapse, result.check, result.search, 10))
