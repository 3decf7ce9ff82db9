"""``--exact``: forward and collapse in rational numbers, checked against ``fractions``
arithmetic written here (the seed's three examples: -3/10, 7/25, -11/2 and 8)."""

from __future__ import annotations

import json
import random
from fractions import Fraction as F

import pytest

from tests.conftest import assert_one_error


def records(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def affine(W, x, b):
    return [sum((w * xi for w, xi in zip(row, x)), F(0)) + bi for row, bi in zip(W, b)]


def relu(v):
    return [q if q > 0 else F(0) for q in v]


def test_example1_exactly(run):
    (rec,) = records(run("forward", "neuron", "--exact", "--json"))
    z = F("0.5") * 2 + F("-0.2") * 3 + F("0.8") * -1 + F("0.1")
    assert z == F(-3, 10)
    assert rec["layers"][0]["z_exact"] == [str(z)] == ["-3/10"]
    assert rec["layers"][0]["a_exact"] == ["0"] and rec["output_exact"] == ["0"]
    assert rec["layers"][0]["z"] == pytest.approx([-0.3])  # the float keys stay


def test_example2_exactly(run):
    W1, b1 = [[F("0.2"), F("-0.1")], [F("0.4"), F("0.3")], [F("-0.5"), F("0.6")]], [F("0.1"), F("-0.2"), F(0)]
    W2, b2 = [[F("0.7"), F("-0.3"), F("0.5")]], [F("0.1")]
    h = affine(W1, [F(1), F(2)], b1)
    y = affine(W2, relu(h), b2)
    assert y == [F(7, 25)]
    (rec,) = records(run("forward", "two-layer", "--exact", "--json"))
    assert rec["layers"][0]["z_exact"] == [str(q) for q in h] == ["1/10", "4/5", "7/10"]
    assert rec["output_exact"] == ["7/25"]
    plain = records(run("forward", "two-layer", "--json"))[0]
    for key in ("input", "output"):
        assert rec[key] == plain[key]  # every float key as without --exact
    for exact_layer, plain_layer in zip(rec["layers"], plain["layers"]):
        assert {k: v for k, v in exact_layer.items() if not k.endswith("_exact")} == plain_layer
    out = run("forward", "two-layer", "--exact").stdout
    assert "Output = [0.28] = [7/25]" in out
    assert "(0.7)(0.1) + (-0.3)(0.8) + (0.5)(0.7) + 0.1" in out


def test_example3_exactly(run):
    W1 = [[F(1), F(2)], [F(3), F(4)]]
    W2 = [[F("0.5"), F(-1)], [F("1.5"), F("0.5")]]
    Wp = [[sum((W2[r][t] * W1[t][c] for t in range(2)), F(0)) for c in range(2)] for r in range(2)]
    assert Wp == [[F(-5, 2), F(-3)], [F(3), F(5)]]
    y = affine(Wp, [F(1), F(1)], [F(0), F(0)])
    assert y == [F(-11, 2), F(8)]
    (rec,) = records(run("forward", "linear-stack", "--exact", "--json"))
    assert rec["output_exact"] == ["-11/2", "8"]
    data = json.loads(run("collapse", "--exact", "--json").stdout)
    assert data["weights_exact"] == [[str(q) for q in row] for row in Wp] == [["-5/2", "-3"], ["3", "5"]]
    assert data["weights"] == [[-2.5, -3.0], [3.0, 5.0]]
    assert data["check"]["layered_exact"] == data["check"]["collapsed_exact"] == ["-11/2", "8"]
    assert data["check"]["difference_exact"] == "0"
    table = run("collapse", "--exact").stdout
    assert "W' = [[-5/2, -3], [3, 5]]" in table
    assert "largest |difference|: 0 (exact arithmetic)" in table
    assert run("forward", "linear-stack", "--exact").stdout.rstrip().endswith("Output = [-5.5, 8] = [-11/2, 8]")


def test_collapse_exact_bias(run, spec_file):
    # W' = W2 W1 and b' = W2 b1 + b2, in fractions computed here.
    spec = spec_file(
        "input: [1/3, -2/7]\nlayers:\n"
        "  - {weights: [[0.1, 0.2], [0.3, -0.4]], bias: [1/3, 0.5]}\n"
        "  - {weights: [[1/7, -0.6]], bias: [-1/11]}\n"
    )
    W1, b1 = [[F("0.1"), F("0.2")], [F("0.3"), F("-0.4")]], [F(1, 3), F("0.5")]
    W2, b2 = [[F(1, 7), F("-0.6")]], [F(-1, 11)]
    Wp = [[sum((W2[0][t] * W1[t][c] for t in range(2)), F(0)) for c in range(2)]]
    bp = [sum((W2[0][t] * b1[t] for t in range(2)), F(0)) + b2[0]]
    data = json.loads(run("collapse", spec, "--exact", "--json").stdout)
    assert data["weights_exact"] == [[str(q) for q in Wp[0]]]
    assert data["bias_exact"] == [str(bp[0])]
    x = [F(1, 3), F(-2, 7)]
    assert data["check"]["collapsed_exact"] == [str(q) for q in affine(Wp, x, bp)]
    assert data["check"]["layered_exact"] == [str(q) for q in affine(W2, affine(W1, x, b1), b2)]


def test_witness_is_checked_exactly(run):
    data = json.loads(run("collapse", "two-layer", "--exact", "--json").stdout)
    w = data["witness"]
    W1, b1 = [[F("0.2"), F("-0.1")], [F("0.4"), F("0.3")], [F("-0.5"), F("0.6")]], [F("0.1"), F("-0.2"), F(0)]
    W2, b2 = [[F("0.7"), F("-0.3"), F("0.5")]], [F("0.1")]

    def f(x):
        return affine(W2, relu(affine(W1, x, b1)), b2)

    x1, x2 = [F(v) for v in w["x1_exact"]], [F(v) for v in w["x2_exact"]]
    assert [F(repr(v)) for v in w["x1"]] == x1  # the witness as shown, exactly
    mid = f([(a + b) / 2 for a, b in zip(x1, x2)])
    avg = [(a + b) / 2 for a, b in zip(f(x1), f(x2))]
    assert mid != avg  # a witness with no tolerance
    assert w["midpoint_output_exact"] == [str(q) for q in mid]
    assert w["average_output_exact"] == [str(q) for q in avg]


def test_fractions_on_the_command_line(run):
    (rec,) = records(run("forward", "two-layer", "--exact", "--json", "--input", "1/3,-2/7"))
    W1, b1 = [[F("0.2"), F("-0.1")], [F("0.4"), F("0.3")], [F("-0.5"), F("0.6")]], [F("0.1"), F("-0.2"), F(0)]
    W2, b2 = [[F("0.7"), F("-0.3"), F("0.5")]], [F("0.1")]
    x = [F(1, 3), F(-2, 7)]
    assert rec["output_exact"] == [str(q) for q in affine(W2, relu(affine(W1, x, b1)), b2)]
    assert rec["input"] == [1 / 3, -2 / 7]
    # Tables: exact decimals when they end, fractions otherwise.
    out = run("forward", "two-layer", "--exact", "--input", "1/3,2").stdout
    assert "(0.2)(1/3) + (-0.1)(2) + 0.1" in out and "max(0, -1/30) = 0" in out
    y = affine(W2, relu(affine(W1, [F(1, 3), F(2)], b1)), b2)[0]
    assert f"Output = [{float(y):.10g}] = [{y}]" in out


def test_random_network_against_fractions(run, spec_file):
    rng = random.Random(3)
    sizes = [4, 5, 3, 2]
    acts = ["relu", "{name: leaky_relu, alpha: 0.1}", "linear"]
    Ws, bs, lines = [], [], []
    for k, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
        W = [[F(rng.randint(-20, 20), rng.choice([3, 7, 10])) for _ in range(nin)] for _ in range(nout)]
        b = [F(rng.randint(-9, 9), rng.choice([1, 4, 9])) for _ in range(nout)]
        Ws.append(W)
        bs.append(b)
        rows = ", ".join("[" + ", ".join(str(q) for q in row) + "]" for row in W)
        lines.append(f"  - {{activation: {acts[k]}, weights: [{rows}], bias: [{', '.join(map(str, b))}]}}")
    x = [F(rng.randint(-5, 5), 3) for _ in range(sizes[0])]
    spec = spec_file("layers:\n" + "\n".join(lines) + "\n")
    a = x
    zs = []
    for k, (W, b) in enumerate(zip(Ws, bs)):
        z = affine(W, a, b)
        zs.append(z)
        a = relu(z) if k == 0 else [q if q > 0 else q / 10 for q in z] if k == 1 else z
    (rec,) = records(run("forward", spec, "--exact", "--json", "--input", ",".join(map(str, x))))
    assert [layer["z_exact"] for layer in rec["layers"]] == [[str(q) for q in z] for z in zs]
    assert rec["output_exact"] == [str(q) for q in a]
    assert rec["output"] == pytest.approx([float(q) for q in a], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    "activation, z, a",
    [
        ("hard_tanh", "3/2", "1"),
        ("{name: hard_tanh, min_val: -0.5, max_val: 2}", "-3/2", "-1/2"),
        ("hard_sigmoid", "1/3", str((F(1, 3) + 3) / 6)),
        ("hard_sigmoid", "-4", "0"),
        ("hard_swish", "-3/2", str(F(-3, 2) * F(3, 2) / 6)),
        ("hard_swish", "7/2", "7/2"),
        ("{name: hard_sigmoid, alpha: 1/5, beta: 1/2}", "1/3", str(F(1, 5) * F(1, 3) + F(1, 2))),
        ("{name: hard_sigmoid, alpha: 0.2, beta: 0.5}", "3", "1"),
        # an alpha left out (or written 1/6) is 1/6; alpha 1/6 and beta 1/2 are PyTorch's form
        ("{name: hard_sigmoid, beta: 1/5}", "3", str(F(1, 6) * 3 + F(1, 5))),
        ("{name: hard_sigmoid, alpha: 0.16666666666666666}", "1", str(F(1 + 3, 6))),
        ("{name: hard_sigmoid, alpha: 1/6, beta: 0.5}", "3", "1"),
        ("{name: leaky_relu, alpha: 0.01}", "-3/10", "-3/1000"),
        ("{name: leaky_relu, alpha: 1}", "-3/10", "-3/10"),
    ],
)
def test_piecewise_linear_activations(run, spec_file, activation, z, a):
    spec = spec_file(f"input: [{z}]\nlayers:\n  - {{activation: {activation}, weights: [[1]]}}\n")
    (rec,) = records(run("forward", spec, "--exact", "--json"))
    assert rec["layers"][0]["z_exact"] == [str(F(z))] and rec["output_exact"] == [a]


def test_other_activations_are_refused(run, spec_file):
    spec = spec_file("input: [1]\nlayers:\n  - {name: h, weights: [[1]], activation: relu}\n  - {name: probs, weights: [[1]], activation: sigmoid}\n")
    for command in ("forward", "collapse"):
        line = assert_one_error(run(command, spec, "--exact"), "layer 'probs'", "sigmoid")
        assert "linear, relu, leaky_relu, hard_sigmoid, hard_swish, hard_tanh" in line


def test_exact_refuses_input_files_and_huge_exponents(run, tmp_path):
    (tmp_path / "x.csv").write_text("1,2\n")
    assert_one_error(run("forward", "two-layer", "--exact", "--inputs", str(tmp_path / "x.csv")), "--exact", "--input")
    assert_one_error(run("forward", "two-layer", "--exact", "--input", "1e-9999999,2"), "exponent beyond")
    assert_one_error(run("forward", "two-layer", "--exact", "--input", "1/0,2"), "divides by zero")
    assert_one_error(run("forward", "two-layer", "--exact", "--input", "1,2,3"), "3 values")
    assert_one_error(run("forward", "two-layer", "--exact", "--input", "1/x,2"), "not a number")


def test_exact_csv_and_outputs_only(run):
    assert run("forward", "linear-stack", "--exact", "--csv").stdout == "layer2_1,layer2_2\n-11/2,8\n"
    (rec,) = records(run("forward", "two-layer", "--exact", "--json", "--outputs-only"))
    assert rec == {"input": [1.0, 2.0], "output": [0.28], "output_exact": ["7/25"]}


def test_exact_documents(run):
    md = run("forward", "two-layer", "--exact", "--format", "markdown", "--input", "1/3,2").stdout
    assert r"(0.2)\left(\frac{1}{3}\right) + (-0.1)(2) + 0.1 = -\frac{1}{30}" in md
    md = run("forward", "two-layer", "--exact", "--format", "markdown").stdout
    assert r"\hat{y} = 0.28 = \frac{7}{25}" in md
    md = run("collapse", "--exact", "--format", "markdown").stdout
    assert r"W' = \begin{bmatrix} -\frac{5}{2} & -3 \\ 3 & 5 \end{bmatrix}" in md
    assert "The two paths agree exactly." in md


def test_fast_enough_structure():
    # A 64-64 layer over 100 inputs goes through integer sums (benchmarks/documents.py times
    # it); here only that the result equals Fraction arithmetic on a small case.
    import numpy as np

    from nncalc import exact

    A = np.array([[F(1, 3), F(2, 5)]], dtype=object)
    W = np.array([[F(1, 7), F(-1, 2)]], dtype=object)
    b = np.array([F(1, 6)], dtype=object)
    assert exact.affine(A, W, b)[0, 0] == F(1, 3) * F(1, 7) + F(2, 5) * F(-1, 2) + F(1, 6)


def test_activation_parameters_are_exact_as_written(run, tmp_path):
    import json
    from fractions import Fraction as F

    spec = tmp_path / "net.yaml"
    spec.write_text("layers:\n  - weights: [[1, 1]]\n    activation: {name: leaky_relu, alpha: 1/3}\n")
    out = run("forward", str(spec), "--exact", "-i", "-1/3,-1", "--json")
    assert out.exit_code == 0, out.output
    z = F(-1, 3) + F(-1)  # by hand: negative, so alpha · z
    assert json.loads(out.stdout)["output_exact"] == [str(F(1, 3) * z)]
