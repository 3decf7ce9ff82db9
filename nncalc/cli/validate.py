"""``nncalc validate`` and ``nncalc examples``: what a spec holds, and the bundled ones."""

from __future__ import annotations

from nncalc.cli.common import (
    ActivationsOption,
    AllowOutsideOption,
    SpecArgument,
    choose_format,
    command,
    console,
    format_option,
    json_option,
    load_network,
    reported,
    weights_only_note,
    write_json,
)

FORMATS_OUT = ("table", "json")


@command(
    "nncalc validate net.yaml",
    "nncalc validate two-layer --json",
    "nncalc validate model.onnx",
    "nncalc validate model.safetensors --activations relu,relu,softmax",
)
def validate(
    spec: SpecArgument,
    format: format_option(FORMATS_OUT) = None,
    json: json_option() = False,
    allow_outside_paths: AllowOutsideOption = False,
    activations: ActivationsOption = None,
) -> None:
    """Check a spec or model file and print a summary: each layer's shape, activation,
    parameter count and where its weights were read from."""
    with reported():
        json = choose_format(format, FORMATS_OUT, json=json) == "json"
        net = load_network(spec, allow_outside_paths, activations)
    weights_only_note(spec, net, activations)
    if json:
        from nncalc.render.data import summary_record

        write_json(summary_record(net))
    else:
        from nncalc.render.table import summary_table

        summary_table(console(), net)


@command("nncalc examples", "nncalc forward neuron")
def examples(format: format_option(FORMATS_OUT) = None, json: json_option("Print JSON, one object per example and line.") = False) -> None:
    """List the bundled example networks, usable by name in place of a spec file."""
    from nncalc.spec import EXAMPLES_DIR, example_names

    rows = []
    with reported():
        json = choose_format(format, FORMATS_OUT, json=json) == "json"
        for name in example_names():
            net = load_network(name)
            rows.append((name, " → ".join(map(str, net.sizes)), net.description or "", EXAMPLES_DIR / f"{name}.yaml"))
    if json:
        for n, s, d, p in rows:
            write_json({"name": n, "shape": s, "description": d, "path": str(p)})
    else:
        from nncalc.render.table import examples_table

        examples_table(console(), ((n, s, d) for n, s, d, _ in rows))
