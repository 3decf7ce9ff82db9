"""The command line: one module per command, each parsing its arguments, calling the
library and a renderer, and turning an :class:`~nncalc.errors.NncalcError` into one line
on stderr with exit status 1 (usage errors keep Typer's status 2).
"""

from nncalc.cli.common import app, main

# Each module registers its command; this order is the order of `nncalc --help`.
from nncalc.cli import forward, backward, activations, approximate, collapse, convert, exercise, graph, init, schema, stats, validate  # noqa: E402, F401

__all__ = ["app", "main"]
