"""``nncalc convert``: a model file (or any spec) as an editable spec."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from nncalc.cli.common import (
    ActivationsOption,
    AllowOutsideOption,
    SpecArgument,
    command,
    load_network,
    refuse_overwriting,
    reported,
    weights_only_note,
    write_file,
)


@command(
    "nncalc convert model.onnx -o net.yaml",
    "nncalc convert model.keras -o net.yaml            # big arrays go to net.npz beside it",
    "nncalc convert model.safetensors --activations relu,relu,softmax -o net.yaml",
    "nncalc convert model.onnx --inline-limit 0 -o net.yaml   # every array in net.npz",
)
def convert(
    spec: SpecArgument,
    output: Annotated[
        Optional[Path],
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the spec to FILE, and arrays too big to write inline to an .npz file beside it (default: standard output, everything inline).",
            show_default=False,
        ),
    ] = None,
    inline_limit: Annotated[
        Optional[int],
        typer.Option(
            "--inline-limit",
            min=0,
            metavar="N",
            help="Arrays of more than N values go to the .npz file (default: 1024 with -o).",
            show_default=False,
        ),
    ] = None,
    allow_outside_paths: AllowOutsideOption = False,
    activations: ActivationsOption = None,
) -> None:
    """Write a model file (ONNX, safetensors, Keras, a PyTorch state dict) as an editable
    spec that nncalc forward reproduces bit for bit.
    """
    from dataclasses import replace

    from nncalc.errors import InputError
    from nncalc.importers import detect
    from nncalc.importers.convert import INLINE_LIMIT, spec_text

    with reported():
        to_stdout = output is None or str(output) == "-"
        if not to_stdout and output.suffix.lower() == ".npz":  # type: ignore[union-attr]
            raise InputError(f"-o {output}: the spec is YAML text; name it like net.yaml (its arrays go to net.npz)")
        net = load_network(spec, allow_outside_paths, activations)
        comment = f"Converted by nncalc convert from {spec}"
        if detect(spec) is not None:
            # The importer's line about the file belongs to the conversion, not the spec.
            if net.description:
                comment += f":\n{net.description}"
            net = replace(net, description=None)
        comment += "."
        limit = INLINE_LIMIT if inline_limit is None else inline_limit
        if to_stdout:
            text, arrays = spec_text(net, comment, None)
            big = [layer.name for layer in net.layers if layer.W.size > limit]
            if inline_limit is not None and big:
                raise InputError(
                    f"--inline-limit {limit} moves the weights of {len(big)} layer(s) to an .npz "
                    "file, which needs a spec file beside it: give -o FILE"
                )
        else:
            npz = output.with_suffix(".npz")  # type: ignore[union-attr]
            refuse_overwriting(output, spec)  # type: ignore[arg-type]
            refuse_overwriting(npz, spec)
            text, arrays = spec_text(net, comment, npz.name, limit)
            if arrays:
                _write_arrays(npz, arrays)
            write_file(output, text)  # type: ignore[arg-type]
    if to_stdout:
        sys.stdout.write(text)
    else:
        also = f" and {output.with_suffix('.npz')} ({len(arrays)} arrays)" if arrays else ""  # type: ignore[union-attr]
        typer.echo(f"wrote {output}{also}: {len(net.layers)} layer(s)", err=True)
    weights_only_note(spec, net, activations)


def _write_arrays(path: Path, arrays: dict) -> None:  # type: ignore[type-arg]
    import numpy as np

    from nncalc.errors import NncalcError

    try:
        with path.open("wb") as f:
            np.savez(f, **arrays)
    except OSError as e:
        raise NncalcError(f"cannot write the file: {e.strerror}", source=str(path)) from None
