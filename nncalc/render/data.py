"""Records for ``--json`` and rows for ``--csv``.

Single records are plain dicts of Python floats, dumped by ``json.dumps``; streamed
batches (:func:`csv_rows`, :func:`trace_lines`, :func:`outputs_only_lines`) are written a
block of rows at a time, laid out as ``json.dumps`` lays them out. Every float keeps full
precision, written as ``repr`` writes it (the shortest text that reads back to it), on
both paths: streams format with orjson and :mod:`nncalc.render.floats` puts its text in
``repr``'s form. NaN and infinities never reach here (the engine refuses them), and both
paths refuse them if they did.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from nncalc.network import Layer, Network
from nncalc.render import floats
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
    import json

    text = json.dumps(record, allow_nan=False, ensure_ascii=False)
    if text.isascii() or encodes(stream_encoding(sys.stdout), text):
        return text
    return json.dumps(record, allow_nan=False)


def _layer_head(layer: Layer) -> str:
    """``{"name": …, "activation": …`` and ``"params"`` if any, as :func:`dumps` writes
    that record (less its closing brace), with the C string encoder the json module
    itself uses: a stream of small records does not load the json module.

    >>> from nncalc.activations import get
    >>> _layer_head(Layer('say "hi"', np.eye(1), np.zeros(1), get("leaky_relu")))
    '{"name": "say \\\\"hi\\\\"", "activation": "leaky_relu", "params": {"alpha": 0.01}'
    """
    try:
        from _json import encode_basestring, encode_basestring_ascii
    except ImportError:  # pragma: no cover - a Python without the C accelerator
        return dumps({"name": layer.name, **_activation(layer)})[:-1]

    def head(string: Any) -> str:
        act = layer.activation
        text = f'{{"name": {string(layer.name)}, "activation": {string(act.name)}'
        if act.params:  # floats (the registry binds every parameter as one)
            text += ', "params": {' + ", ".join(f"{string(k)}: {v!r}" for k, v in act.params) + "}"
        return text

    text = head(encode_basestring)
    if text.isascii() or encodes(stream_encoding(sys.stdout), text):
        return text
    return head(encode_basestring_ascii)


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
# A block of rows is formatted in one call: orjson writes a whole float64 array at C speed,
# each number as the shortest text that reads back to the same float, and the text is cut
# into lines with no Python work per number. orjson writes the digits repr writes, in a
# form of its own (1e16, 1e-7, 0.00001); nncalc.render.floats puts them in repr's form
# (1e+16, 1e-07, 1e-05), so a stream is written as json.dumps would write it
# (benchmarks/end_to_end.py and benchmarks/streams.py measure the whole path).


def _finite(values: np.ndarray) -> np.ndarray:
    """``values`` as a C-ordered float64 array; ValueError for NaN or an infinity, as
    ``json.dumps(allow_nan=False)`` raises."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    # a finite sum: every value is finite (one pass, no array of flags)
    with np.errstate(over="ignore", invalid="ignore"):
        total = values.sum()
    if not np.isfinite(total) and not np.isfinite(values).all():
        raise ValueError("Out of range float values are not JSON compliant")
    return values


def _numbers(values: np.ndarray) -> bytes:
    """Every number of ``values`` in C order, separated by commas: ``1.0,0.28``."""
    return floats.joined(_finite(values))


def _numbers_by_row(
    values: np.ndarray, ends: Sequence[int], marks: Sequence[int], head: bytes = b""
) -> bytes | bytearray:
    """``head``, then ``_numbers(values)`` of a 2-D array with a comma after the last
    number too, and the comma after column ``ends[j]`` of every row made the byte
    ``marks[j]``: a control byte, which no number holds, for the caller to replace."""
    n, k = values.shape
    if k == 1 and not head:  # one number per row: every comma ends a row
        return (_numbers(values) + b",").translate(bytes.maketrans(b",", bytes(marks[:1])))
    text = bytearray(head)
    text += _numbers(values)
    text += b","
    view = np.frombuffer(text, np.uint8)[len(head) :]
    commas = np.flatnonzero(view == 44).reshape(n, k)
    view[commas[:, ends]] = np.array(marks, dtype=np.uint8)
    del view  # a bytearray cannot change size while a view holds it
    return text


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
    return csv_bytes([values]).decode("ascii")


def csv_bytes(arrays: Sequence[np.ndarray], encoding: str = "ascii", errors: str = "strict") -> bytes | bytearray:
    """:func:`csv_rows` of ``arrays[0]`` as ASCII bytes, in the form the streams write:
    ``arrays`` and ``encoding`` as :func:`outputs_only_bytes` takes them (digits and
    commas are the same bytes in every encoding a stream writes bytes in).
    """
    (values,) = arrays
    if len(values) == 0:
        return b""
    return _numbers_by_row(values, [values.shape[1] - 1], [10])


# Bytes that mark where a piece of text goes among the numbers: control characters, which
# neither numbers nor JSON text hold (json.dumps escapes them), white space aside.
_MARKS = bytes(c for c in range(1, 32) if c not in b"\t\n\r")


def _lines(pieces: Sequence[str], arrays: Sequence[np.ndarray]) -> str:
    """For each row: ``pieces[0]``, that row of ``arrays[0]``, ``pieces[1]``, ... and
    ``pieces[-1]``, the numbers of a row separated by ``", "`` as json.dumps writes lists.

    >>> _lines(["<", "|", ">\\n"], [np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0], [6.0]])])
    '<1.0, 2.0|5.0>\\n<3.0, 4.0|6.0>\\n'
    """
    return bytes(_line_bytes([p.encode("utf-8") for p in pieces], arrays)).decode("utf-8")


def _line_bytes(glue: Sequence[bytes], arrays: Sequence[np.ndarray]) -> bytes | bytearray:
    """:func:`_lines` with its pieces already encoded, as bytes."""
    n = len(arrays[0])
    if n == 0:
        return b""
    blocks = [np.asarray(a, dtype=np.float64).reshape(n, -1) for a in arrays]
    widths = [b.shape[1] for b in blocks]
    # What follows each array's part of a row; after the last, the next row's start.
    after = list(glue[1:-1]) + [glue[-1] + glue[0]]
    distinct = list(dict.fromkeys(after))
    # (a piece holding a mark byte itself, as ESC, SO and SI in the ISO-2022 encodings of
    # a name, goes the other way)
    clear = not any(byte in _MARKS for g in glue for byte in g)
    if clear and len(distinct) <= len(_MARKS) and sum(widths) < 64 * len(widths):
        # Short parts: all the numbers in one text, where each distinct piece gets a
        # mark in place of the comma it follows, then is put in by bytes.replace.
        code = dict(zip(distinct, _MARKS))
        ends = list(np.cumsum(widths) - 1)
        head = glue[0] if b"," not in glue[0] else b""  # (its commas would be spaced)
        text = _numbers_by_row(np.concatenate(blocks, axis=1), ends, [code[g] for g in after], head)
        text = text.replace(b",", b", ")
        for g, j in code.items():
            text = text.replace(bytes([j]), g)
        del text[len(text) - len(glue[0]) :]  # the start of a row after the last
        return text if head else glue[0] + text
    # Long parts, or more kinds of pieces than control bytes: each array's rows apart,
    # joined with the pieces between them.
    m = len(blocks)
    out: list[Any] = [b""] * (2 * n * m + 1)
    for j, block in enumerate(blocks):
        out[2 * j + 1 :: 2 * m] = _row_texts(block)
    out[0::2] = [glue[0], *(after * n)[:-1], glue[-1]]
    return b"".join(out)


def _row_texts(values: np.ndarray) -> list[Any]:
    """The numbers of each row of a 2-D array, separated by ``", "`` (bytes, or views of
    one bytes object)."""
    return floats.rows(_finite(values))


def trace_pieces(net: Network) -> list[str]:
    """The text around the numbers of a :func:`trace_lines` record, between
    :func:`trace_arrays`."""
    pieces = ['{"input": [']
    for k, layer in enumerate(net.layers):
        head = _layer_head(layer)
        pieces.append(("], \"layers\": [" if k == 0 else "]}, ") + head + ', "z": [')
        pieces.append('], "a": [')
    pieces.append(']}], "output": [')
    pieces.append("]}\n")
    return pieces


def trace_arrays(trace: Trace) -> list[np.ndarray]:
    """The arrays of a :func:`trace_lines` record, in order: x, every z and a, the output."""
    arrays = [trace.x]
    for lt in trace.layers:
        arrays += [lt.z, lt.a]
    arrays.append(trace.output)
    return arrays


def trace_lines(net: Network, trace: Trace) -> str:
    """One JSON object per input: ``{"input", "layers": [{"name", "activation", "params"?,
    "z", "a"}], "output"}`` (the README's public keys), laid out as ``dumps`` lays out
    each record (numbers in the form described above), written a block at a time.
    """
    return _lines(trace_pieces(net), trace_arrays(trace))


def trace_bytes(net: Network) -> Callable[[Sequence[np.ndarray], str, str], bytes | bytearray]:
    """:func:`trace_lines` as bytes, for a stream: a function of :func:`trace_arrays`
    (or the same rows of each) and the stream's encoding and errors."""
    from functools import partial

    return partial(_glued_bytes, tuple(trace_pieces(net)))  # a partial pickles, for a helper process


def _glued_bytes(
    pieces: Sequence[str], arrays: Sequence[np.ndarray], encoding: str = "utf-8", errors: str = "strict"
) -> bytes | bytearray:
    return _line_bytes([p.encode(encoding, errors) for p in pieces], arrays)


_OUTPUTS_ONLY = ['{"input": [', '], "output": [', "]}\n"]


def outputs_only_lines(x: np.ndarray, y: np.ndarray) -> str:
    """``{"input": [...], "output": [...]}`` per row, laid out as ``dumps`` lays them out.

    >>> outputs_only_lines(np.array([[1.0, 2.0]]), np.array([[0.28]]))
    '{"input": [1.0, 2.0], "output": [0.28]}\\n'
    """
    return _lines(_OUTPUTS_ONLY, [x, y])


def outputs_only_bytes(arrays: Sequence[np.ndarray], encoding: str = "utf-8", errors: str = "strict") -> bytes | bytearray:
    """:func:`outputs_only_lines` of ``arrays = [x, y]`` as bytes, for a stream whose
    text is in ``encoding`` (the keys and brackets are ASCII)."""
    return _line_bytes([p.encode(encoding, errors) for p in _OUTPUTS_ONLY], arrays)
