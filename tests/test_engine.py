"""The engine and the activations against references written independently here.

References: per-unit loops over Python's ``math`` module (no NumPy vector code, nothing
from nncalc), and PyTorch float64 where torch is installed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nncalc import activations
from nncalc.engine import forward
from nncalc.errors import ComputeError
from nncalc.network import Layer, Network
from tests.reference import REFERENCE

# The core six; tests/test_activations.py covers the rest of the registry.
NAMES = ["leaky_relu", "linear", "relu", "sigmoid", "softmax", "tanh"]


def reference_forward(layers, x):
    """z_j = sum_i W[j][i] x_i + b_j, unit by unit, then the activation."""
    a = list(x)
    for W, b, name, params in layers:
        z = [sum(W[j][i] * a[i] for i in range(len(a))) + b[j] for j in range(len(W))]
        a = REFERENCE[name](z, **params)
    return a


def random_network(rng, sizes, names):
    layers, spec = [], []
    for k, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
        W = rng.normal(size=(nout, nin))
        b = rng.normal(size=nout)
        name = names[k]
        params = {"alpha": float(rng.uniform(0.01, 0.5))} if name == "leaky_relu" else {}
        layers.append(Layer(f"l{k}", W, b, activations.get(name, **params)))
        spec.append((W.tolist(), b.tolist(), name, params))
    return Network(tuple(layers)), spec


@pytest.mark.parametrize("seed", range(12))
def test_random_networks_match_reference(seed):
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(1, 5))
    sizes = [int(s) for s in rng.integers(1, 7, size=depth + 1)]
    every = sorted(REFERENCE)
    names = [every[i] for i in rng.integers(0, len(every), size=depth)]
    net, spec = random_network(rng, sizes, names)
    X = rng.normal(size=(5, sizes[0]))
    trace = forward(net, X)
    assert trace.output.shape == (5, sizes[-1])
    assert [lt.z.shape for lt in trace.layers] == [(5, s) for s in sizes[1:]]
    for row, out in zip(X, trace.output):
        assert out.tolist() == pytest.approx(reference_forward(spec, row.tolist()), rel=1e-12, abs=1e-12)


def test_batch_equals_one_at_a_time():
    rng = np.random.default_rng(7)
    net, _ = random_network(rng, [4, 6, 3], ["tanh", "softmax"])
    X = rng.normal(size=(9, 4))
    batch = forward(net, X).output
    single = np.vstack([forward(net, x).output for x in X])
    np.testing.assert_allclose(batch, single, rtol=1e-14, atol=0)


def test_torch_float64_agrees():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    torch_act = {
        "linear": lambda t, **p: t,
        "relu": lambda t, **p: F.relu(t),
        "leaky_relu": lambda t, alpha=0.01: F.leaky_relu(t, negative_slope=alpha),
        "sigmoid": lambda t, **p: torch.sigmoid(t),
        "tanh": lambda t, **p: torch.tanh(t),
        "softmax": lambda t, **p: F.softmax(t, dim=-1),
    }
    rng = np.random.default_rng(42)
    for names in [NAMES, NAMES[::-1], ["relu", "leaky_relu", "sigmoid"]]:
        sizes = [int(s) for s in rng.integers(2, 9, size=len(names) + 1)]
        net, spec = random_network(rng, sizes, names)
        X = rng.normal(scale=3, size=(32, sizes[0]))
        t = torch.tensor(X, dtype=torch.float64)
        for W, b, name, params in spec:
            t = torch_act[name](t @ torch.tensor(W, dtype=torch.float64).T + torch.tensor(b, dtype=torch.float64), **params)
        np.testing.assert_allclose(forward(net, X).output, t.numpy(), rtol=1e-12, atol=1e-14)


def test_extremes_are_exact_and_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            sig = activations.get("sigmoid")
            assert sig(np.array([1000.0, -1000.0])).tolist() == [1.0, 0.0]
            assert activations.get("softmax")(np.array([[1000.0, 1000.0]])).tolist() == [[0.5, 0.5]]
            assert activations.get("softmax")(np.array([[-1000.0, 0.0]])).tolist() == [[0.0, 1.0]]
            assert activations.get("tanh")(np.array([1000.0, -1000.0])).tolist() == [1.0, -1.0]
            assert sig.grad(np.array([1000.0, -1000.0])).tolist() == [0.0, 0.0]


def test_relu_derivative_at_zero_is_zero_as_in_pytorch():
    assert activations.get("relu").grad(np.array([0.0])).tolist() == [0.0]


def test_leaky_relu_default_slope_is_pytorchs():
    assert activations.get("leaky_relu")(np.array([-1.0])).tolist() == [-0.01]


def test_aliases_resolve_to_linear():
    assert activations.REGISTRY["identity"] is activations.REGISTRY["linear"]
    assert activations.REGISTRY["none"] is activations.REGISTRY["linear"]


def test_overflow_is_an_error_not_inf():
    net = Network((Layer("huge", np.array([[1e308, 1e308]]), np.zeros(1), activations.get("relu")),))
    with pytest.raises(ComputeError, match="layer 'huge', unit 1"):
        forward(net, np.array([[10.0, 10.0]]))


def test_trace_keeps_inputs_and_every_layer():
    net = Network((
        Layer("a", np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros(2), activations.get("linear")),
        Layer("b", np.array([[1.0, -1.0]]), np.array([0.5]), activations.get("relu")),
    ))
    t = forward(net, np.array([[1.0, 1.0]]))
    assert t.inputs_to(0).tolist() == [[1.0, 1.0]]
    assert t.inputs_to(1).tolist() == [[3.0, 7.0]]  # 1+2, 3+4
    assert t.output.tolist() == [[0.0]]  # relu(3 - 7 + 0.5)


@pytest.mark.parametrize("block_values", [6, 50, 1 << 20])
def test_predict_in_blocks_is_forward_row_by_row(monkeypatch, block_values):
    """Blocks (of any size, down to 64 rows) change nothing: each output is the one a
    single row gives, and an overflow names its input number across blocks."""
    from nncalc import engine

    monkeypatch.setattr(engine, "BLOCK_VALUES", block_values)
    rng = np.random.default_rng(8)
    net, _ = random_network(rng, [3, 5, 2], ["relu", "softmax"])
    X = rng.normal(size=(300, 3))
    single = np.vstack([forward(net, x).output for x in X])
    np.testing.assert_allclose(engine.predict(net, X), single, rtol=1e-14, atol=0)
    X[250, :2] = 1e308  # 1e308 + 1e308 overflows
    ones = Network((Layer("w", np.ones((1, 3)), np.zeros(1), activations.get("linear")),))
    with pytest.raises(ComputeError, match="for input 251;"):
        engine.predict(ones, X)


def test_block_rows_are_sized_by_values():
    from nncalc import engine

    rng = np.random.default_rng(0)
    wide, _ = random_network(rng, [784, 512, 256, 10], ["relu", "relu", "softmax"])
    narrow, _ = random_network(rng, [2, 3, 1], ["relu", "linear"])
    assert engine.block_rows(wide) * 512 == engine.BLOCK_VALUES
    assert engine.block_rows(narrow) * 3 <= engine.BLOCK_VALUES < (engine.block_rows(narrow) + 1) * 3
