"""``nncalc backward``: the loss, every δ and gradient, and gradient-descent steps."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, List, Optional

import typer

from nncalc.cli.common import (
    ActivationsOption,
    AllowOutsideOption,
    InputOption,
    PrecisionOption,
    SpecArgument,
    check_loss,
    choose_format,
    command,
    format_option,
    inputs,
    json_option,
    learning_rate,
    load_network,
    reported,
    rich_console,
    write_document,
    write_file,
    write_json,
)
from nncalc.errors import InputError
from nncalc.errors import plural as _plural

if TYPE_CHECKING:
    import numpy as np

    from nncalc.network import Network

FORMATS_OUT = ("table", "json", "markdown", "latex")
MAX_STEPS = 1_000_000


@command(
    "nncalc backward two-layer --target 1",
    "nncalc backward net.yaml --input 0.05,0.1 --target 0.01,0.99 --loss half-sse --lr 0.5",
    "nncalc backward net.yaml -i 0.05,0.1 -t 0.01,0.99 --lr 0.5 --write updated.yaml",
    "nncalc backward net.yaml -i 1,2 -t 0 -i 3,4 -t 1 --loss bce --json",
    "nncalc backward net.yaml -i 1,2 --target-class 2 --loss cross-entropy --check",
    "nncalc backward net.yaml -i 0.05,0.1 -t 0.01,0.99 --lr 0.5 --steps 100",
    "nncalc backward net.yaml -i 0.05,0.1 -t 0.01,0.99 --format markdown > worked.md",
)
def backward(
    spec: SpecArgument,
    input: InputOption = None,
    target: Annotated[
        Optional[List[str]],
        typer.Option(
            "--target",
            "-t",
            metavar="VECTOR",
            help="The expected output of each input, one value per output unit (overrides the spec's target). Repeat, one per --input.",
            show_default=False,
        ),
    ] = None,
    target_class: Annotated[
        Optional[List[str]],
        typer.Option(
            "--target-class",
            metavar="K",
            help="The class of each input, numbered from 1 (a one-hot target). Repeat, one per --input.",
            show_default=False,
        ),
    ] = None,
    loss: Annotated[
        Optional[str],
        typer.Option(
            metavar="NAME",
            help="mse, half-sse, bce, cross-entropy or nll (default: cross-entropy after softmax, nll after log_softmax, else half-sse).",
            show_default=False,
        ),
    ] = None,
    lr: Annotated[
        Optional[str],
        typer.Option("--lr", metavar="RATE", help="Take a step of gradient descent with this learning rate.", show_default=False),
    ] = None,
    steps: Annotated[
        Optional[int],
        typer.Option(min=1, max=MAX_STEPS, metavar="N", help="With --lr: take N steps and show the loss after each.", show_default=False),
    ] = None,
    write: Annotated[
        Optional[Path],
        typer.Option(
            "--write",
            "-w",
            metavar="FILE",
            help="With --lr: write the network after the step(s) as a spec, every number at full precision.",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Check every gradient against central differences.")
    ] = False,
    brief: Annotated[bool, typer.Option("--brief", help="Show the forward pass compactly: z and a of each layer.")] = False,
    format: format_option(FORMATS_OUT) = None,
    json: json_option("Print one JSON object: the loss and each layer's delta and gradients.") = False,
    precision: PrecisionOption = 10,
    all_units: Annotated[
        bool, typer.Option("--all", help="Show every unit and value of large layers (over 32 are shortened).")
    ] = False,
    allow_outside_paths: AllowOutsideOption = False,
    activations: ActivationsOption = None,
) -> None:
    """Run the backward pass: the loss, then every ∂L/∂a, σ'(z), δ and gradient, layer by layer.

    Targets come from --target (or --target-class), or the spec's own target. With
    --lr, one step of gradient descent (or --steps N of them), and the loss after.
    Tables and worked examples (--format markdown or latex) show the first few inputs
    of a batch; --json holds every number at full precision.
    """
    from nncalc import backward as engine
    from nncalc import losses
    from nncalc.render import backward as view

    with reported():
        fmt = choose_format(format, FORMATS_OUT, json=json)
        if loss is not None:
            check_loss(loss)
        rate = learning_rate(lr) if lr is not None else None
        for flag, given in (("--steps", steps is not None), ("--write", write is not None)):
            if given and rate is None:
                raise InputError(f"{flag} needs a learning rate: give --lr too, like --lr 0.1")
        if target and target_class:
            raise InputError("give the targets as --target or as --target-class, not both")
        net = load_network(spec, allow_outside_paths, activations)
        x = inputs(net, input)
        name = loss or losses.default_for(net.layers[-1].activation)
        losses.check_layer(losses.get(name), net.layers[-1])
        t, classes = _targets(net, target, target_class)
        count = len(classes) if classes is not None else len(t)
        if count != len(x):
            raise InputError(
                f"{_plural(len(x), 'input')} but {_plural(count, 'target')}; give one target per input"
                + (" (--input and --target pair up in order)" if input or target or target_class else "")
            )
        import numpy

        with numpy.errstate(all="ignore"):  # an overflow is reported as an error, not warned about
            if classes is not None:
                grads = engine.backward(net, x, loss=name, classes=classes)
            else:
                grads = engine.backward(net, x, t, name)
        training = None
        if rate is not None:
            training = engine.train(net, x, grads.target, name, rate, steps or 1, first=grads)
        result = engine.gradient_check(net, x, grads.target, name, grads) if check else None
        # The JSON record needs none of the worked terms, so it skips building them.
        model = None if fmt == "json" else view.build(net, grads, show_all=all_units, lr=rate, training=training, check=result)
        if write is not None and training is not None:
            write_file(write, _spec_text(training.net, x, grads.target, net, name, rate, steps or 1), reads=_read_files(spec, net))
    if fmt == "json":
        write_json(view.record_of(net, grads, training, result))
    elif fmt == "table":
        view.print_tables(rich_console(), model, precision=precision, brief=brief, show_all=all_units)
    else:
        write_document(view.document(model, precision, brief=brief, show_all=all_units), fmt)
    if write is not None:
        typer.echo(f"wrote {write}: the network after {_plural(steps or 1, 'step')}", err=True)
    if result is not None and not result.passed:
        verdict = view.check_sentences(net, grads, result)[0]
        typer.secho("error: ", fg="red", bold=True, err=True, nl=False)
        typer.echo(" ".join(view.text(verdict, precision).split()), err=True)
        raise typer.Exit(1)




def _targets(net: Network, given: list[str] | None, classes: list[str] | None) -> tuple[np.ndarray | None, list[int] | None]:
    """The --target vectors, or the --target-class numbers, or the spec's target."""
    import numpy as np

    if classes:
        out = []
        for text in classes:
            s = text.strip()
            if not (s.isascii() and s.isdigit()):
                raise InputError(f"--target-class '{text}': expected a class number from 1 to {net.nout}")
            k = int(s)
            if not 1 <= k <= net.nout:
                last = net.layers[-1]
                raise InputError(
                    f"--target-class {k} is out of range: the output layer '{last.name}' has "
                    f"{_plural(net.nout, 'unit')}, so classes are numbered 1 to {net.nout}"
                )
            out.append(k)
        return None, out
    if given:
        from nncalc.files import shown
        from nncalc.inputs import parse_vector

        rows = [parse_vector(text, net, what=f"--target {shown(text)}", output=True) for text in given]
        return np.array(rows, dtype=np.float64), None
    if net.target is not None:
        return net.target, None
    example = ",".join(["0"] * net.nout)
    raise InputError(
        f"no target given: pass --target with {_plural(net.nout, 'number')} (like --target {example}), "
        "or --target-class, or add 'target:' to the spec",
        source=net.source,
    )


def _spec_text(new: Network, x: np.ndarray, t: np.ndarray, old: Network, loss: str, lr: float, steps: int) -> str:
    """The updated network as a spec, with the inputs and targets it was trained on."""
    from dataclasses import replace

    from nncalc.network import frozen
    from nncalc.render.numbers import fmt
    from nncalc.spec import to_yaml

    how = "one step" if steps == 1 else f"{steps:,} steps"
    note = (
        f"Updated by nncalc backward from {old.source}: {how} of gradient descent, learning rate "
        f"{fmt(lr)}, loss {loss}, on {_plural(len(x), 'input')}."
    )
    return to_yaml(replace(new, input=frozen(x), target=frozen(t), exact_input=None), comment=note)


def _read_files(spec: str, net: Network) -> tuple[str, ...]:
    """The spec and the weight files it names (as the spec wrote them, beside it)."""
    from pathlib import Path

    base = Path(spec).parent
    names = {label.split("[")[0] for layer in net.layers for label in (layer.weights_from, layer.bias_from) if label}
    return (spec, *(str(base / n) for n in sorted(names)))
