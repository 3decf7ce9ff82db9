"""``--exact`` as data: the JSON and CSV of an exact forward pass or collapse.

JSON keeps every float key of the plain output and adds the exact values as strings
(``"7/25"``, ``"8"``, ``"-11/2"``): ``z_exact`` and ``a_exact`` in each layer,
``output_exact`` in each object. CSV gives the exact outputs, which nncalc reads back
as numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from nncalc.exact import text
from nncalc.render.data import collapse_record, dumps

if TYPE_CHECKING:
    from nncalc import exact
    from nncalc.collapsing import Check, Collapse, WitnessSearch
    from nncalc.engine import Trace
    from nncalc.network import Network


def strings(values: Sequence[Any]) -> list[Any]:
    """Each exact value (or row of values) as its string.

    >>> from fractions import Fraction
    >>> strings([Fraction(7, 25), Fraction(8)]), strings([[Fraction(-11, 2)]])
    (['7/25', '8'], [['-11/2']])
    """
    return [strings(v) if hasattr(v, "__len__") else text(v) for v in values]


def _activation(layer: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"activation": layer.activation.name}
    if layer.activation.params:
        out["params"] = layer.activation.kwargs
    return out


def trace_records(net: Network, trace: Trace, q: exact.Trace, outputs_only: bool = False) -> list[dict[str, Any]]:
    """One record per input: the float keys of ``forward --json``, and the exact ones."""
    records = []
    for i in range(len(trace.x)):
        record: dict[str, Any] = {"input": trace.x[i].tolist()}
        if not outputs_only:
            record["layers"] = [
                {
                    "name": layer.name,
                    **_activation(layer),
                    "z": lt.z[i].tolist(),
                    "a": lt.a[i].tolist(),
                    "z_exact": strings(qt.z[i]),
                    "a_exact": strings(qt.a[i]),
                }
                for layer, lt, qt in zip(net.layers, trace.layers, q.layers)
            ]
        record["output"] = trace.output[i].tolist()
        record["output_exact"] = strings(q.output[i])
        records.append(record)
    return records


def trace_lines(net: Network, trace: Trace, q: exact.Trace, outputs_only: bool = False) -> str:
    """The records as JSON lines (NDJSON), as ``forward --json`` prints them."""
    return "".join(dumps(r) + "\n" for r in trace_records(net, trace, q, outputs_only))


def csv_rows(q: exact.Trace) -> str:
    """The exact outputs, one row per input: ``7/25``, ``-11/2,8``."""
    return "".join(",".join(strings(row)) + "\n" for row in q.output)


def collapse_exact_record(c: Collapse, chk: Check, search: WitnessSearch | None, e: exact.Collapse) -> dict[str, Any]:
    """``collapse --json`` with ``--exact``: its keys, and the exact values beside them."""
    record = collapse_record(c, chk, search)
    if c.collapsible:
        (layer,) = e.reduced.layers
        W, b = layer.exact
        record["weights_exact"] = strings(W)
        record["bias_exact"] = strings(b)
    record["check"]["input_exact"] = strings(e.layered.x[0])
    record["check"]["layered_exact"] = strings(e.layered.output[0])
    record["check"]["collapsed_exact"] = strings(e.collapsed.output[0])
    record["check"]["difference_exact"] = text(e.difference)
    if not c.collapsible and record.get("witness") is not None:
        w = e.witness
        if w is None:  # not a witness in exact arithmetic
            record["witness"] = None
        else:
            record["witness"].update(
                {
                    "x1_exact": strings(w.x1),
                    "x2_exact": strings(w.x2),
                    "midpoint_output_exact": strings(w.midpoint_output),
                    "average_output_exact": strings(w.average_output),
                }
            )
    return record
