"""``nncalc stats``: dead and saturated units, ranges and classes over a batch, streamed."""

from __future__ import annotations

from typing import Annotated

import typer

from nncalc.cli.common import (
    ActivationsOption,
    AllowOutsideOption,
    InputFormatOption,
    InputOption,
    InputsOption,
    PrecisionOption,
    SpecArgument,
    choose_format,
    command,
    rich_console,
    format_option,
    inputs,
    json_option,
    load_network,
    reported,
    write_document,
    write_json,
)
from nncalc.errors import InputError
from nncalc.inputs import FORMATS

FORMATS_OUT = ("table", "json", "markdown")


@command(
    "nncalc stats net.yaml --inputs data.csv",
    "nncalc stats net.yaml --inputs data.npy --saturation 0.001",
    "nncalc stats net.yaml --inputs data.csv --json | jq '.layers[].dead'",
    "nncalc stats two-layer --input 1,2 --input -3,4 --format markdown",
)
def stats(
    spec: SpecArgument,
    input: InputOption = None,
    inputs_: InputsOption = None,
    input_format: InputFormatOption = None,
    saturation: Annotated[
        str,
        typer.Option(
            metavar="DERIVATIVE",
            help="A sigmoid, tanh, softmax or hard_* unit is saturated on an input where its derivative is below this.",
        ),
    ] = "0.01",
    format: format_option(FORMATS_OUT) = None,
    json: json_option("Print one JSON object (keys documented in the README).") = False,
    precision: PrecisionOption = 4,
    all_units: Annotated[
        bool, typer.Option("--all", help="Show every unit of large layers (over 32 show the 16 worst).")
    ] = False,
    allow_outside_paths: AllowOutsideOption = False,
    activations: ActivationsOption = None,
) -> None:
    """Statistics of every unit over a batch: dead ReLU units (z never positive),
    saturated sigmoid, tanh and softmax units, each unit's range of z and a, and the
    output classes.

    Inputs come from --input, --inputs files, or the spec's own input. Files are read in
    one pass, a chunk at a time, so memory stays flat however long they are. Tables show
    the worst units first, with a one-line verdict per layer.
    """
    from nncalc.batches import batches
    from nncalc.inputs import parse_option_number
    from nncalc.stats import Running, check_threshold

    with reported():
        fmt = choose_format(format, FORMATS_OUT, json=json)
        if input_format is not None and input_format not in FORMATS:
            raise InputError(f"--input-format '{input_format}': expected one of {', '.join(FORMATS)}")
        threshold = parse_option_number(saturation, "--saturation")
        try:
            check_threshold(threshold)
        except InputError:
            raise InputError(
                f"--saturation '{saturation}': expected a derivative above 0 and at most 1, like 0.01"
            ) from None
        files = inputs_ or []
        if spec == "-" and "-" in files:
            raise InputError("standard input can hold the spec or the inputs, not both")
        if files.count("-") > 1:
            raise InputError("--inputs - is given twice; standard input can be read once")
        net = load_network(spec, allow_outside_paths, activations)
        vectors = inputs(net, input) if input or not files else None
        running = Running(net, threshold)
        for x in batches(net, vectors, files, input_format):
            running.update(x)
        if running.n == 0:
            where = files[0] if len(files) == 1 else None
            what = "holds no inputs" if where else "the --inputs files hold no inputs"
            raise InputError(f"{what}; statistics need at least one", source="<stdin>" if where == "-" else where)
        result = running.result()
        if fmt == "json":
            write_json(result.to_dict())
            return
        from nncalc.render.stats import stats_doc, stats_tables, view

        v = view(result, show_all=all_units)
        if fmt == "table":
            stats_tables(rich_console(), v, precision)
        else:
            write_document(stats_doc(v, precision), fmt)
