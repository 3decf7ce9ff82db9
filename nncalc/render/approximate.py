"""``nncalc approximate``: the networks that interpolate f, as tables, JSON, plots and
the comment of the spec it writes. Everything shown comes from the
:class:`~nncalc.approximate.Study`; nothing here computes.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nncalc.render.numbers import fmt, shown_units

if TYPE_CHECKING:
    from rich.console import Console

    from nncalc.approximate import Fit, Study

BOUND = "(b − a)² · max|f''| / (8N²)"


def _label(study: Study) -> str:
    """The function's text or the samples' file name, control characters made visible."""
    from nncalc.expression import shown

    return shown(study.label, width=200)


def _units(n: int) -> str:
    return f"{n:,} hidden ReLU unit{'s' if n != 1 else ''}"


def _range(study: Study, precision: int) -> str:
    return f"[{fmt(study.a, precision)}, {fmt(study.b, precision)}]"


def subject(study: Study, precision: int = 10) -> str:
    """``f(x) = sin(x) on [0, 3.14159]``, or ``17 samples from points.csv on [0, 2]``."""
    if study.from_samples:
        n = len(study.largest.knots)
        return f"{n:,} samples from {_label(study)} on {_range(study, precision)}"
    return f"f(x) = {_label(study)} on {_range(study, precision)}"


def curvature_line(study: Study, precision: int) -> str:
    """What the bound rests on: the estimate of max|f''|, or why there is none."""
    c = study.curvature
    assert c is not None
    if c.status == "unbounded":
        return (
            f"max|f''| grows without bound near x = {fmt(c.at, precision)} (a kink, a pole or a "
            "vertical tangent?), so the bound for smooth f does not apply"
        )
    if c.status == "flat" and not c.max_abs:
        return "f'' = 0: f is constant, which the network draws exactly"
    if c.status == "flat":
        return f"max|f''| < {fmt(c.max_abs, 2)} (below float64's resolution at f's size); the bound uses that"
    return f"max|f''| ≈ {fmt(c.max_abs, precision)} (at x = {fmt(c.at, precision)}, estimated from {c.points:,} points)"


# ------------------------------------------------------------------------------ tables


def study_view(console: Console, study: Study, precision: int = 4) -> None:
    """One network: its knots and weights; several: the error against N."""
    if len(study.fits) == 1:
        _fit_view(console, study, study.largest, precision)
    else:
        _convergence_view(console, study, precision)


def _fit_view(console: Console, study: Study, fit: Fit, precision: int) -> None:
    from rich.table import Table
    from rich.text import Text

    n = fit.units
    y = "y_i" if study.from_samples else "f(x_i)"
    y0 = y.replace("_i", "_0")
    console.print(Text(f"{subject(study)}, with {_units(n)}"))
    if study.from_samples:
        knots = "a knot at each sample"
    else:
        knots = f"knots x_i = {fmt(study.a, precision)} + i·{fmt((study.b - study.a) / n, precision)}"
    console.print(Text(f"network(x) = {y0} + Σ c_i · relu(x − x_i); {knots}"))
    table = Table()
    table.add_column("i", justify="right")
    table.add_column("knot x_i", justify="right")
    table.add_column(y, justify="right")
    table.add_column("slope s_i", justify="right")
    table.add_column("c_i = s_i − s_(i−1)", justify="right")
    rows, hidden = shown_units(n + 1)
    for i in rows:
        if hidden and i == rows[len(rows) // 2]:
            table.add_row(Text("…"), Text(f"{hidden:,} more knots", style="italic"), Text("…"), Text("…"), Text("…"))
        last = i == n
        table.add_row(
            Text(str(i)),
            Text(fmt(fit.knots[i], precision)),
            Text(fmt(fit.values[i], precision)),
            Text("" if last else fmt(fit.slopes[i], precision)),
            Text("" if last else fmt(fit.weights[i], precision)),
        )
    console.print(table)
    console.print(Text(f"Output bias {y0} = {fmt(fit.bias, precision)}; output weights c_0 … c_{n - 1}."))
    if study.from_samples:
        rounding = f"{fmt(fit.max_error, 2)} (rounding)" if fit.max_error else "0"
        console.print(Text(f"The network passes through every sample: largest |network(x_i) − y_i| = {rounding}."))
        return
    console.print(
        Text(
            f"Largest error |f(x) − network(x)| on {fit.grid_points:,} points: "
            f"{fmt(fit.max_error, precision)} at x = {fmt(fit.max_error_at, precision)}"
        )
    )
    c = study.curvature
    assert c is not None
    if fit.bound is None:
        console.print(Text(curvature_line(study, precision)))
        return
    width = fmt(study.b - study.a, precision)
    console.print(
        Text(
            f"Bound {BOUND} = {width}² · {fmt(c.max_abs, precision)} / (8 · {n:,}²) = "
            f"{fmt(fit.bound, precision)}"
        )
    )
    console.print(Text(curvature_line(study, precision)))


def _convergence_view(console: Console, study: Study, precision: int) -> None:
    from rich.table import Table
    from rich.text import Text

    console.print(Text(subject(study)))
    console.print(Text(curvature_line(study, precision)))
    table = Table()
    table.add_column("units N", justify="right")
    table.add_column("max error", justify="right")
    table.add_column("bound", justify="right")
    table.add_column("error / bound", justify="right")
    table.add_column("previous / this error", justify="right")
    for fit, fall in zip(study.fits, study.falls):
        ratio = fit.ratio
        table.add_row(
            Text(f"{fit.units:,}"),
            Text(fmt(fit.max_error, precision)),
            Text("—" if fit.bound is None else fmt(fit.bound, precision)),
            Text("—" if ratio is None else fmt(ratio, 3)),
            Text("" if fall is None else f"{fmt(fall[0], 3)} (1/N²: {fmt(fall[1], 3)})"),
        )
    console.print(table)
    if study.curvature is not None and study.curvature.bounded:
        console.print(Text(f"bound = {BOUND}"))
    p = study.order
    if p is not None:
        console.print(Text(f"The error falls as 1/N^{fmt(p, 3)} (fitted over these N); the bound as 1/N²."))


# ------------------------------------------------------------------------------ JSON


def records(study: Study) -> list[dict[str, Any]]:
    """What ``approximate --json`` prints: one object per number of units."""
    c = study.curvature
    out = []
    for fit in study.fits:
        record: dict[str, Any] = {"samples" if study.from_samples else "function": study.label}
        record.update(
            {
                "range": [study.a, study.b],
                "units": fit.units,
                "max_error": fit.max_error,
                "max_error_at": fit.max_error_at,
                "bound": fit.bound,
                "second_derivative_max": c.max_abs if c is not None and c.bounded else None,
                "second_derivative": c.status if c is not None else None,
                "grid_points": fit.grid_points,
            }
        )
        out.append(record)
    return out


# ------------------------------------------------------------------------------ the spec


def spec_texts(study: Study, fit: Fit) -> tuple[str, str, str]:
    """The name, description and top comment of the spec ``--write`` saves."""
    n = fit.units
    r = _range(study, 10)
    if study.from_samples:
        name = f"{n:,} ReLU units through {len(fit.knots):,} samples"
        description = f"Interpolates the {len(fit.knots):,} samples of {_label(study)} on {r}"
        measured = f"It passes through every sample (largest |network - y| = {fmt(fit.max_error, 2)})."
    else:
        name = f"{_label(study)} by {n:,} ReLU units"
        description = f"Interpolates f(x) = {_label(study)} at {n + 1:,} evenly spaced knots of {r}"
        measured = f"Largest error on {fit.grid_points:,} points: {fmt(fit.max_error, 4)} at x = {fmt(fit.max_error_at, 4)}"
        measured += f"; bound (b - a)^2 max|f''| / (8N^2) = {fmt(fit.bound, 4)}." if fit.bound is not None else "."
    comment = "\n".join(
        [
            f"Built by nncalc approximate: a network with {_units(n)} in one layer",
            f"that approximates {subject(study)}.",
            "Hidden unit i computes relu(x - x_i) at knot x_i; the output adds c_i = s_i - s_(i-1)",
            "(the change of slope at that knot) times each unit, plus f(x_0).",
            measured,
            "Run it with `nncalc forward FILE --input X`.",
        ]
    )
    return name, description, comment


# ------------------------------------------------------------------------------ plots


def _curves(study: Study) -> list[tuple[str, Any]]:
    curves = [(f"network, {fit.units:,} units", study.curve(fit)) for fit in study.fits]
    if study.curve_f is not None:
        curves.append((f"f(x) = {_label(study)}", study.curve_f))  # last: drawn on top
    return curves


def _title(study: Study) -> str:
    counts = ", ".join(f"{fit.units:,}" for fit in study.fits)
    if study.from_samples:
        return f"{subject(study, 6)}, and the network of {counts} ReLU units through them"
    what = "network" if len(study.fits) == 1 else "networks"
    return f"{subject(study, 6)}, and its {what} of {counts} ReLU units"


def terminal_plot(console: Console, study: Study) -> None:
    """f and each network, drawn by plotext at the console's width; the knots (or
    samples) as points when there is one network."""
    from nncalc.render.plot import MARKERS, _need

    plotext = _need("plotext", "--plot")
    colour = console.is_terminal and not console.no_color
    fig = plotext.figure
    fig.clear()
    fig.plot_size(console.width, max(12, min(30, console.width // 3)))
    x = study.curve_x.tolist()
    for k, (label, y) in enumerate(_curves(study)):
        marker = "braille" if colour else MARKERS[k % len(MARKERS)]
        fig.draw(fig.signal(x, y.tolist(), marker=marker).lines().label(label))
    fit = study.largest
    if len(study.fits) == 1 and fit.units <= 64:
        marker = "dot" if colour else "o"
        what = "samples" if study.from_samples else "knots"
        fig.draw(fig.signal(fit.knots.tolist(), fit.values.tolist(), marker=marker).label(what))
    fig.title(_title(study))
    fig.label("x", axis="x")
    console.file.write(fig.build().string(colorless=not colour).rstrip("\n") + "\n")


def save_plot(path: Path, study: Study) -> None:
    """f, each network and the knots (or samples) above; below, for a function, the error
    |f − network| of each network beside its bound. PNG or SVG, by the file's suffix."""
    from nncalc.errors import NncalcError
    from nncalc.render.plot import _need

    kind = path.suffix.lower().lstrip(".")
    if kind not in ("png", "svg"):
        raise NncalcError(f"--save writes .png or .svg files, not '{path.suffix or path.name}'", source=str(path))
    matplotlib = _need("matplotlib", "--save")
    with warnings.catch_warnings():  # a library's warning is never the user's message
        warnings.simplefilter("ignore")
        _draw(path, kind, matplotlib, study)


