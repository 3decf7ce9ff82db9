"""Records for ``--json``: plain dicts of Python floats, dumped one per line.

Floats keep full precision (Python's shortest round-trip repr); NaN and infinities
never reach here (the engine refuses them), and ``allow_nan=False`` makes sure.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from nncalc.network import Layer, Network
from nncalc.render.escape import charset, encodes, stream_encoding
from nncalc.render.numbers import not_finite

if TYPE_CHECKING:
    from nncalc.activations import ActivationDef, Saturation
    from nncalc.collapsing import Check, Collapse, WitnessSearch
    from nncalc.engine import Trace


def dumps(record: Any) -> str:
    """One JSON document: UTF-8 text as written, or ``\\u`` escapes where standard output
    cannot encode it (a C locale, ``PYTHONIOENCODING=latin-1``): the same JSON either way.
    """
    text = json.dumps(record, allow_nan=False, ensure_ascii=False)
    if text.isascii() or encodes(stream_encoding(sys.stdout), text):
        return text
    return json.dumps(record, allow_nan=False)


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


def _number(record: dict[str, Any], key: str, x: float) -> None:
    """``record[key] = x``; if float64 could not hold it, null and ``record[key + "_reason"]``."""
    reason = not_finite(x)
    record[key] = None if reason else float(x)
    if reason:
        record[f"{key}_reason"] = reason


def activations_record(
    rows: Sequence[tuple[ActivationDef, Saturation]],
    at: tuple[np.ndarray, Sequence[tuple[np.ndarray, np.ndarray]]] | None = None,
) -> dict[str, Any]:
    """What ``activations --json`` prints: one document (keys documented in the README).

    JSON never holds NaN or Infinity. Where float64 overflowed (``--at 1e308``), a value is
    ``null`` and a key beside it says why: ``"derivative": null, "derivative_reason":
    "undefined (overflow)"`` (NaN: a step on the way overflowed), or ``"overflow (>
    1.8e308)"`` (the value itself is beyond float64). The same holds in
    ``gradient_at_saturation`` (``negative_reason``, ``positive_reason``).
    """
    out = []
    for k, (d, s) in enumerate(rows):
        saturation: dict[str, Any] = {}
        _number(saturation, "negative", s.negative)
        _number(saturation, "positive", s.positive)
        record: dict[str, Any] = {
            "name": d.name,
            "aliases": list(d.aliases),
            "pytorch": d.pytorch,
            "formula": d.formula,
            "output_range": d.output_range,
            "gradient_at_saturation": saturation,
            "typical_use": d.typical_use,
            "known_problem": d.known_problem,
            "params": dict(d.params),
            "elementwise": d.elementwise,
            "notes": d.notes or None,
        }
        if at is not None:
            points, values = at
            v, g = values[k]
            record["at"] = []
            for z, a, b in zip(points, v, g):
                point: dict[str, Any] = {"z": float(z)}
                _number(point, "value", a)
                _number(point, "derivative", b)
                record["at"].append(point)
        out.append(record)
    return {"activations": out} if at is None else {"points": at[0].tolist(), "activations": out}


# ------------------------------------------------------------------- streamed batches
#
# Python's float repr is the shortest text that reads back to the same float; mapping it
# over a whole column and joining in C is the fastest way found to print it
# (benchmarks/end_to_end.py measures the whole path).


def csv_header(net: Network) -> str:
    """``output_1,output_2``: the last layer's name and unit numbers.

    The name is data: control characters are made visible, a field holding a comma or a
    quote is quoted (RFC 4180), and what standard output cannot encode is escaped.

    >>> from nncalc.activations import get
    >>> layer = Layer('say "hi", you', np.eye(2), np.zeros(2), get("linear"))
    >>> csv_header(Network((layer,)))
    '"say ""hi"", you_1","say ""hi"", you_2"\\n'
    """
    name = charset(sys.stdout).name(net.layers[-1].name)
    fields = [f"{name}_{j + 1}" for j in range(net.nout)]
    return ",".join(f'"{f.replace(chr(34), chr(34) * 2)}"' if any(c in f for c in ',"') else f for f in fields) + "\n"


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
