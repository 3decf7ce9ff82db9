"""Records for ``--json``: plain dicts of Python floats, dumped one per line.

Floats keep full precision (Python's shortest round-trip repr); NaN and infinities
never reach here (the engine refuses them), and ``allow_nan=False`` makes sure.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from nncalc.engine import Trace
from nncalc.network import Layer, Network


def dumps(record: Any) -> str:
    return json.dumps(record, allow_nan=False, ensure_ascii=False)


def _activation(layer: Layer) -> dict[str, Any]:
    out: dict[str, Any] = {"activation": layer.activation.name}
    if layer.activation.params:
        out["params"] = layer.activation.kwargs
    return out


def trace_records(net: Network, trace: Trace) -> Iterator[dict[str, Any]]:
    """One record per input: ``input``, each layer's ``z`` and ``a``, and ``output``."""
    for i in range(len(trace.x)):
        yield {
            "input": trace.x[i].tolist(),
            "layers": [
                {"name": layer.name, **_activation(layer), "z": lt.z[i].tolist(), "a": lt.a[i].tolist()}
                for layer, lt in zip(net.layers, trace.layers)
            ],
            "output": trace.output[i].tolist(),
        }


def summary_record(net: Network) -> dict[str, Any]:
    """What ``validate --json`` prints: the network's shape and parameter counts."""
    return {
        "name": net.name,
        "source": net.source,
        "inputs": net.nin,
        "outputs": net.nout,
        "layers": [
            {
                "name": layer.name,
                **_activation(layer),
                "inputs": layer.nin,
                "units": layer.nout,
                "parameters": layer.n_params,
            }
            for layer in net.layers
        ],
        "parameters": net.n_params,
        "input": net.input.tolist() if net.input is not None else None,
    }
