"""``nncalc init``: a new spec with random weights."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from nncalc.cli.common import command, reported, write_file


@command(
    "nncalc init 2,3,1 > net.yaml",
    "nncalc init 2,3,1 --hidden-activation relu --output-activation linear --seed 0 -o net.yaml",
    "nncalc init 4,16,16,3 --hidden-activation tanh --output-activation softmax --init xavier",
)
def init(
    sizes: Annotated[str, typer.Argument(metavar="SIZES", help="Layer sizes from input to output, like 2,3,1.", show_default=False)],
    output_file: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", metavar="FILE", help="Write the spec to FILE (default: standard output).", show_default=False),
    ] = None,
    hidden: Annotated[str, typer.Option("--hidden-activation", metavar="NAME", help="Activation of the hidden layers.")] = "relu",
    output: Annotated[str, typer.Option("--output-activation", metavar="NAME", help="Activation of the output layer.")] = "linear",
    init_: Annotated[
        Optional[str],
        typer.Option(
            "--init",
            metavar="NAME",
            help="Weight initialiser: he, xavier, uniform or zeros (default: he for relu and leaky_relu hidden layers, else xavier).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[Optional[int], typer.Option(min=0, metavar="N", help="Seed of the random weights, for the same spec every time.", show_default=False)] = None,
    digits: Annotated[int, typer.Option(min=1, max=17, metavar="DIGITS", help="Significant digits of each weight and bias (4 gives 0.1234, -12.35).")] = 4,
) -> None:
    """Write a new spec with random weights: a valid, commented starting point."""
    from nncalc.initializers import INITIALIZERS, build, default_for, describe, parse_sizes
    from nncalc.network import resolve_activation
    from nncalc.errors import InputError, SpecError
    from nncalc.spec import to_yaml

    with reported():
        n = parse_sizes(sizes)
        for option, name in (("--hidden-activation", hidden), ("--output-activation", output)):
            try:
                resolve_activation(name, "activation", "", ())
            except SpecError as e:
                raise InputError(f"{option} '{name}': {e.message}") from None
        if init_ is not None and init_ not in INITIALIZERS:
            raise InputError(f"--init '{init_}': expected one of {', '.join(INITIALIZERS)}")
        net = build(n, hidden, output, init_, seed, digits)
        text = to_yaml(net, comment=describe(n, init_ or default_for(hidden), seed))
        if output_file is not None:
            write_file(output_file, text)
    if output_file is None:
        sys.stdout.write(text)
    else:
        typer.echo(f"wrote {output_file}", err=True)
