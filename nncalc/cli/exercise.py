"""``nncalc exercise``: exercise sheets with numbers a person can compute by hand."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from nncalc.cli.common import check_loss, command, format_option, learning_rate, reported
from nncalc.errors import InputError, NncalcError

FORMATS_OUT = ("markdown", "latex")


@command(
    "nncalc exercise --sizes 2,3,1 --activations relu,linear --seed 7 -o ex.md",
    "nncalc exercise --sizes 2,3,1 --activations relu,linear --seed 7 --solution -o sol.md",
    "nncalc exercise --sizes 3,4,2 --count 10 -f latex -o sheet.tex",
    "nncalc exercise --seed 7 --spec ex.yaml && nncalc forward ex.yaml",
    "nncalc exercise --sizes 2,2,1 --backward --lr 0.5 --seed 3 -o ex.md",
    "nncalc exercise --sizes 3,2 --activations sigmoid --backward --seed 1 -f latex",
    "nncalc exercise --sizes 2,3,2 --activations relu,softmax --backward --solution",
)
def exercise(
    sizes: Annotated[
        str, typer.Option("--sizes", metavar="SIZES", help="Inputs, then each layer's units, like 2,3,1 (each 1 to 8).")
    ] = "2,3,1",
    activations: Annotated[
        Optional[str],
        typer.Option(
            "--activations",
            metavar="NAMES",
            help="One activation per layer, like relu,linear, or one for all (default: relu, linear for the last). "
            "leaky_relu has alpha 0.1 here.",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option(min=0, metavar="N", help="Seed of the random numbers: the same seed, the same sheet.")] = 0,
    count: Annotated[int, typer.Option(min=1, max=100, metavar="N", help="Exercises on the sheet, numbered.")] = 1,
    all_fire: Annotated[
        bool, typer.Option("--all-fire", help="Every ReLU unit fires (by default some do and some do not).")
    ] = False,
    solution: Annotated[bool, typer.Option("--solution", help="Write the worked solutions instead of the questions.")] = False,
    backward: Annotated[
        bool,
        typer.Option(
            "--backward",
            help="A backward-pass exercise: a target too, and the loss, every delta and gradient to find "
            "(at most four decimal places with linear, relu, leaky_relu and hard_tanh layers and half-sse or mse).",
        ),
    ] = False,
    loss: Annotated[
        Optional[str],
        typer.Option(
            metavar="NAME",
            help="With --backward: mse, half-sse, bce, cross-entropy or nll (default: as nncalc backward picks: "
            "cross-entropy after softmax, nll after log_softmax, else half-sse).",
            show_default=False,
        ),
    ] = None,
    lr: Annotated[
        Optional[str],
        typer.Option(
            "--lr", metavar="RATE", help="With --backward: also one step of gradient descent with this learning rate.", show_default=False
        ),
    ] = None,
    spec: Annotated[
        Optional[Path],
        typer.Option(
            "--spec",
            metavar="FILE",
            help="Also write the (first) exercise's network, with its input (and target), as a spec to check with "
            "nncalc forward (or backward).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", metavar="FILE", help="Write the sheet to FILE (default: standard output).", show_default=False),
    ] = None,
    format: format_option(FORMATS_OUT) = None,
) -> None:
    """Write an exercise sheet: a random network and input whose every value has at most
    three decimal places, with its questions, or (--solution) its worked solution.

    Weights and biases have one decimal place and inputs are small integers. With
    activations that are not piecewise linear (sigmoid, tanh, softmax, ...), answers are
    given to 4 significant digits. A FILE ending in .tex is written as LaTeX.

    With --backward, the exercise is a backward pass: a target and a loss are given too,
    and the solution is the worked example of nncalc backward (with --lr, with one step
    of gradient descent).
    """
    from nncalc import exercise as ex
    from nncalc.cli.common import choose_format
    from nncalc.render.document import to_latex, to_markdown
    from nncalc.render.exercise import question_doc, solution_doc

    with reported():
        if format is None and output is not None and output.suffix.lower() == ".tex":
            format = "latex"
        fmt = choose_format(format, FORMATS_OUT)
        try:
            n = ex.parse_sizes(sizes)
            names = ex.parse_activations(activations, len(n) - 1)
        except InputError as e:  # the library says "sizes", "activations": add the flag's dashes
            e.message = f"--{e.message}"
            raise
        for flag, given in (("--loss", loss is not None), ("--lr", lr is not None)):
            if given and not backward:
                raise InputError(f"{flag} belongs to a backward exercise: give --backward too")
        if loss is not None:
            check_loss(loss)
        rate = learning_rate(lr) if lr is not None else None
        if output is not None and spec is not None and output.resolve() == spec.resolve():
            raise InputError("--output and --spec name the same file")
        exercises = ex.generate(
            n, names, seed=seed, count=count, all_fire=all_fire, loss=(loss or "default") if backward else None, lr=rate
        )
        made_by = " ".join(
            [
                "nncalc exercise",
                f"--sizes {','.join(map(str, n))}",
                f"--activations {','.join(names)}",
                *(["--backward"] if backward else []),
                *([f"--loss {loss}"] if loss is not None else []),
                *([f"--lr {lr.strip()}"] if lr is not None else []),
                f"--seed {seed}",
                *([f"--count {count}"] if count > 1 else []),
                *(["--all-fire"] if all_fire else []),
            ]
        )
        doc = solution_doc(exercises, made_by, rate) if solution else question_doc(exercises, rate)
        text = to_markdown(doc) if fmt == "markdown" else to_latex(doc)
        if spec is not None:
            from nncalc.spec import to_yaml

            first = exercises[0]
            check = f"nncalc {'backward' if backward else 'forward'} {spec.name}"
            if loss is not None:
                check += f" --loss {first.loss}"
            if lr is not None:
                check += f" --lr {lr.strip()}"
            note = f"Exercise 1 of: {made_by}\nCheck it with: {check}" + ("" if first.exact else f" --precision {first.precision}")
            _write(spec, to_yaml(first.net, comment=note))
        if output is not None:
            _write(output, text)
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
    for path in (p for p in (output, spec) if p is not None):
        from nncalc.render.escape import charset

        typer.echo(charset(sys.stderr).name(f"wrote {path}"), err=True)


def _write(path: Path, text: str) -> None:
    """UTF-8, whatever the locale (the LaTeX declares utf8; Markdown is read as UTF-8)."""
    try:
        path.write_bytes(text.encode("utf-8"))
    except OSError as e:
        raise NncalcError(f"cannot write the file: {e.strerror or e}", source=str(path)) from None
