"""Records for ``--json``: plain dicts of Python floats, dumped one per line.

Floats keep full precision (Python's shortest round-trip repr); NaN and infinities
never reach here (the engine refuses them), and ``allow_nan=False`` makes sure.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from nncalc.network import Layer, Network

if TYPE_CHECKING:
    from nncalc.activations import ActivationDef, Saturation
    from nncalc.collapsing import Check, Collapse, WitnessSearch
    from nncalc.engine import Trace


def dumps(record: Any) -> str:
    return json.dumps(record, allow_nan=False, ensure_ascii=False)


def _activation(layer: Layer) -> dict[str, Any]:
    out: dict[str, Any] = {"activation": layer.activation.name}
    if layer.activation.params:
        out["params"] = layer.activation.kwargs
    return out


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
                "weights_from": layer.weights_from,
                "bias_from": layer.bias_from,
            }
            for layer in net.layers
        ],
        "parameters": net.n_params,
        "input": net.input.tolist() if net.input is not None else None,
    }


def collapse_record(c: Collapse, chk: Check, search: WitnessSearch | None) -> dict[str, Any]:
    """What ``collapse --json`` prints (keys documented in the README)."""
    record: dict[str, Any] = {
        "collapsible": c.collapsible,
        "layers_before": len(c.original.layers),
        "layers_after": len(c.reduced.layers),
    }
    if c.collapsible:
        (layer,) = c.reduced.layers
        record["weights"] = layer.W.tolist()
        record["bias"] = layer.b.tolist()
    else:
        record["blocking"] = list(c.blocking)
        w = search.witness if search else None
        record["witness"] = (
            {
                "x1": w.x1.tolist(),
                "x2": w.x2.tolist(),
                "midpoint_output": w.midpoint_output.tolist(),
                "average_output": w.average_output.tolist(),
            }
            if w
            else None
        )
        if search is not None:
            record["search"] = {"pairs_tried": search.pairs_tried, "scales": list(search.scales)}
    record["merged"] = [
        [c.original.layers[k].name for k in group] for group in c.groups if len(group) > 1
    ]
    record["check"] = {
        "input": chk.input.tolist(),
        "layered": chk.layered.tolist(),
        "collapsed": chk.collapsed.tolist(),
        "max_abs_diff": chk.max_abs_diff,
    }
    return record


def activations_record(
    rows: Sequence[tuple[ActivationDef, Saturation]],
    at: tuple[np.ndarray, Sequence[tuple[np.ndarray, np.ndarray]]] | None = None,
) -> dict[str, Any]:
    """What ``activations --json`` prints: one document (keys documented in the README)."""
    out = []
    for k, (d, s) in enumerate(rows):
        record: dict[str, Any] = {
            "name": d.name,
            "aliases": list(d.aliases),
            "pytorch": d.pytorch,
            "formula": d.formula,
            "output_range": d.output_range,
            "gradient_at_saturation": {"negative": s.negative, "positive": s.positive},
            "typical_use": d.typical_use,
            "known_problem": d.known_problem,
            "params": dict(d.params),
            "elementwise": d.elementwise,
            "notes": d.notes or None,
        }
        if at is not None:
            points, values = at
            v, g = values[k]
            record["at"] = [
                {"z": float(z), "value": float(a), "derivative": float(b)} for z, a, b in zip(points, v, g)
            ]
        out.append(record)
    return {"activations": out} if at is None else {"points": at[0].tolist(), "activations": out}


# ------------------------------------------------------------------- streamed batches
#
# Python's float repr is the shortest text that reads back to the same float; mapping it
# over a whole column and joining in C is the fastest way found to print it
# (benchmarks/end_to_end.py measures the whole path).


def csv_header(net: Network) -> str:
    """``output_1,output_2``: the last layer's name and unit numbers."""
    name = net.layers[-1].name
    return ",".join(f"{name}_{j + 1}" for j in range(net.nout)) + "\n"


def csv_rows(values: np.ndarray) -> str:
    """One line per row, values separated by commas, each at full round-trip precision.

    >>> csv_rows(np.array([[0.28, -1.0], [1e-20, 3.0]]))
    '0.28,-1.0\\n1e-20,3.0\\n'
    """
    columns = [map(repr, c) for c in values.T.tolist()]
    lines = columns[0] if len(columns) == 1 else map(",".join, zip(*columns))
    return "\n".join(lines) + "\n"


def _row_texts(values: np.ndarray) -> Iterator[str]:
    """Each row as its JSON numbers, ``1.0, 0.28``, built a column at a time."""
    return map(", ".join, zip(*[map(repr, c) for c in values.T.tolist()]))


def trace_lines(net: Network, trace: Trace) -> str:
    """One JSON object per input: ``{"input", "layers": [{"name", "activation", "params"?,
    "z", "a"}], "output"}`` (the README's public keys), the same bytes as ``dumps`` of
    each record, but written a column at a time, which is much faster on long batches."""
    pieces = ['{"input": [%s], "layers": [']
    for k, layer in enumerate(net.layers):
        head = dumps({"name": layer.name, **_activation(layer)})[:-1].replace("%", "%%")
        pieces.append(("" if k == 0 else ", ") + head + ', "z": [%s], "a": [%s]}')
    pieces.append('], "output": [%s]}\n')
    template = "".join(pieces)
    columns = [_row_texts(trace.x)]
    for lt in trace.layers:
        columns += [_row_texts(lt.z), _row_texts(lt.a)]
    columns.append(_row_texts(trace.output))
    return "".join(template % cells for cells in zip(*columns))


def outputs_only_lines(x: np.ndarray, y: np.ndarray) -> str:
    """``{"input": [...], "output": [...]}`` per row, as ``dumps`` would write them.

    >>> outputs_only_lines(np.array([[1.0, 2.0]]), np.array([[0.28]]))
    '{"input": [1.0, 2.0], "output": [0.28]}\\n'
    """
    return "".join(f'{{"input": [{a}], "output": [{b}]}}\n' for a, b in zip(_row_texts(x), _row_texts(y)))
