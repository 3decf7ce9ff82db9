"""nncalc collapse: the seed's Example 3, random linear stacks, written specs, witnesses.

References: the seed's hand-worked Example 3; affine maps composed here in homogeneous
coordinates (an independent route to W' and b'); the engine's forward pass on the
original network (for written specs and witnesses); plain NumPy for one witness.
"""

from __future__ import annotations

import json
from functools import reduce

import numpy as np
import pytest

from nncalc.collapsing import WITNESS_RELATIVE_GAP
from nncalc.engine import forward
from nncalc.spec import load_spec
from tests.conftest import assert_golden
from tests.conftest import assert_one_error


def spec_text(layers, input=None) -> str:
    """YAML for [(W, b or None, activation)], numbers written with repr."""
    out = [f"input: {list(map(float, input))}"] if input is not None else []
    out.append("layers:")
    for k, (W, b, act) in enumerate(layers):
        out.append(f"  - name: l{k + 1}\n    activation: {act}\n    weights: {np.asarray(W).tolist()}")
        if b is not None:
            out.append(f"    bias: {np.asarray(b).tolist()}")
    return "\n".join(out) + "\n"


def record(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- the seed's Example 3


def test_example3_numbers_exactly(run):
    rec = record(run("collapse", "--json"))  # linear-stack is the default
    assert rec["collapsible"] is True
    assert (rec["layers_before"], rec["layers_after"]) == (2, 1)
    assert rec["weights"] == [[-2.5, -3.0], [3.0, 5.0]]
    assert rec["bias"] == [0.0, 0.0]
    assert rec["check"] == {"input": [1.0, 1.0], "layered": [-5.5, 8.0], "collapsed": [-5.5, 8.0], "max_abs_diff": 0.0}


def test_example3_table_writes_the_product_out(run):
    out = run("collapse", "linear-stack").stdout
    for entry in ["(0.5)(1) + (-1)(3) = -2.5", "(0.5)(2) + (-1)(4) = -3", "(1.5)(1) + (0.5)(3) = 3", "(1.5)(2) + (0.5)(4) = 5"]:
        assert entry in out
    assert "2 linear layers = 1 linear layer (2×2)" in out


# -- random linear stacks against composed affine maps


def homogeneous(W, b):
    """The affine map x -> Wx + b as one matrix acting on [x, 1]."""
    A = np.zeros((W.shape[0] + 1, W.shape[1] + 1))
    A[:-1, :-1], A[:-1, -1], A[-1, -1] = W, b, 1.0
    return A


@pytest.mark.parametrize("seed", range(6))
def test_random_linear_stacks(run, spec_file, seed):
    rng = np.random.default_rng(seed)
    sizes = [int(s) for s in rng.integers(1, 6, size=int(rng.integers(4, 7)))]  # 3 to 5 layers
    layers = [(rng.normal(size=(o, i)), rng.normal(size=o), "linear") for i, o in zip(sizes, sizes[1:])]
    rec = record(run("collapse", spec_file(spec_text(layers)), "--json"))
    A = reduce(lambda acc, layer: homogeneous(layer[0], layer[1]) @ acc, layers, np.eye(sizes[0] + 1))
    assert rec["collapsible"] and rec["layers_after"] == 1
    np.testing.assert_allclose(rec["weights"], A[:-1, :-1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rec["bias"], A[:-1, -1], rtol=1e-12, atol=1e-12)
    assert rec["check"]["input"] == [1.0] * sizes[0]  # no input given: all ones
    assert rec["check"]["max_abs_diff"] < 1e-12 * max(1.0, np.abs(rec["check"]["layered"]).max())


# -- written specs reproduce the original


@pytest.mark.parametrize(
    "activations",
    [
        ["linear", "identity", "none"],
        ["linear", "linear", "tanh", "linear", "linear"],
        ["relu", "linear", "linear", "sigmoid"],
        ["{name: leaky_relu, alpha: 1}", "linear", "softmax"],
    ],
)
def test_written_spec_reproduces_outputs(run, spec_file, tmp_path, activations):
    rng = np.random.default_rng(len(activations))
    sizes = [int(s) for s in rng.integers(2, 6, size=len(activations) + 1)]
    layers = [(rng.normal(size=(o, i)), rng.normal(size=o), a) for (i, o), a in zip(zip(sizes, sizes[1:]), activations)]
    original = spec_file(spec_text(layers))
    reduced = tmp_path / "reduced.yaml"
    result = run("collapse", original, "--write", str(reduced), "--json")
    rec = record(result)
    assert f"wrote {reduced}" in result.stderr
    net, small = load_spec(original), load_spec(str(reduced))
    assert len(small.layers) == rec["layers_after"] < len(net.layers)
    X = rng.normal(scale=2, size=(200, sizes[0]))
    np.testing.assert_allclose(forward(small, X).output, forward(net, X).output, rtol=1e-11, atol=1e-12)
    # and through the command line, as a user would run it
    x = ",".join(map(str, X[0]))
    a = record(run("forward", original, "-i", x, "--json"))["output"]
    b = record(run("forward", str(reduced), "-i", x, "--json"))["output"]
    assert b == pytest.approx(a, rel=1e-11, abs=1e-12)


def test_written_names_say_where_layers_came_from(run, tmp_path):
    out = tmp_path / "one.yaml"
    run("collapse", "linear-stack", "--write", str(out))
    net = load_spec(str(out))
    assert [layer.name for layer in net.layers] == ["layer1+layer2"]
    assert net.input.tolist() == [[1.0, 1.0]]


# -- witnesses


def test_witness_for_example2_is_real(run):
    rec = record(run("collapse", "two-layer", "--json"))
    assert rec["collapsible"] is False and rec["blocking"] == ["hidden"]
    w = rec["witness"]
    x1, x2 = np.array(w["x1"]), np.array(w["x2"])
    # The seed's Example 2 network in plain NumPy, independent of nncalc.
    W1 = np.array([[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]])
    b1 = np.array([0.1, -0.2, 0.0])

    def f(x):
        return np.array([0.7, -0.3, 0.5]) @ np.maximum(W1 @ x + b1, 0) + 0.1

    mid, avg = f((x1 + x2) / 2), (f(x1) + f(x2)) / 2
    assert w["midpoint_output"] == pytest.approx([mid], rel=1e-12)
    assert w["average_output"] == pytest.approx([avg], rel=1e-12)
    assert abs(mid - avg) >= WITNESS_RELATIVE_GAP * max(abs(mid), abs(avg))


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "softmax", "relu", "{name: leaky_relu, alpha: 0.2}"])
def test_witness_checked_with_the_engine(run, spec_file, act):
    rng = np.random.default_rng(3)
    layers = [(rng.normal(size=(4, 3)), rng.normal(size=4), act), (rng.normal(size=(2, 4)), None, "linear")]
    path = spec_file(spec_text(layers, input=[0.5, -1, 2]))
    rec = record(run("collapse", path, "--json"))
    w = rec["witness"]
    assert w is not None, rec
    net = load_spec(path)
    x1, x2 = np.array(w["x1"]), np.array(w["x2"])
    mid = forward(net, (x1 + x2) / 2).output[0]
    avg = (forward(net, x1).output[0] + forward(net, x2).output[0]) / 2
    np.testing.assert_allclose(w["midpoint_output"], mid, rtol=1e-12)
    assert np.abs(mid - avg).max() >= WITNESS_RELATIVE_GAP * max(np.abs(mid).max(), np.abs(avg).max())


