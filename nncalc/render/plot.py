"""Curves of activation functions: in the terminal (plotext) or to a PNG/SVG (matplotlib).

Both libraries are optional (``pip install 'nncalc[plot]'``) and imported only here, only
when a plot is asked for, so they never slow down ``nncalc forward``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np
from rich.console import Console

from nncalc.errors import NncalcError

Curve = tuple[str, np.ndarray]  # label, y values along the shared z
PLOT_EXTRA = "pip install 'nncalc[plot]'"
# Each curve gets its own character, so the legend tells them apart with or without
# colour, on any terminal (all ASCII); enough for every registered activation.
MARKERS = ("+", "x", "o", "*", "#", "=", "~", "^", "%", "@", "&", "$", "?", "!", "<", ">", ":", "v", "s", "w")
MAX_PLOT_WIDTH = 200  # a wider terminal gets a plot this wide: more would only be slower
SOFTMAX_NOTE = "softmax acts on a whole layer: it is drawn as softmax([z, 0])₁, which equals sigmoid(z)"


def _need(module: str, flag: str):  # type: ignore[no-untyped-def]
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise NncalcError(f"{flag} needs the {module.split('.')[0]} package: {PLOT_EXTRA}") from None


def plot_grid(lo: float, hi: float, n: int = 801) -> np.ndarray:
    """``n`` points from ``lo`` to ``hi``, finite even when ``hi - lo`` overflows float64.

    >>> plot_grid(-1.7e308, 1.7e308, 3).tolist()
    [-1.7e+308, 0.0, 1.7e+308]
    """
    if math.isfinite(hi - lo):
        return np.linspace(lo, hi, n)
    t = np.linspace(0.0, 1.0, n)
    return lo * (1 - t) + hi * t  # each term lies within [lo, hi]; hi - lo would overflow


def _scale(values: np.ndarray) -> tuple[float, str]:
    """A power of ten to divide by, so the axis reads (and its span stays finite)."""
    big = float(np.max(np.abs(values))) if values.size else 0.0
    if big < 1e5:
        return 1.0, ""
    exponent = int(np.floor(np.log10(big)))
    return 10.0**exponent, f" (×1e{exponent})"


def terminal_plot(console: Console, z: np.ndarray, curves: Sequence[Curve], title: str) -> None:
    """Draw the curves with plotext, with a legend below; colour only on a terminal.

    Points where a curve is not finite are left out (and said so); axes whose numbers
    are large are scaled by a power of ten, named in the axis label.
    """
    from nncalc.render.terminal import Screen, join_wrapped, wrap

    plotext = _need("plotext", "--plot")
    screen = Screen(console)
    colour = console.is_terminal and not console.no_color
    width = min(screen.width, MAX_PLOT_WIDTH)
    height = max(12, min(30, width // 3))
    with np.errstate(all="ignore"):
        keep = np.isfinite(z)
        shown = [(label, y, keep & np.isfinite(y)) for label, y in curves]
        ys = np.concatenate([y[ok] for _, y, ok in shown]) if shown else np.array([])
        zscale, zunit = _scale(z[keep])
        yscale, yunit = _scale(ys)
    fig = plotext.figure
    fig.clear()
    fig.plot_size(width, height)
    legend, missing = [], []
    for k, (label, y, ok) in enumerate(shown):
        marker = MARKERS[k % len(MARKERS)]
        legend.append(f"{marker} {screen.name(label)}")
        if not ok.any():
            missing.append(label)
            continue
        fig.draw(fig.signal((z[ok] / zscale).tolist(), (y[ok] / yscale).tolist(), marker=marker).lines())
    fig.legend(False)  # ours is below: plotext's box does not fit 18 curves
    fig.title(screen.cs.text(title))
    fig.label(screen.cs.text(f"z{zunit}"), axis="x")
    if yunit:
        fig.label(screen.cs.text(f"σ{yunit}"), axis="y")
    text = fig.build().string(colorless=not colour).rstrip("\n")
    # Rich would wrap plotext's lines (and drop its colour codes): write them as they are.
    console.file.write(screen.cs.text(text) + "\n")
    lines = join_wrapped("", legend, "  ", "", width)  # never between a marker and its name
    notes = []
    if "softmax" in [label for label, _ in curves]:
        notes.append(SOFTMAX_NOTE)
    if missing:
        notes.append(f"not finite anywhere on this range: {', '.join(missing)}")
    dropped = [label for label, y, ok in shown if ok.any() and not ok.all()]
    if dropped:
        notes.append(f"left out where not finite (float64 overflow): {', '.join(dropped)}")
    screen.lines(lines + [line for note in notes for line in wrap(note, width, "  ")])


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
    with np.errstate(all="ignore"):
        for k, (label, y) in enumerate(curves):
            ok = np.isfinite(z) & np.isfinite(y)
            ax.plot(z[ok], y[ok], label=label, linewidth=2, color=colours[k % len(colours)], linestyle=styles[k % 4])
    if "softmax" in [label for label, _ in curves]:
        title += "\n" + SOFTMAX_NOTE
    ax.set_title(title)
    ax.set_xlabel("z")
    ax.set_ylabel(ylabel)
    ax.set_xlim(float(z[0]), float(z[-1]))  # finite: see plot_grid
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    try:
        fig.savefig(path, format=kind, metadata={"Date": None} if kind == "svg" else None)
    except OSError as e:
        raise NncalcError(f"cannot write the file: {e.strerror}", source=str(path)) from None
