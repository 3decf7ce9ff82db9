"""Weights for new networks, drawn by the initialisers deep-learning libraries use.

- ``he``: normal, standard deviation sqrt(2 / inputs) (He et al., 2015; for ReLU layers);
- ``xavier``: normal, standard deviation sqrt(2 / (inputs + units)) (Glorot and Bengio, 2010);
- ``uniform``: uniform on ±1/sqrt(inputs), biases too (PyTorch's nn.Linear default);
- ``zeros``: every weight and bias 0 (a network that cannot learn: for teaching why).

Biases are zero except with ``uniform``.
"""

from __future__ import annotations

import math

import numpy as np

INITIALIZERS = ("he", "xavier", "uniform", "zeros")
RELU_LIKE = ("relu", "leaky_relu")  # layers whose default initialiser is He's


def default_for(activation: str) -> str:
    """He for ReLU layers, Xavier for the rest."""
    return "he" if activation in RELU_LIKE else "xavier"


def initialize(
    sizes: list[int], init: str, seed: int | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) for each pair of consecutive sizes, W with one row per unit.

    >>> [W.shape for W, b in initialize([2, 3, 1], "he", seed=0)]
    [(3, 2), (1, 3)]
    """
    rng = np.random.default_rng(seed)
    layers = []
    for nin, nout in zip(sizes, sizes[1:]):
        b = np.zeros(nout)
        if init == "he":
            W = rng.normal(0.0, math.sqrt(2.0 / nin), (nout, nin))
        elif init == "xavier":
            W = rng.normal(0.0, math.sqrt(2.0 / (nin + nout)), (nout, nin))
        elif init == "uniform":
            bound = 1.0 / math.sqrt(nin)
            W = rng.uniform(-bound, bound, (nout, nin))
            b = rng.uniform(-bound, bound, nout)
        elif init == "zeros":
            W = np.zeros((nout, nin))
        else:
            raise ValueError(f"unknown initialiser {init!r}")
        layers.append((W, b))
    return layers


MAX_PARAMETERS = 1_000_000  # larger networks belong in weight files, not YAML

_HOW = {
    "he": "He-normal weights (standard deviation sqrt(2 / inputs)), zero biases",
    "xavier": "Xavier-normal weights (standard deviation sqrt(2 / (inputs + units))), zero biases",
    "uniform": "weights and biases uniform on ±1/sqrt(inputs), as PyTorch's nn.Linear",
    "zeros": "all weights and biases 0",
}


def parse_sizes(text: str) -> list[int]:
    """``"2,3,1"`` -> [2, 3, 1]: whole numbers (ASCII digits), at least two of them.

    >>> parse_sizes("784, 128,10")
    [784, 128, 10]
    """
    from nncalc.errors import InputError

    sizes = []
    for part in text.split(","):
        part = part.strip()
        if not (part.isascii() and part.isdigit()) or int(part) < 1 or len(part) > 9:
            raise InputError(f"sizes '{text}': '{part}' is not a whole number of units from 1 to 999,999,999")
        sizes.append(int(part))
    if len(sizes) < 2:
        raise InputError(f"sizes '{text}': give at least two sizes, inputs and outputs, like 2,3,1")
    return sizes


def build(
    sizes: list[int],
    hidden: str = "relu",
    output: str = "linear",
    method: str | None = None,
    seed: int | None = None,
    digits: int = 4,
):  # type: ignore[no-untyped-def]
    """A new network of these sizes, its weights drawn by ``method`` (default: He for
    ReLU hidden layers, else Xavier) and rounded to ``digits`` significant digits.

    >>> net = build([2, 3, 1], seed=0)
    >>> net.sizes, [layer.name for layer in net.layers], net.layers[0].activation.name
    ((2, 3, 1), ['hidden', 'output'], 'relu')
    """
    from nncalc.errors import InputError, did_you_mean
    from nncalc.network import build_network, round_significant

    method = method or default_for(hidden)
    if method not in INITIALIZERS:
        suggest = did_you_mean(method.lower(), INITIALIZERS)
        raise InputError(f"unknown initialiser '{method}'; {suggest}expected one of {', '.join(INITIALIZERS)}")
    count = sum(i * o + o for i, o in zip(sizes, sizes[1:]))
    if count > MAX_PARAMETERS:
        raise InputError(
            f"{','.join(map(str, sizes))} has {count:,} parameters; at most {MAX_PARAMETERS:,} are written "
            "into YAML (save larger weights as .npy files and name them in the spec)"
        )
    n_hidden = len(sizes) - 2
    layers = []
    for k, (W, b) in enumerate(initialize(sizes, method, seed), 1):
        last = k == len(sizes) - 1
        layers.append(
            {
                "name": "output" if last else ("hidden" if n_hidden == 1 else f"hidden{k}"),
                "weights": round_significant(W, digits),
                "bias": round_significant(b, digits),
                "activation": output if last else hidden,
            }
        )
    name = f"{'-'.join(map(str, sizes))} network"
    return build_network(layers, name=name, input=np.ones((1, sizes[0])), source="<init>")


def describe(sizes: list[int], method: str, seed: int | None) -> str:
    """The comment at the top of a spec written by ``nncalc init``."""
    return (
        f"A {'-'.join(map(str, sizes))} network written by nncalc init: {_HOW[method]}"
        f"{f', seed {seed}' if seed is not None else ''}.\n"
        "The input below is a placeholder: change it, or run with --input.\n"
        "Check it with `nncalc validate FILE`; run it with `nncalc forward FILE`."
    )