def test_same_seed_same_witness(run):
    a = record(run("collapse", "two-layer", "--json", "--seed", "5"))["witness"]
    b = record(run("collapse", "two-layer", "--json", "--seed", "5"))["witness"]
    assert a == b


def test_no_witness_is_said_honestly(run, spec_file):
    # ReLU with a huge bias stays active on every point the search can reach.
    path = spec_file(spec_text([(np.eye(2), [1e9, 1e9], "relu"), (np.eye(2), None, "linear")]))
    rec = record(run("collapse", path, "--json"))
    assert rec["collapsible"] is False and rec["witness"] is None
    assert rec["search"]["pairs_tried"] > 0
    out = run("collapse", path).stdout
    assert "behaves linearly on every input tried" in out


def test_identity_leaky_relu_collapses_but_not_others(run, spec_file):
    eye = np.eye(2)
    linear = spec_text([(eye, None, "{name: leaky_relu, alpha: 1}"), (eye, None, "linear")])
    assert record(run("collapse", spec_file(linear), "--json"))["collapsible"] is True
    leaky = spec_text([(eye, None, "{name: leaky_relu, alpha: 0.5}"), (eye, None, "linear")])
    assert record(run("collapse", spec_file(leaky, "b.yaml"), "--json"))["blocking"] == ["l1"]


def test_single_linear_layer(run, spec_file):
    path = spec_file(spec_text([(np.array([[1.0, 2.0]]), [3.0], "linear")]))
    assert "already a single linear layer (1×2)" in run("collapse", path).stdout


def test_input_option(run):
    rec = record(run("collapse", "linear-stack", "--input", "2,-1", "--json"))
    # W' x for x = [2, -1]: [-2.5*2 + -3*-1, 3*2 + 5*-1]
    assert rec["check"]["collapsed"] == [-2.0, 1.0]


# -- errors


def test_bad_spec_gets_the_core_error(run, spec_file):
    path = spec_file("layers:\n  - weights: [[1, x]]\n")
    assert_one_error(run("collapse", path), f"{path}:2:19:", "'x' is not a number")


def test_bad_input_gets_the_core_error(run):
    assert_one_error(run("collapse", "linear-stack", "--input", "1,2,3"), "has 3 values")


def test_unwritable_output(run, tmp_path):
    target = tmp_path / "no" / "such" / "dir.yaml"
    assert_one_error(run("collapse", "linear-stack", "--write", str(target)), "cannot write the file")


# -- golden tables


@pytest.mark.parametrize("name", ["linear-stack", "two-layer"])
def test_golden_collapse(run, name, update_golden):
    result = run("collapse", name, env={"COLUMNS": "100"})
    assert result.exit_code == 0
    assert_golden(f"collapse-{name}.txt", result.stdout, update_golden)
