"""Curves of activation functions: in the terminal (plotext) or to a PNG/SVG (matplotlib).

Both libraries are optional (``pip install 'nncalc[plot]'``) and imported only here, only
when a plot is asked for, so they never slow down ``nncalc forward``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from rich.console import Console

from nncalc.errors import NncalcError

Curve = tuple[str, np.ndarray]  # label, y values along the shared z
PLOT_EXTRA = "pip install 'nncalc[plot]'"
# Without colour, each curve gets its own character so the legend still tells them apart.
PLAIN_MARKERS = ("•", "+", "x", "o", "*", "#", "=", "~", "^", "%", "@", "&", "$", "?", "!", "<", ">")


def _need(module: str, flag: str):  # type: ignore[no-untyped-def]
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise NncalcError(f"{flag} needs the {module.split('.')[0]} package: {PLOT_EXTRA}") from None


def terminal_plot(console: Console, z: np.ndarray, curves: Sequence[Curve], title: str) -> None:
    """Draw the curves with plotext at the console's width; colour only on a terminal."""
    plotext = _need("plotext", "--plot")
    colour = console.is_terminal and not console.no_color
    fig = plotext.figure
    fig.clear()
    fig.plot_size(console.width, max(12, min(30, console.width // 3)))
    for k, (label, y) in enumerate(curves):
        marker = "braille" if colour else PLAIN_MARKERS[k % len(PLAIN_MARKERS)]
        fig.draw(fig.signal(z.tolist(), y.tolist(), marker=marker).lines().label(label))
    fig.title(title)
    fig.label("z", axis="x")
    console.file.write(fig.build().string(colorless=not colour).rstrip("\n") + "\n")


def save_plot(path: Path, z: np.ndarray, curves: Sequence[Curve], title: str, ylabel: str) -> None:
    """Write the curves as a PNG or SVG picture, chosen by the file's suffix."""
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("png", "svg"):
        raise NncalcError(f"--save writes .png or .svg files, not '{path.suffix or path.name}'", source=str(path))
    matplotlib = _need("matplotlib", "--save")
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    fig = Figure(figsize=(9, 5), dpi=120, layout="constrained")
    ax = fig.add_subplot()
    ax.axhline(0, color="0.75", linewidth=0.8)
    ax.axvline(0, color="0.75", linewidth=0.8)
    # A colour each (tab10, or tab20 past ten curves) and a cycle of line styles, so that
    # curves that coincide (relu and leaky_relu for z > 0) stay visible.
    colours = matplotlib.colormaps["tab10" if len(curves) <= 10 else "tab20"].colors
    styles = ("-", "--", "-.", ":")
    for k, (label, y) in enumerate(curves):
        ax.plot(z, y, label=label, linewidth=2, color=colours[k % len(colours)], linestyle=styles[k % 4])
    ax.set_title(title)
    ax.set_xlabel("z")
    ax.set_ylabel(ylabel)
    ax.set_xlim(float(z[0]), float(z[-1]))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    try:
        fig.savefig(path, format=kind, metadata={"Date": None} if kind == "svg" else None)
    except OSError as e:
        raise NncalcError(f"cannot write the file: {e.strerror}", source=str(path)) from None
