"""The command line: parse arguments, call the loader, engine and renderers, report errors.

No maths and no validation live here. Every :class:`NncalcError` becomes one line on
stderr and exit status 1; usage errors keep Typer's status 2.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Callable, Iterator, List, Optional

import typer

from nncalc import __version__
from nncalc.errors import InputError, NncalcError
from nncalc.inputs import FORMATS

if TYPE_CHECKING:
    import numpy as np
    from rich.console import Console

    from nncalc.network import Network

app = typer.Typer(
    name="nncalc",
    help=(
        "A calculator for neural-network forward passes: every weighted sum and "
        "activation, worked out step by step.\n\n"
        "Try [bold]nncalc forward two-layer[/bold], or [bold]nncalc examples[/bold] "
        "for the bundled networks."
    ),
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

# Options shared by every command that prints results (defined once, reused).
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON (one object per line for batches) instead of tables.")
]
CsvOption = Annotated[
    bool, typer.Option("--csv", help="Print CSV: the outputs only, one row per input, with a header line.")
]


def _format_option(formats: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """A command's --format option; the first of its formats is the default."""
    return Annotated[
        Optional[str],
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help=f"Output format: {', '.join(formats)} (default: {formats[0]}).",
            show_default=False,
        ),
    ]


FORWARD_FORMATS = ("table", "json", "csv", "markdown", "latex")
COLLAPSE_FORMATS = ("table", "json", "markdown", "latex")
TABLE_FORMATS = ("table", "json")
GRAPH_FORMATS = ("mermaid", "dot")
ForwardFormat = _format_option(FORWARD_FORMATS)
CollapseFormat = _format_option(COLLAPSE_FORMATS)
TableFormat = _format_option(TABLE_FORMATS)
GraphFormat = _format_option(GRAPH_FORMATS)


def _choose_format(chosen: str | None, formats: tuple[str, ...], json: bool = False, csv: bool = False) -> str:
    """The format asked for by --format or by its short forms --json and --csv."""
    short = [name for name, on in (("json", json), ("csv", csv)) if on]
    if len(short) > 1:
        raise InputError("choose one of --json and --csv")
    if chosen is not None and short and chosen != short[0]:
        raise InputError(f"--format {chosen} and --{short[0]} ask for different formats")
    fmt = chosen or (short[0] if short else formats[0])
    if fmt not in formats:
        raise InputError(f"--format '{fmt}': expected one of {', '.join(formats)}")
    return fmt


AllowOutsideOption = Annotated[
    bool,
    typer.Option(
        "--allow-outside-paths",
        help="Let the spec read weight files outside its own folder (absolute paths, '..').",
    ),
]
SpecArgument = Annotated[
    str,
    typer.Argument(
        help="A spec file (YAML or JSON), '-' for standard input, or a bundled example's name.",
        show_default=False,
    ),
]


def _input_option(help: str) -> typer.models.OptionInfo:
    return typer.Option("--input", "-i", metavar="V", help=help, show_default=False)


@contextmanager
def _reported() -> Iterator[None]:
    """Turn an NncalcError into ``error: ...`` on stderr and exit status 1."""
    try:
        yield
    except NncalcError as e:
        typer.secho("error: ", fg="red", bold=True, err=True, nl=False)
        typer.echo(str(e), err=True)
        raise typer.Exit(1) from None


def _console() -> Console:
    from rich.console import Console

    return Console()


def _write_json(record: object) -> None:
    """One JSON document on stdout."""
    from nncalc.render.data import dumps

    sys.stdout.write(dumps(record) + "\n")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nncalc {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = None,
) -> None:
    pass


