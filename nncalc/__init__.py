"""nncalc: a calculator for neural-network forward passes, worked out step by step.

The library behind the ``nncalc`` command. Everything here is also what the command
line uses::

    >>> import nncalc
    >>> net = nncalc.load("two-layer")          # a path, or a bundled example's name
    >>> net.forward([1, 2]).output.tolist()
    [[0.28]]
    >>> net.predict([[1, 2], [0, 0]]).round(12).tolist()
    [[0.28], [0.17]]
    >>> nncalc.from_arrays([{"weights": [[0.5, -0.2, 0.8]], "bias": [0.1], "activation": "relu"}])
    <Network <arrays>: 3 → 1, relu, 4 parameters>

Importing nncalc is light: NumPy, YAML and the renderers load when first needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

from nncalc.errors import ComputeError, InputError, NncalcError, SpecError

if TYPE_CHECKING:
    from pathlib import Path

    from nncalc.collapsing import Result as CollapseResult
    from nncalc.engine import LayerTrace, Trace
    from nncalc.network import Layer, Network
    from nncalc.stats import Stats

__version__ = "0.1.0"

__all__ = [
    "ComputeError",
    "InputError",
    "Layer",
    "LayerTrace",
    "Network",
    "NncalcError",
    "SpecError",
    "Stats",
    "Trace",
    "__version__",
    "activations",
    "collapse",
    "examples",
    "from_arrays",
    "load",
    "loads",
]


def load(
    source: str | Path,
    *,
    activations: str | Sequence[Any] | None = None,
    allow_outside: bool = False,
) -> Network:
    """A network from a spec file (YAML or JSON), a model file (ONNX, safetensors, Keras
    ``.keras``, a PyTorch state dict), a bundled example's name, or ``-`` (standard input).

    The kind of file comes from its suffix, else from its first bytes. ``activations``
    names the activations of a weights-only file (safetensors, a state dict), one per
    layer: ``"relu,relu,softmax"``, or a list of names and mappings such as
    ``{"name": "leaky_relu", "alpha": 0.1}``; without it every layer of such a file is
    linear. Weight files a spec names, and an ONNX model's external data, are read from
    the file's folder; ``allow_outside`` lets them come from anywhere. Raises
    :class:`SpecError` (with file, line and column, or the node or tensor at fault).
    """
    from nncalc.importers import detect

    if detect(source) is not None:
        from nncalc.importers import load_model

        return load_model(source, activations=activations, allow_outside=allow_outside)
    if activations is not None:
        e = SpecError(
            "a spec names its own activations; activations are given only for weights-only "
            "model files (safetensors, PyTorch state dicts)",
            source=str(source),
        )
        e.hint = "activations_option"
        raise e
    from nncalc.spec import load_spec

    return load_spec(str(source), allow_outside=allow_outside)


def loads(text: str, *, source: str = "<string>", base: str | Path | None = None) -> Network:
    """A network from spec text. Weight files are read relative to ``base`` (default:
    the current folder), and only from inside it.

    >>> loads("layers: [{weights: [[1, 2]], activation: relu}]").sizes
    (2, 1)
    """
    from pathlib import Path

    from nncalc.spec import parse_spec

    if not isinstance(text, str):
        raise SpecError(f"expected the spec's text as a str, got {type(text).__name__}", source=source)
    return parse_spec(text, source, base=Path(base) if base is not None else None)


def from_arrays(
    layers: Sequence[Mapping[str, Any]],
    *,
    name: str | None = None,
    description: str | None = None,
    input: Any = None,
) -> Network:
    """A network from arrays, with the same checks as a spec file.

    Each layer is a mapping with ``weights`` (one row per unit), and optionally ``bias``,
    ``activation`` (a name, or a mapping such as ``{"name": "leaky_relu", "alpha": 0.1}``)
    and ``name``.

    >>> import numpy as np
    >>> net = from_arrays([
    ...     {"weights": np.array([[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]]), "bias": [0.1, -0.2, 0], "activation": "relu", "name": "hidden"},
    ...     {"weights": [[0.7, -0.3, 0.5]], "bias": [0.1]},
    ... ])
    >>> net.forward([1, 2]).output.tolist()
    [[0.28]]
    >>> from_arrays([{"weights": [[1, 2]]}, {"weights": [[1, 2, 3]]}])
    Traceback (most recent call last):
    ...
    nncalc.errors.SpecError: <arrays>: layer 'layer2': weights have 3 columns, but layer 'layer1' has 1 unit; expected one column per unit of the layer before
    """
    from nncalc.network import build_network

    return build_network(layers, name=name, description=description, input=input)


def collapse(net: Network, x: Any = None, *, seed: int = 0) -> CollapseResult:
    """What ``nncalc collapse`` computes: runs of linear layers merged (``W' = W2·W1``),
    both paths checked on ``x``, and a witness when the network is not linear."""
    from nncalc.collapsing import analyse

    return analyse(net, x, seed=seed)


def examples() -> list[str]:
    """The names of the bundled example networks.

    >>> examples()
    ['linear-stack', 'neuron', 'two-layer']
    """
    from nncalc.spec import example_names

    return example_names()


_LAZY = {
    "Network": ("nncalc.network", "Network"),
    "Layer": ("nncalc.network", "Layer"),
    "Trace": ("nncalc.engine", "Trace"),
    "LayerTrace": ("nncalc.engine", "LayerTrace"),
    "Stats": ("nncalc.stats", "Stats"),
}


def __getattr__(name: str) -> Any:
    # Heavy parts load on first use, so `import nncalc` (and the CLI's --help) stays fast.
    if name == "activations":
        import importlib

        return importlib.import_module("nncalc.activations")
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'nncalc' has no attribute '{name}'")
