"""A network as an editable spec: what ``nncalc convert`` writes.

Small arrays are written inline, as :func:`nncalc.spec.to_yaml` writes them (shortest
round-trip reprs, so they read back bit for bit); arrays of more than ``inline_limit``
values go to an ``.npz`` file beside the spec (float64, so they read back bit for bit
too), named in the spec like any weight file: ``{file: net.npz, key: fc1.weights}``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from nncalc.network import Network

INLINE_LIMIT = 1024  # values of an array written inline (a 32 × 32 matrix)

_SAFE_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


def spec_text(
    net: Network, comment: str | None = None, arrays_file: str | None = None, inline_limit: int = INLINE_LIMIT
) -> tuple[str, dict[str, np.ndarray]]:
    """The spec of ``net``, and the arrays that go to ``arrays_file`` (empty when every
    array is inline). Without ``arrays_file`` everything is inline.

    >>> import nncalc
    >>> text, arrays = spec_text(nncalc.load("two-layer"), arrays_file="net.npz", inline_limit=4)
    >>> sorted(arrays), "{file: \\"net.npz\\", key: \\"hidden.weights\\"}" in text
    (['hidden.weights'], True)
    """
    from nncalc.spec import to_yaml

    big = [arrays_file is not None and layer.W.size > inline_limit for layer in net.layers]
    big_bias = [arrays_file is not None and layer.has_bias and layer.b.size > inline_limit for layer in net.layers]
    if not any(big) and not any(big_bias):
        return to_yaml(net, comment=comment), {}

    def row(values: np.ndarray) -> str:
        return "[" + ", ".join(repr(float(v)) for v in values) + "]"

    arrays: dict[str, np.ndarray] = {}
    used: set[str] = set()

    def key_for(i: int, name: str, part: str) -> str:
        stem = name if _SAFE_KEY.fullmatch(name) else f"layer{i}"
        key = f"{stem}.{part}"
        while key in used:
            stem += "_"
            key = f"{stem}.{part}"
        used.add(key)
        return key

    file_text = json.dumps(arrays_file)
    out = [f"# {line}".rstrip() for line in (comment or "").splitlines()]
    if net.name is not None:
        out.append(f"name: {json.dumps(net.name)}")
    if net.description is not None:
        out.append(f"description: {json.dumps(net.description)}")
    if net.input is not None:
        inputs = net.input
        out.append(f"input: {row(inputs[0]) if len(inputs) == 1 else '[' + ', '.join(map(row, inputs)) + ']'}")
    out.append("layers:")
    for i, layer in enumerate(net.layers, 1):
        act = layer.activation
        act_text = f"{{name: {act.name}, {', '.join(f'{k}: {v!r}' for k, v in act.params)}}}" if act.params else act.name
        shape = f"{layer.nout} unit{'s' if layer.nout != 1 else ''} × {layer.nin} input{'s' if layer.nin != 1 else ''}"
        out += [f"  - name: {json.dumps(layer.name)}", f"    activation: {act_text}"]
        if big[i - 1]:
            key = key_for(i, layer.name, "weights")
            arrays[key] = np.ascontiguousarray(layer.W, dtype=np.float64)
            out.append(f"    weights: {{file: {file_text}, key: {json.dumps(key)}}}  # {shape}")
        else:
            out.append(f"    weights:  # {shape}, one row per unit")
            out += [f"      - {row(w)}" for w in layer.W]
        if big_bias[i - 1]:
            key = key_for(i, layer.name, "bias")
            arrays[key] = np.ascontiguousarray(layer.b, dtype=np.float64)
            out.append(f"    bias: {{file: {file_text}, key: {json.dumps(key)}}}")
        elif layer.has_bias:
            out.append(f"    bias: {row(layer.b)}")
    return "\n".join(out) + "\n", arrays