@app.command(
    epilog=(
        "[bold]Examples[/bold]\n\n"
        "  nncalc forward two-layer\n\n"
        "  nncalc forward net.yaml --input 1,2 --input -3,4\n\n"
        "  nncalc forward net.yaml --input 1,2 --json | jq '.output'\n\n"
        "  nncalc forward net.yaml --inputs data.csv --csv > outputs.csv\n\n"
        "  nncalc forward two-layer --format markdown > example2.md\n\n"
        "  cat net.yaml | nncalc forward - --input 1,2"
    )
)
def forward(
    spec: SpecArgument,
    input: Annotated[
        Optional[List[str]],
        _input_option("An input vector, like 1,2 (overrides the spec's input). Repeat for a batch."),
    ] = None,
    inputs: Annotated[
        Optional[List[str]],
        typer.Option(
            "--inputs",
            metavar="FILE",
            help="A file of inputs, one per row: CSV, TSV, .npy, JSON or NDJSON; '-' reads standard input. Repeatable.",
            show_default=False,
        ),
    ] = None,
    input_format: Annotated[
        Optional[str],
        typer.Option(
            "--input-format",
            metavar="FORMAT",
            help="The format of --inputs files: csv, tsv, npy, json or ndjson (default: from the suffix, else the content).",
            show_default=False,
        ),
    ] = None,
    format: ForwardFormat = None,
    json: JsonOption = False,
    csv: CsvOption = False,
    no_header: Annotated[bool, typer.Option("--no-header", help="With --csv: no header line.")] = False,
    outputs_only: Annotated[
        bool, typer.Option("--outputs-only", help="With --json: only each input and output, not every layer.")
    ] = False,
    precision: Annotated[
        int,
        typer.Option(min=1, max=17, help="Significant digits shown in tables (JSON and CSV always have full precision)."),
    ] = 10,
    all_units: Annotated[
        bool, typer.Option("--all", help="Show every unit of large layers (over 32 units are shortened).")
    ] = False,
    allow_outside_paths: AllowOutsideOption = False,
) -> None:
    """Run a forward pass and show every [bold]z = Wx + b[/bold] and [bold]a = σ(z)[/bold], term by term.

    Inputs come from --input, --inputs files, or the spec's own input. Tables and worked
    examples (--format markdown or latex) show the first few inputs of a large batch;
    --json (one object per line) and --csv stream every input with flat memory.
    """
    from nncalc.spec import load_spec

    with _reported():
        fmt = _choose_format(format, FORWARD_FORMATS, json=json, csv=csv)
        for flag, given, needs in (("--no-header", no_header, "csv"), ("--outputs-only", outputs_only, "json")):
            if given and fmt != needs:
                raise InputError(f"{flag} goes with --{needs} (the output here is {fmt})")
        if input_format is not None and input_format not in FORMATS:
            raise InputError(f"--input-format '{input_format}': expected one of {', '.join(FORMATS)}")
        if spec == "-" and "-" in (inputs or []):
            raise InputError("standard input can hold the spec or the inputs, not both")
        net = load_spec(spec, allow_outside=allow_outside_paths)
        batches = _batches(net, input, inputs, input_format)
        if fmt == "csv":
            from nncalc.engine import predict
            from nncalc.render.data import csv_header, csv_rows

            _stream(batches, lambda x, first: csv_rows(predict(net, x, first)), "" if no_header else csv_header(net))
        elif fmt == "json" and outputs_only:
            from nncalc.engine import predict
            from nncalc.render.data import outputs_only_lines

            _stream(batches, lambda x, first: outputs_only_lines(x, predict(net, x, first)))
        elif fmt == "json":
            from nncalc.engine import forward as run
            from nncalc.render.data import trace_lines

            _stream(batches, lambda x, first: trace_lines(net, run(net, x, first)))
        else:
            from nncalc.engine import forward as run

            shown, total = _first_inputs(batches)
            trace = run(net, shown)
            if fmt == "table":
                from nncalc.render.table import forward_tables

                console = _console()
                forward_tables(console, net, trace, precision=precision, show_all=all_units, total=total)
                if total > len(shown):
                    console.print(
                        f"\n… and {total - len(shown):,} more inputs, not shown as tables: "
                        "--csv or --json print every output.",
                        markup=False,
                        highlight=False,
                    )
            else:
                from nncalc.render.worked import forward_doc

                _write_document(forward_doc(net, trace, precision, all_units, total), fmt)


MAX_SHOWN_INPUTS = 5  # tables and worked examples of a larger batch show this many


def _first_inputs(batches: Iterator[np.ndarray]) -> tuple[np.ndarray, int]:
    """The first MAX_SHOWN_INPUTS inputs, and how many there are in all."""
    import numpy as np

    shown: list[np.ndarray] = []
    total = 0
    for x in batches:
        if len(shown) < MAX_SHOWN_INPUTS:
            shown.extend(x[: MAX_SHOWN_INPUTS - len(shown)])
        total += len(x)
    return np.array(shown), total


def _write_document(doc: list, fmt: str) -> None:  # type: ignore[type-arg]
    from nncalc.render.document import to_latex, to_markdown

    sys.stdout.write(to_markdown(doc) if fmt == "markdown" else to_latex(doc))


def _stream(batches: Iterator[np.ndarray], render: Callable[[np.ndarray, int], str], header: str = "") -> None:
    """Write each batch as soon as it is computed, so memory stays flat.

    The header goes out with the first rows, so input that is bad from its first row
    leaves stdout empty (and an input with no rows gives the header alone).
    """
    write = sys.stdout.write
    pending = header
    done = 0
    for x in batches:
        write(pending + render(x, done + 1))
        pending = ""
        done += len(x)
    if pending:
        write(pending)


