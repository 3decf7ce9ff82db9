"""The streamed writers (``--csv``, ``--json``, ``--json --outputs-only``) against Python.

Every number they print must read back to exactly the float computed, whatever its form;
the references are ``float()``, ``repr`` and ``json.dumps`` applied here, value by value.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from nncalc.render import data
from tests.test_batches import assert_json_lines

HARD = [
    0.0, -0.0, 0.28, 0.1 + 0.2, 1.0, -1.0, 100.0, 1234567.0, 5e-324, -5e-324,
    2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308, -1.7976931348623157e308,
    1e-4, 1.5e-4, 1e-5, 2.5e-5, 9.999999999999999e-06, 1e-6, 1e-7, 1e15, 1e16, 1.5e16, 1e17,
    9007199254740992.0, 9007199254740994.0, 123456789012345680.0, 1e21, 1e22, 1e23, 1e300, 1e-300,
]


def odd_floats(n: int, seed: int) -> np.ndarray:
    """Floats from random bit patterns (every exponent, subnormals too), plus HARD."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**64, size=n, dtype=np.uint64, endpoint=False)
    x = bits.view(np.float64)
    x = x[np.isfinite(x)]
    return np.concatenate([x, HARD])


def reads_back(text: str, values: np.ndarray) -> None:
    """Each line of ``text`` holds a row of ``values``, each number exactly its float."""
    lines = text.split("\n")
    assert lines.pop() == ""
    got = [[float(v) for v in line.split(",")] for line in lines]
    # repr tells every float apart (and -0.0 from 0.0): compare the reprs
    assert [list(map(repr, row)) for row in got] == [list(map(repr, row)) for row in values.tolist()]


@pytest.mark.parametrize("width", [1, 2, 3, 10, 784])
def test_csv_rows_read_back_exactly(width):
    x = odd_floats(20_000, width)
    x = x[: len(x) // width * width].reshape(-1, width)
    reads_back(data.csv_rows(x), x)


def test_csv_rows_of_no_rows():
    assert data.csv_rows(np.empty((0, 3))) == ""


def test_csv_rows_of_a_column_slice():
    x = np.arange(12.0).reshape(3, 4) / 7
    reads_back(data.csv_rows(x[:, 1:3]), x[:, 1:3].copy())


def test_csv_rows_refuse_what_is_not_a_number():
    with pytest.raises(ValueError, match="not JSON compliant"):
        data.csv_rows(np.array([[1.0], [np.nan]]))


@pytest.mark.parametrize("width", [1, 5, 200])  # short rows, and rows written apart
@pytest.mark.parametrize("n", [1, 2, 3000])
def test_outputs_only_lines_read_back_exactly(width, n):
    x = odd_floats(n * (width + 1), width + 7)
    x = x[: len(x) // (width + 1) * (width + 1)].reshape(-1, width + 1)
    inputs, outputs = x[:, :width], x[:, width:]
    records = [{"input": a, "output": b} for a, b in zip(inputs.tolist(), outputs.tolist())]
    assert_json_lines(data.outputs_only_lines(inputs, outputs), records)


@pytest.mark.parametrize("way", ["orjson", "repr"])
def test_streams_are_json_dumps_bytes(monkeypatch, way):
    """Whether orjson formats a block (then put in repr's form) or repr does (a small block,
    or no orjson), every number is written as json.dumps writes it: the same bytes."""
    from nncalc.render import floats

    if way == "orjson":
        monkeypatch.setattr(floats, "SMALL", 0)
    else:
        monkeypatch.setattr(floats, "_orjson", lambda: None)
    x = odd_floats(2000, 3)
    x = x[: len(x) // 3 * 3].reshape(-1, 3)
    assert data.csv_rows(x) == "".join(",".join(map(repr, row)) + "\n" for row in x.tolist())
    want = "".join(json.dumps({"input": row[:2], "output": row[2:]}) + "\n" for row in x.tolist())
    assert data.outputs_only_lines(x[:, :2], x[:, 2:]) == want
    wide = x[: len(x) // 150 * 150].reshape(-1, 150)
    want = "".join(json.dumps({"input": row[:140], "output": row[140:]}) + "\n" for row in wide.tolist())
    assert data.outputs_only_lines(wide[:, :140], wide[:, 140:]) == want


@pytest.mark.parametrize("depth", [1, 3, 12, 40])
def test_trace_lines_of_shallow_and_very_deep_networks(depth):
    """12 layers put more than 10 kinds of text between the numbers (marks beyond the line
    end's byte); 40 more than there are marks: those lines are cut and joined instead; the
    records are the same."""
    from nncalc.activations import get
    from nncalc.engine import forward
    from nncalc.network import Layer, Network

    rng = np.random.default_rng(depth)
    acts = [get("tanh"), get("leaky_relu", alpha=0.25), get("linear")]
    layers = tuple(
        Layer(f"layer {k}\x07", rng.normal(size=(2, 2)), rng.normal(size=2), acts[k % 3]) for k in range(depth)
    )
    net = Network(layers)
    X = rng.normal(size=(30, 2)) * 10.0 ** rng.integers(-8, 20, size=(30, 1))
    trace = forward(net, X)
    records = []
    for i in range(len(X)):
        steps = []
        for layer, lt in zip(net.layers, trace.layers):
            entry = {"name": layer.name, "activation": layer.activation.name}
            if layer.activation.params:
                entry["params"] = dict(layer.activation.params)
            steps.append({**entry, "z": lt.z[i].tolist(), "a": lt.a[i].tolist()})
        records.append({"input": X[i].tolist(), "layers": steps, "output": trace.output[i].tolist()})
    assert_json_lines(data.trace_lines(net, trace), records)


def test_lines_with_a_comma_in_the_first_piece():
    got = data._lines(["(a, b) ", " | ", "\n"], [np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5], [-0.0]])])
    assert got == "(a, b) 1.0, 2.0 | 0.5\n(a, b) 3.0, 4.0 | -0.0\n"


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1", "ascii"])
def test_layer_heads_are_json_dumps_text(monkeypatch, encoding):
    """Each layer's name and activation in a streamed record: json.dumps' text, escapes
    and all, for names people and files give (quotes, backslashes, controls, ħ, 中, emoji)."""
    import io
    import sys

    from nncalc.activations import get
    from nncalc.network import Layer

    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding=encoding))
    names = ['plain', 'say "hi"', "back\\slash", "tab\there", "nul\x00bell\x07", "ħé", "中文", "🙂", "\u2028", "\x7f"]
    for name in names:
        for act in (get("relu"), get("leaky_relu", alpha=0.25), get("hard_tanh", min_val=-2.0, max_val=1e-05)):
            layer = Layer(name, np.eye(1), np.zeros(1), act)
            record = {"name": name, "activation": act.name, **({"params": act.kwargs} if act.params else {})}
            assert data._layer_head(layer) == data.dumps(record)[:-1]
