"""``nncalc graph``: the network as a Mermaid flowchart or Graphviz DOT."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from nncalc.cli.common import ActivationsOption, AllowOutsideOption, SpecArgument, choose_format, command, format_option, load_network, reported

FORMATS_OUT = ("mermaid", "dot")


@command(
    "nncalc graph two-layer",
    "nncalc graph net.yaml --format dot | dot -Tsvg > net.svg",
    "nncalc graph net.yaml --no-weights",
)
def graph(
    spec: SpecArgument,
    format: format_option(FORMATS_OUT) = None,
    weights: Annotated[bool, typer.Option("--weights/--no-weights", help="Label edges with weights and units with biases.")] = True,
    precision: Annotated[int, typer.Option(min=1, max=17, metavar="DIGITS", help="Significant digits of the weights shown.")] = 4,
    allow_outside_paths: AllowOutsideOption = False,
    activations: ActivationsOption = None,
) -> None:
    """Draw a network as a Mermaid flowchart (like the textbook's) or Graphviz DOT.

    Layers of more than 12 units are drawn as one box, so the picture stays readable.
    """
    from nncalc.render.graph import build, to_dot, to_mermaid

    with reported():
        fmt = choose_format(format, FORMATS_OUT)
        net = load_network(spec, allow_outside_paths, activations)
    model = build(net, weights=weights, precision=precision)
    sys.stdout.write(to_mermaid(model) if fmt == "mermaid" else to_dot(model))