def _draw(path: Path, kind: str, matplotlib: Any, study: Study) -> None:
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    from nncalc.errors import NncalcError

    with_errors = not study.from_samples
    fig = Figure(figsize=(9, 7.5 if with_errors else 5), dpi=120, layout="constrained")
    if with_errors:
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    else:
        top, bottom = fig.add_subplot(), None
    colours = matplotlib.colormaps["tab10" if len(study.fits) <= 10 else "tab20"].colors
    styles = ("-", "--", "-.", ":")
    x = study.curve_x
    if study.curve_f is not None:
        top.plot(x, study.curve_f, label=f"f(x) = {_label(study)}", linewidth=4, color="0.75", zorder=1)
    for j, fit in enumerate(study.fits):
        colour = colours[j % len(colours)]
        top.plot(x, study.curve(fit), label=f"network, {fit.units:,} units", linewidth=1.6, color=colour, linestyle=styles[j % 4], zorder=2)
    fit = study.largest
    if len(study.fits) == 1 and fit.units <= 200:
        what = "samples" if study.from_samples else "knots"
        top.plot(fit.knots, fit.values, "o", markersize=4, color=colours[0], label=what, zorder=3)
    top.set_title(_title(study))
    top.grid(alpha=0.3)
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    last = top
    if bottom is not None:
        many = len(study.fits) > 1
        for j, fit in enumerate(study.fits):
            colour = colours[j % len(colours)]
            error = study.error_curve(fit)
            label = f"{fit.units:,} units" if many else "|f(x) − network(x)|"
            bottom.plot(x, error, color=colour, linewidth=1.2, label=label)
            if fit.bound is not None:
                bound = f"bound {fmt(fit.bound, 3)}"
                bottom.axhline(fit.bound, color=colour, linewidth=1, linestyle=":", label=None if many else bound)
        lowest = min(fit.max_error for fit in study.fits)
        if many and lowest > 0:
            # Log scale, so that each halving of the spacing shows as the same step down;
            # the dips to 0 at the knots are cut off below the smallest maximum.
            highest = max(max(fit.max_error, fit.bound or 0.0) for fit in study.fits)
            bottom.set_yscale("log")
            bottom.set_ylim(lowest / 30, highest * 2)
        bottom.set_ylabel("error |f − network|")
        bounded = any(fit.bound is not None for fit in study.fits)
        if many:
            title = "Error of each network" + ("; dotted: its bound " + BOUND if bounded else "")
        else:
            title = "Error between the knots" + (", and the bound " + BOUND if bounded else "")
            top_error = max(study.largest.max_error, study.largest.bound or 0.0)
            if top_error > 0:
                bottom.set_ylim(0, top_error * 1.1)
        if study.curvature is not None and not study.curvature.bounded:
            title += " (no bound: f'' is unbounded)"
        bottom.set_title(title, fontsize="medium")
        bottom.grid(alpha=0.3)
        bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        last = bottom
    last.set_xlabel("x")
    last.set_xlim(float(x[0]), float(x[-1]))
    try:
        fig.savefig(path, format=kind, metadata={"Date": None} if kind == "svg" else None)
    except OSError as e:
        raise NncalcError(f"cannot write the file: {e.strerror}", source=str(path)) from None
