"""``nncalc collapse``: stacked linear layers are one layer, or a witness that they are not."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from nncalc.cli.common import (
    ActivationsOption,
    AllowOutsideOption,
    PrecisionOption,
    SeedOption,
    SpecArgument,
    choose_format,
    command,
    console,
    format_option,
    input_option,
    inputs,
    json_option,
    load_network,
    reported,
    write_document,
    write_file,
    write_json,
)

FORMATS_OUT = ("table", "json", "markdown", "latex")


@command(
    "nncalc collapse                        # the bundled linear-stack example",
    "nncalc collapse net.yaml --input 1,2",
    "nncalc collapse net.yaml --json",
    "nncalc collapse --format latex > example3.tex",
    "nncalc collapse net.yaml --write reduced.yaml",
)
def collapse(
    spec: SpecArgument = "linear-stack",
    input: Annotated[
        Optional[List[str]],
        input_option("The input to check both paths on (default: the spec's input, else all ones)."),
    ] = None,
    format: format_option(FORMATS_OUT) = None,
    json: json_option() = False,
    write: Annotated[
        Optional[Path],
        typer.Option(
            "--write",
            "-w",
            metavar="FILE",
            help="Write the reduced network as a spec that nncalc forward reads.",
            show_default=False,
        ),
    ] = None,
    seed: SeedOption = 0,
    precision: PrecisionOption = 10,
    allow_outside_paths: AllowOutsideOption = False,
    activations: ActivationsOption = None,
    brief: Annotated[
        bool, typer.Option("--brief", help="Documents give each activation's value only, not its formula worked out.")
    ] = False,
    exact: Annotated[
        bool,
        typer.Option(
            "--exact",
            help="Compute W', b' and the check with fractions, every number exactly as written (0.1 is 1/10).",
        ),
    ] = False,
) -> None:
    """Show that stacked linear layers are one layer (W' = W2·W1), or prove a network is not.

    Without SPEC, the bundled linear-stack example (two linear 2×2 layers).
    """
    import nncalc
    from nncalc.errors import InputError
    from nncalc.spec import to_yaml

    with reported():
        fmt = choose_format(format, FORMATS_OUT, json=json)
        if input and len(input) > 1:
            raise InputError(f"collapse checks one input, and --input is given {len(input)} times")
        net = load_network(spec, allow_outside_paths, activations) if not exact else _load_exact(spec, allow_outside_paths)
        x = inputs(net, input)[0] if input else None
        result = nncalc.collapse(net, x, seed=seed)
        c, chk, search = result.collapse, result.check, result.search
        exactly = _collapse_exact(net, input, result) if exact else None
        if write is not None:
            before, after = len(net.layers), len(c.reduced.layers)
            note = f"Reduced by nncalc collapse from {net.source}: {before} layers -> {after}."
            write_file(write, to_yaml(c.reduced, comment=note), reads=(spec,))
    if fmt == "json" and exactly is not None:
        from nncalc.render.exactdata import collapse_exact_record

        write_json(collapse_exact_record(c, chk, search, exactly))
    elif fmt == "json":
        from nncalc.render.data import collapse_record

        write_json(collapse_record(c, chk, search))
    elif fmt == "table":
        from nncalc.render.table import collapse_view

        collapse_view(console(), c, chk, search, precision=precision, exact=exactly)
    else:
        from nncalc.render.worked import collapse_doc

        write_document(collapse_doc(c, chk, search, precision, brief=brief, exact=exactly), fmt)
    if write is not None:
        typer.echo(f"wrote {write}: {len(c.reduced.layers)} layer(s)", err=True)


def _load_exact(spec: str, allow_outside: bool):  # type: ignore[no-untyped-def]
    from nncalc.spec import load_spec

    return load_spec(spec, allow_outside=allow_outside, exact=True)


def _collapse_exact(net, given: list[str] | None, result):  # type: ignore[no-untyped-def]
    """``--exact``: the collapse redone in fractions, on the input as written."""
    from fractions import Fraction

    from nncalc import exact

    exact.check(net)
    if given:
        x = exact.exact_vectors(given, what="--input")[0]
    elif net.input is not None:
        x = exact.exact_inputs(net)[0]
    else:
        x = [Fraction(1)] * net.nin
    return exact.collapse(result.collapse, x, result.search)