def _batches(
    net: Network, vectors: list[str] | None, files: list[str] | None, fmt: str | None
) -> Iterator[np.ndarray]:
    """The inputs to run, in chunks: --input vectors first, then each --inputs file."""
    from nncalc.inputs import read_inputs

    if vectors or not files:
        yield _inputs(net, vectors)
    for path in files or ():
        yield from read_inputs(path, net, fmt)


def _inputs(net: Network, given: list[str] | None, default: np.ndarray | None = None) -> np.ndarray:
    """The batch to run: the --input vectors if any, else the spec's input, else default."""
    import numpy as np

    from nncalc.inputs import parse_vector

    if given:
        return np.stack([parse_vector(v, net) for v in given])
    if net.input is not None:
        return net.input
    if default is not None:
        return np.atleast_2d(default)
    raise InputError(
        f"no input given: pass --input with {net.nin} numbers "
        f"(like --input {','.join(['1'] * net.nin)}) or add 'input:' to the spec",
        source=net.source,
    )


@app.command(
    epilog=(
        "[bold]Examples[/bold]\n\n"
        "  nncalc activations\n\n"
        "  nncalc activations --at -2 --at 0.5\n\n"
        "  nncalc activations --only relu,sigmoid,tanh --plot\n\n"
        "  nncalc activations --plot --range -3,3 --save curves.png\n\n"
        "  nncalc activations --json"
    )
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
        typer.Option(metavar="FILE", help="Write the plot as a picture (.png or .svg).", show_default=False),
    ] = None,
    format: TableFormat = None,
    json: JsonOption = False,
    precision: Annotated[int, typer.Option(min=1, max=17, help="Significant digits shown in tables.")] = 10,
) -> None:
    """Compare activation functions: formulas, ranges, derivatives and curves.

    Plotting needs the optional plot packages: pip install 'nncalc[plot]'.
    """
    import numpy as np

    from nncalc import activations as registry
    from nncalc.inputs import parse_option_number, parse_range

    with _reported():
        json = _choose_format(format, TABLE_FORMATS, json=json) == "json"
        if plot and json:
            raise InputError("--plot draws in the terminal and cannot go with --json; use --save FILE")
        chosen = registry.select(only) if only else list(registry.definitions())
        acts = [registry.get(d.name) for d in chosen]
        rows = [(d, registry.saturation(a)) for d, a in zip(chosen, acts)]
        points = np.array([parse_option_number(z, "--at") for z in at]) if at else None
        values = [(a(points), a.grad(points)) for a in acts] if points is not None else None
        lo, hi = parse_range(range_)
        curves = None
        if plot or save:
            z = np.linspace(lo, hi, 801)
            curves = [(d.name, registry.curve(a, z)[1 if derivative else 0]) for d, a in zip(chosen, acts)]
            what = "Derivatives σ'(z)" if derivative else "Activation functions σ(z)"
            title = f"{what} over [{lo:g}, {hi:g}]"
        if save is not None:
            from nncalc.render.plot import save_plot

            save_plot(save, z, curves, title, "σ'(z)" if derivative else "σ(z)")
        if json:
            from nncalc.render.data import activations_record

            _write_json(activations_record(rows, (points, values) if points is not None else None))
        else:
            from nncalc.render import table

            console = _console()
            if points is not None:
                table.activation_values_table(console, points, [(d, *v) for d, v in zip(chosen, values)], precision)
            elif not (plot or save):
                table.activations_table(console, rows)
            if plot:
                from nncalc.render.plot import terminal_plot

                terminal_plot(console, z, curves, title)
    if save is not None:
        typer.echo(f"wrote {save}", err=True)


