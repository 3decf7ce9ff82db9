"""``nncalc approximate``: the universal approximation theorem, built with ReLU units."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from nncalc.cli.common import PrecisionOption, choose_format, command, format_option, json_option, reported, rich_console, write_file
from nncalc.errors import InputError

if TYPE_CHECKING:
    import numpy as np

FORMATS_OUT = ("table", "json")
MAX_COUNTS = 20  # unit counts in one table
MAX_SAMPLES_BYTES = 64 * 1024 * 1024  # a samples file far larger than 100,001 pairs needs


@command(
    'nncalc approximate "sin(x)" --range 0,pi --units 8',
    'nncalc approximate "sin(x)" --range 0,3.14159 --units 8 --write sin8.yaml',
    'nncalc approximate "exp(x)" --range 0,1 --units 2,4,8,16,32,64',
    'nncalc approximate "exp(-x**2/2)" --range -3,3 --units 6 --plot',
    "nncalc approximate --samples points.csv --save fit.png",
    # An expression may start with a minus ("-x**2", "-tanh(x)"): read it as EXPR, not as
    # options. (No letter of the expression grammar is a short option of this command.)
    context_settings={"ignore_unknown_options": True},
)
def approximate(
    expression: Annotated[
        Optional[str],
        typer.Argument(
            metavar="EXPR",
            help=(
                "f(x): numbers, x, + - * / **, parentheses, pi, e and sin cos tan exp log sqrt "
                "abs tanh sigmoid, like \"sin(x)\" or \"x**2/2\". Quote it for the shell."
            ),
            show_default=False,
        ),
    ] = None,
    range_: Annotated[
        Optional[str],
        typer.Option("--range", metavar="A,B", help="The interval [a, b] of x; numbers or constants such as pi, 2*pi.", show_default=False),
    ] = None,
    units: Annotated[
        Optional[str],
        typer.Option(
            "--units",
            metavar="N[,N...]",
            help="Hidden units: one number, or several (2,4,8,16) for a table of the error against N (default: 8; with --samples, the number of samples less one).",
            show_default=False,
        ),
    ] = None,
    samples: Annotated[
        Optional[Path],
        typer.Option(metavar="FILE", help="Interpolate (x, y) pairs instead, one per row: CSV, TSV, .npy, JSON or NDJSON.", show_default=False),
    ] = None,
    write: Annotated[
        Optional[Path],
        typer.Option(
            "--write",
            "-w",
            metavar="FILE",
            help="Write the network as a spec that every nncalc command reads (with several N, the largest).",
            show_default=False,
        ),
    ] = None,
    plot: Annotated[bool, typer.Option("--plot", help="Draw f and the network in the terminal.")] = False,
    save: Annotated[
        Optional[Path],
        typer.Option(metavar="FILE", help="Draw f and the network to a picture (.png or .svg; needs matplotlib).", show_default=False),
    ] = None,
    format: format_option(FORMATS_OUT) = None,
    json: json_option("Print JSON, one object per number of units.") = False,
    precision: PrecisionOption = 4,
) -> None:
    """Build a network with one hidden ReLU layer that approximates f(x): the universal
    approximation theorem, made concrete.

    Hidden unit i computes relu(x − x_i) at knot x_i; with N units and N + 1 evenly
    spaced knots on [a, b], the output f(x_0) + Σ c_i·relu(x − x_i), c_i = s_i − s_(i−1)
    (the change of slope), draws the straight lines between f's values at the knots. The
    error is measured on a fine grid beside the bound (b − a)²·max|f''|/(8N²), which falls
    as 1/N².
    """
    from nncalc import approximate as engine

    with reported():
        as_json = choose_format(format, FORMATS_OUT, json=json) == "json"
        if plot and as_json:
            raise InputError("--plot draws in the terminal and cannot go with --json; use --save FILE")
        counts = _parse_units(units) if units is not None else None
        if samples is not None:
            if expression is not None:
                raise InputError("give an expression or --samples, not both")
            if range_ is not None:
                raise InputError("--range does not go with --samples: the samples' x values set the range")
            if counts is not None and len(counts) > 1:
                raise InputError(f"--units '{_shown(units)}': with --samples, give one number (one less than the samples), or none")
            x, y = _read_samples(samples)
            source = "<stdin>" if str(samples) == "-" else _shown(str(samples), 200)
            study = engine.interpolate(x, y, counts[0] if counts else None, source=source)
        else:
            if expression is None:
                raise InputError('give an expression in x, like nncalc approximate "sin(x)" --range 0,pi, or --samples FILE')
            from nncalc.expression import parse

            f = parse(expression)
            if range_ is None:
                raise InputError("give the interval of x with --range A,B, like --range 0,pi")
            a, b = _parse_range(range_)
            study = engine.approximate(f, a, b, counts or [8], label=expression)
        if write is not None:
            from nncalc.render.approximate import spec_texts
            from nncalc.spec import to_yaml

            fit = study.largest
            name, description, comment = spec_texts(study, fit)
            write_file(write, to_yaml(fit.network(name, description), comment=comment), reads=(samples,))
        if save is not None:
            from nncalc.render.approximate import save_plot

            save_plot(save, study)
    if as_json:
        from nncalc.cli.common import write_json
        from nncalc.render.approximate import records

        for record in records(study):
            write_json(record)
    else:
        from nncalc.render.approximate import study_view, terminal_plot

        out = rich_console()
        study_view(out, study, precision)
        if plot:
            out.print()
            with reported():
                terminal_plot(out, study)
    if write is not None:
        n = study.largest.units
        typer.echo(f"wrote {write}: 1 → {n:,} → 1, relu, linear", err=True)
    if save is not None:
        typer.echo(f"wrote {save}", err=True)


def _shown(text: str, width: int = 40) -> str:
    """An argument as messages quote it: control characters escaped, a long one cut."""
    from nncalc.expression import shown

    return shown(text, width=width)


def _parse_units(text: str) -> list[int]:
    """``8`` or ``2,4,8``: whole numbers of hidden units, each given once."""
    from nncalc.approximate import MAX_UNITS

    counts: list[int] = []
    parts = text.split(",")
    if len(parts) > MAX_COUNTS:
        raise InputError(f"--units: {len(parts):,} numbers of units; give at most {MAX_COUNTS}")
    for part in parts:
        p = part.strip()
        if not p.isdigit() or not p.isascii():
            raise InputError(f"--units '{_shown(text)}': '{_shown(p)}' is not a whole number; expected like --units 8 or --units 2,4,8")
        n = int(p) if len(p) <= 7 else MAX_UNITS + 1
        if not 1 <= n <= MAX_UNITS:
            raise InputError(f"--units '{_shown(text)}': {_shown(p)} units; expected between 1 and {MAX_UNITS:,}")
        if n in counts:
            raise InputError(f"--units '{_shown(text)}': {n} is given twice")
        counts.append(n)
    return counts


def _parse_range(text: str) -> tuple[float, float]:
    """``0,1``, ``-pi,pi`` or ``0,2*pi``: two constant expressions, the first smaller."""
    from nncalc.expression import parse
    from nncalc.numbers import NUMBER, parse_number

    parts = text.split(",")
    if len(parts) != 2:
        raise InputError(f"--range '{_shown(text)}': expected two numbers, like --range 0,1 or --range 0,pi")
    ends = []
    for part in parts:
        try:
            ends.append(parse_number(part))
            continue
        except ValueError:
            if NUMBER.fullmatch(part.strip()):  # a number, but beyond float64
                raise InputError(f"--range '{_shown(text)}': '{_shown(part.strip())}' is too large for float64") from None
        try:
            value = parse(part.strip(), what="end", variable=False).value()
        except InputError as e:
            raise InputError(f"--range '{_shown(text)}': {e.message}") from None
        import math

        if not math.isfinite(value):
            raise InputError(f"--range '{_shown(text)}': '{_shown(part.strip())}' is not a finite number")
        ends.append(value)
    a, b = ends
    if not a < b:
        raise InputError(f"--range '{_shown(text)}': the first number must be smaller than the second")
    return a, b


def _read_samples(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) pairs of a file, read as nncalc reads inputs (header line, comments,
    one clean error per bad file), after looking at what the file is."""
    import stat
    import warnings

    import numpy as np

    from nncalc.approximate import MAX_UNITS
    from nncalc.inputs import read_inputs
    from nncalc.network import build_network

    source = "<stdin>" if str(path) == "-" else _shown(str(path), 200)
    if str(path) != "-":
        try:
            info = path.stat()
        except FileNotFoundError:
            raise InputError("no such file", source=source) from None
        except (OSError, ValueError) as e:
            raise InputError(f"cannot read the file: {getattr(e, 'strerror', None) or e}", source=source) from None
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a pipe or a device?)"
            raise InputError(f"cannot read the file: it is {kind}", source=source)
        if info.st_size > MAX_SAMPLES_BYTES:
            raise InputError(f"the file is {info.st_size:,} bytes; samples are read up to {MAX_SAMPLES_BYTES:,}", source=source)
    # read_inputs reads rows of as many numbers as a network takes: a pair is two.
    pairs = build_network([{"weights": [[1.0, 1.0]]}])
    chunks = []
    count = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NumPy's "loadtxt: input contained no data"
            for chunk in read_inputs(str(path), pairs):
                chunks.append(chunk)
                count += len(chunk)
                if count > MAX_UNITS + 1:
                    raise InputError(f"holds more than {MAX_UNITS + 1:,} samples (a network of at most {MAX_UNITS:,} units)", source=source)
    except InputError as e:
        e.source = source  # the name as given, control characters made visible
        raise
    except OSError as e:
        raise InputError(f"cannot read the file: {e.strerror or e}", source=source) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=source) from None
    if not count:
        raise InputError("holds no samples; expected (x, y) pairs, one per row, like 0.5,1.2", source=source)
    xy = np.concatenate(chunks)
    return xy[:, 0], xy[:, 1]
