"""The seed text's three worked examples, through the real command line.

Every expected number below is copied from the seed's hand-worked examples (Example 1:
single neuron; Example 2: 2-layer network; Example 3: linear layers collapse).
"""

from __future__ import annotations

import json

import pytest


def records(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_example1_single_neuron(run):
    # x = [2, 3, -1], w = [0.5, -0.2, 0.8], b = 0.1, ReLU: z = -0.3, a = 0.
    (rec,) = records(run("forward", "neuron", "--json"))
    assert rec["input"] == [2, 3, -1]
    assert rec["layers"][0]["z"] == pytest.approx([-0.3], abs=1e-15)
    assert rec["layers"][0]["a"] == [0.0]
    assert rec["output"] == [0.0]


def test_example1_table_shows_the_seeds_working(run):
    result = run("forward", "neuron")
    assert result.exit_code == 0, result.output
    assert "(0.5)(2) + (-0.2)(3) + (0.8)(-1) + 0.1" in result.stdout
    row = next(line for line in result.stdout.splitlines() if "(0.5)(2)" in line)
    assert row.split("│")[3].strip() == "-0.3"  # z, as the seed prints it
    assert row.split("│")[4].strip() == "max(0, -0.3) = 0"  # the seed: ReLU(-0.3) = max(0, -0.3) = 0
    brief = next(line for line in run("forward", "neuron", "--brief").stdout.splitlines() if "(0.5)(2)" in line)
    assert brief.split("│")[4].strip() == "0"


def test_example2_two_layer(run):
    (rec,) = records(run("forward", "two-layer", "--json"))
    hidden, output = rec["layers"]
    assert rec["input"] == [1, 2]
    assert (hidden["name"], hidden["activation"]) == ("hidden", "relu")
    assert hidden["z"] == pytest.approx([0.1, 0.8, 0.7], abs=1e-15)
    assert hidden["a"] == pytest.approx([0.1, 0.8, 0.7], abs=1e-15)  # all three fire
    assert output["z"] == pytest.approx([0.28], abs=1e-15)
    assert rec["output"] == pytest.approx([0.28], abs=1e-15)


def test_example2_table_shows_every_term(run):
    result = run("forward", "two-layer")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expression, z in [
        ("(0.2)(1) + (-0.1)(2) + 0.1", "0.1"),
        ("(0.4)(1) + (0.3)(2) + (-0.2)", "0.8"),
        ("(-0.5)(1) + (0.6)(2) + 0", "0.7"),
        ("(0.7)(0.1) + (-0.3)(0.8) + (0.5)(0.7) + 0.1", "0.28"),
    ]:
        row = next(line for line in out.splitlines() if expression in line)
        assert row.split("│")[3].strip() == z
    assert "Output = [0.28]" in out


def test_example2_has_13_parameters(run):
    # W1 is 3x2 plus 3 biases, w2 is 1x3 plus 1 bias: 6 + 3 + 3 + 1.
    result = run("validate", "two-layer", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["parameters"] == 13
    assert [layer["parameters"] for layer in summary["layers"]] == [9, 4]


def test_example3_linear_stack(run):
    # h = W1 x = [3, 7]; y = W2 h = [-5.5, 8.0].
    (rec,) = records(run("forward", "linear-stack", "--json"))
    assert rec["input"] == [1, 1]
    assert rec["layers"][0]["z"] == [3.0, 7.0]
    assert rec["output"] == [-5.5, 8.0]


def test_example3_table(run):
    out = run("forward", "linear-stack").stdout
    assert "(0.5)(3) + (-1)(7)" in out
    assert "(1.5)(3) + (0.5)(7)" in out
    assert "Output = [-5.5, 8]" in out