@app.command(
    epilog=(
        "[bold]Examples[/bold]\n\n"
        "  nncalc collapse                        # the bundled linear-stack example\n\n"
        "  nncalc collapse net.yaml --input 1,2\n\n"
        "  nncalc collapse net.yaml --json\n\n"
        "  nncalc collapse --format latex > example3.tex\n\n"
        "  nncalc collapse net.yaml --write reduced.yaml"
    )
)
def collapse(
    spec: SpecArgument = "linear-stack",
    input: Annotated[
        Optional[str],
        _input_option("The input to check both paths on (default: the spec's input, else all ones)."),
    ] = None,
    format: CollapseFormat = None,
    json: JsonOption = False,
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
    seed: Annotated[int, typer.Option(help="Seed of the witness search (same seed, same witness).")] = 0,
    precision: Annotated[
        int, typer.Option(min=1, max=17, help="Significant digits shown in tables.")
    ] = 10,
    allow_outside_paths: AllowOutsideOption = False,
) -> None:
    """Show that stacked linear layers are one layer ([bold]W' = W2·W1[/bold]), or prove a network is not.

    Without SPEC, the bundled linear-stack example (two linear 2×2 layers).
    """
    import numpy as np

    from nncalc import collapse as maths
    from nncalc.spec import load_spec, to_yaml

    with _reported():
        fmt = _choose_format(format, COLLAPSE_FORMATS, json=json)
        net = load_spec(spec, allow_outside=allow_outside_paths)
        x = _inputs(net, [input] if input is not None else None, default=np.ones(net.nin))[0]
        c = maths.collapse(net)
        chk = maths.check(c, x)
        search = None if c.collapsible else maths.find_witness(net, x, seed=seed)
        if write is not None:
            before, after = len(net.layers), len(c.reduced.layers)
            note = f"Reduced by nncalc collapse from {net.source}: {before} layers -> {after}."
            _write_file(write, to_yaml(c.reduced, comment=note))
    if fmt == "json":
        from nncalc.render.data import collapse_record

        _write_json(collapse_record(c, chk, search))
    elif fmt == "table":
        from nncalc.render.table import collapse_view

        collapse_view(_console(), c, chk, search, precision=precision)
    else:
        from nncalc.render.worked import collapse_doc

        _write_document(collapse_doc(c, chk, search, precision), fmt)
    if write is not None:
        typer.echo(f"wrote {write}: {len(c.reduced.layers)} layer(s)", err=True)


