"""``nncalc activations``: the comparison table, values at points, and curves."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from nncalc.cli.common import PrecisionOption, choose_format, command, console, format_option, json_option, reported, write_json
from nncalc.errors import InputError

FORMATS_OUT = ("table", "json")


@command(
    "nncalc activations",
    "nncalc activations --at -2 --at 0.5",
    "nncalc activations --only relu,sigmoid,tanh --plot",
    "nncalc activations --plot --range -3,3 --save curves.png",
    "nncalc activations --json",
)
def activations(
    at: Annotated[
        Optional[List[str]],
        typer.Option("--at", metavar="Z", help="Show each value and derivative at z = Z. Repeatable.", show_default=False),
    ] = None,
    only: Annotated[
        Optional[str],
        typer.Option(metavar="NAMES", help="Only these activations, comma-separated (relu,sigmoid,tanh).", show_default=False),
    ] = None,
    plot: Annotated[bool, typer.Option("--plot", help="Draw the curves in the terminal.")] = False,
    derivative: Annotated[bool, typer.Option("--derivative", help="Plot the derivatives σ'(z) instead.")] = False,
    range_: Annotated[str, typer.Option("--range", metavar="A,B", help="The z range of plots.")] = "-5,5",
    save: Annotated[
        Optional[Path],
        typer.Option(metavar="FILE", help="Write the plot as a picture (.png or .svg; needs matplotlib: pip install 'nncalc[plot]').", show_default=False),
    ] = None,
    format: format_option(FORMATS_OUT) = None,
    json: json_option() = False,
    precision: PrecisionOption = 10,
) -> None:
    """Compare activation functions: formulas, ranges, derivatives and curves."""
    import numpy as np

    from nncalc import activations as registry
    from nncalc.inputs import parse_option_number, parse_range

    with reported():
        json = choose_format(format, FORMATS_OUT, json=json) == "json"
        if plot and json:
            raise InputError("--plot draws in the terminal and cannot go with --json; use --save FILE")
        try:
            chosen = registry.select(only) if only is not None else list(registry.definitions())
        except InputError as e:
            raise InputError(f"--only: {e.message}") from None
        if not chosen:
            raise InputError("--only: give at least one activation name, like --only relu,sigmoid")
        acts = [registry.get(d.name) for d in chosen]
        rows = [(d, registry.saturation(a)) for d, a in zip(chosen, acts)]
        points = np.array([parse_option_number(z, "--at") for z in at]) if at else None
        values = None
        if points is not None:
            with np.errstate(all="ignore"):  # an undefined value is shown as such
                values = [(a(points), a.grad(points)) for a in acts]
        lo, hi = parse_range(range_)
        curves = None
        if plot or save:
            from nncalc.render.plot import plot_grid

            z = plot_grid(lo, hi)
            with np.errstate(all="ignore"):
                curves = [(d.name, registry.curve(a, z)[1 if derivative else 0]) for d, a in zip(chosen, acts)]
            what = "Derivatives σ'(z)" if derivative else "Activation functions σ(z)"
            title = f"{what} over [{lo:g}, {hi:g}]"
        if save is not None:
            from nncalc.render.plot import save_plot

            save_plot(save, z, curves, title, "σ'(z)" if derivative else "σ(z)")
        if json:
            from nncalc.render.data import activations_record

            write_json(activations_record(rows, (points, values) if points is not None else None))
        else:
            from nncalc.render import table

            out = console()
            if points is not None:
                table.activation_values_table(out, points, [(d, *v) for d, v in zip(chosen, values)], precision)
            elif not (plot or save):
                table.activations_table(out, rows)
            if plot:
                from nncalc.render.plot import terminal_plot

                terminal_plot(out, z, curves, title)
    if save is not None:
        typer.echo(f"wrote {save}", err=True)