def _write_file(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError as e:
        raise NncalcError(f"cannot write the file: {e.strerror}", source=str(path)) from None


@app.command(
    epilog=(
        "[bold]Examples[/bold]\n\n"
        "  nncalc graph two-layer\n\n"
        "  nncalc graph net.yaml --format dot | dot -Tsvg > net.svg\n\n"
        "  nncalc graph net.yaml --no-weights"
    )
)
def graph(
    spec: SpecArgument,
    format: GraphFormat = None,
    weights: Annotated[bool, typer.Option("--weights/--no-weights", help="Label edges with weights and units with biases.")] = True,
    precision: Annotated[int, typer.Option(min=1, max=17, help="Significant digits of the weights shown.")] = 4,
    allow_outside_paths: AllowOutsideOption = False,
) -> None:
    """Draw a network as a Mermaid flowchart (like the textbook's) or Graphviz DOT.

    Layers of more than 12 units are drawn as one box, so the picture stays readable.
    """
    from nncalc.render.graph import build, to_dot, to_mermaid
    from nncalc.spec import load_spec

    with _reported():
        fmt = _choose_format(format, GRAPH_FORMATS)
        net = load_spec(spec, allow_outside=allow_outside_paths)
    model = build(net, weights=weights, precision=precision)
    sys.stdout.write(to_mermaid(model) if fmt == "mermaid" else to_dot(model))


MAX_INIT_PARAMETERS = 1_000_000  # larger networks belong in weight files, not YAML


@app.command(
    epilog=(
        "[bold]Examples[/bold]\n\n"
        "  nncalc init 2,3,1 > net.yaml\n\n"
        "  nncalc init 2,3,1 --activation relu --output linear --seed 0 > net.yaml\n\n"
        "  nncalc init 4,16,16,3 --activation tanh --output softmax --init xavier"
    )
)
def init(
    sizes: Annotated[str, typer.Argument(metavar="SIZES", help="Layer sizes from input to output, like 2,3,1.", show_default=False)],
    activation: Annotated[str, typer.Option(help="Activation of the hidden layers.")] = "relu",
    output: Annotated[str, typer.Option(help="Activation of the output layer.")] = "linear",
    init_: Annotated[
        Optional[str],
        typer.Option(
            "--init",
            metavar="NAME",
            help="Weight initialiser: he, xavier, uniform or zeros (default: he for relu and leaky_relu hidden layers, else xavier).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[Optional[int], typer.Option(help="Seed of the random weights, for the same spec every time.", show_default=False)] = None,
    digits: Annotated[int, typer.Option(min=1, max=17, help="Significant digits of each weight.")] = 4,
) -> None:
    """Write a new spec with random weights: a valid, commented starting point."""
    import numpy as np

    from nncalc import activations as registry
    from nncalc.initializers import INITIALIZERS, default_for, initialize
    from nncalc.network import Layer, Network, frozen, round_significant
    from nncalc.spec import to_yaml

    with _reported():
        n = _parse_sizes(sizes)
        for option, name in (("--activation", activation), ("--output", output)):
            if name not in registry.REGISTRY:
                raise InputError(f"{option} '{name}': unknown activation; known: {registry.known_names()}")
        method = init_ or default_for(registry.REGISTRY[activation].name)
        if method not in INITIALIZERS:
            raise InputError(f"--init '{method}': expected one of {', '.join(INITIALIZERS)}")
        count = sum(i * o + o for i, o in zip(n, n[1:]))
        if count > MAX_INIT_PARAMETERS:
            raise InputError(
                f"{sizes} has {count:,} parameters; init writes at most {MAX_INIT_PARAMETERS:,} into YAML "
                "(save larger weights as .npy files and name them in the spec)"
            )
    hidden = len(n) - 2
    layers = []
    for k, (W, b) in enumerate(initialize(n, method, seed), 1):
        last = k == len(n) - 1
        name = "output" if last else ("hidden" if hidden == 1 else f"hidden{k}")
        act = registry.get(output if last else activation)
        layers.append(Layer(name, frozen(round_significant(W, digits)), frozen(round_significant(b, digits)), act))
    net = Network(tuple(layers), name=f"{'-'.join(map(str, n))} network", input=frozen(np.ones((1, n[0]))))
    how = {
        "he": "He-normal weights (standard deviation sqrt(2 / inputs)), zero biases",
        "xavier": "Xavier-normal weights (standard deviation sqrt(2 / (inputs + units))), zero biases",
        "uniform": "weights and biases uniform on ±1/sqrt(inputs), as PyTorch's nn.Linear",
        "zeros": "all weights and biases 0",
    }[method]
    comment = (
        f"A {'-'.join(map(str, n))} network written by nncalc init: {how}"
        f"{f', seed {seed}' if seed is not None else ''}.\n"
        f"The input below is a placeholder: change it, or run with --input.\n"
        f"Check it with `nncalc validate FILE`; run it with `nncalc forward FILE`."
    )
    sys.stdout.write(to_yaml(net, comment=comment))


def _parse_sizes(text: str) -> list[int]:
    sizes = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise InputError(f"SIZES '{text}': '{part}' is not a whole number of units, 1 or more")
        sizes.append(int(part))
    if len(sizes) < 2:
        raise InputError(f"SIZES '{text}': give at least two sizes, inputs and outputs, like 2,3,1")
    return sizes


@app.command(
    epilog=(
        "[bold]Examples[/bold]\n\n"
        "  nncalc schema > nncalc.schema.json\n\n"
        "  then put this first line in a spec, for an editor's YAML support:\n\n"
        "  # yaml-language-server: $schema=./nncalc.schema.json"
    )
)
def schema() -> None:
    """Print the JSON Schema of the spec format, for editors and other tools."""
    import json as json_module

    from nncalc.spec import json_schema

    sys.stdout.write(json_module.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")


@app.command(epilog="[bold]Examples[/bold]\n\n  nncalc validate net.yaml\n\n  nncalc validate two-layer --json")
def validate(
    spec: SpecArgument,
    format: TableFormat = None,
    json: JsonOption = False,
    allow_outside_paths: AllowOutsideOption = False,
) -> None:
    """Check a spec and print a summary: each layer's shape, parameter count and weight files."""
    from nncalc.spec import load_spec

    with _reported():
        json = _choose_format(format, TABLE_FORMATS, json=json) == "json"
        net = load_spec(spec, allow_outside=allow_outside_paths)
    if json:
        from nncalc.render.data import summary_record

        _write_json(summary_record(net))
    else:
        from nncalc.render.table import summary_table

        summary_table(_console(), net)


@app.command(epilog="[bold]Examples[/bold]\n\n  nncalc examples\n\n  nncalc forward neuron")
def examples(format: TableFormat = None, json: JsonOption = False) -> None:
    """List the bundled example networks, usable by name in place of a spec file."""
    from nncalc.spec import EXAMPLES_DIR, example_names, load_spec

    rows = []
    with _reported():
        json = _choose_format(format, TABLE_FORMATS, json=json) == "json"
        for name in example_names():
            net = load_spec(name)
            rows.append((name, " → ".join(map(str, net.sizes)), net.description or "", EXAMPLES_DIR / f"{name}.yaml"))
    if json:
        for n, s, d, p in rows:
            _write_json({"name": n, "shape": s, "description": d, "path": str(p)})
    else:
        from nncalc.render.table import examples_table

        examples_table(_console(), ((n, s, d) for n, s, d, _ in rows))


def main() -> None:
    """Entry point of the ``nncalc`` command."""
    try:
        app()
    except BrokenPipeError:
        # The reader went away (`nncalc ... | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
