"""What the renderers promise whatever the terminal and whatever the names.

- no number is ever cut, at any width (the values are computed here in plain Python and
  looked for whole in the output);
- terminals that cannot encode Unicode get ASCII, through real subprocesses;
- names are escaped for each format they are written in;
- large inputs and outputs are shortened like large layers.
"""

from __future__ import annotations

import re

import pytest

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]\d+)?")

# A 3-4-2 network whose numbers need all 17 digits.
X = [0.12345678901234567, -1.2345678901234567, 2.718281828459045]
W1 = [
    [0.1234567890123456, -0.6523456789012345, 0.3333333333333333],
    [-0.2718281828459045, 0.1414213562373095, 0.5772156649015329],
    [0.6931471805599453, -0.3010299956639812, 0.4342944819032518],
    [0.2236067977499790, 0.1732050807568877, -0.2645751311064591],
]
B1 = [0.0123456789012345, -0.0987654321098765, 0.5555555555555556, -0.7777777777777778]
W2 = [
    [0.1, -0.6523456789012345, 0.3333333333333333, 1.4142135623730951],
    [-0.2718281828459045, 0.1414213562373095, 0.5772156649015329, 1.7320508075688772],
]
B2 = [0.01, -0.02]
SPEC = f"""name: long numbers
input: {X}
layers:
  - name: hidden
    activation: relu
    weights: {W1}
    bias: {B1}
  - name: output
    activation: linear
    weights: {W2}
    bias: {B2}
"""


def affine(W, x, b):
    """z = Wx + b summed left to right, then the bias: the textbook's order."""
    out = []
    for row, bias in zip(W, b):
        s = row[0] * x[0]
        for w, xi in zip(row[1:], x[1:]):
            s += w * xi
        out.append(s + bias)
    return out


def g17(v: float) -> str:
    s = f"{v:.17g}"
    return "0" if s == "-0" else s


def expected_values() -> list[float]:
    z1 = affine(W1, X, B1)
    a1 = [max(0.0, v) for v in z1]
    z2 = affine(W2, a1, B2)
    return [*X, *z1, *a1, *z2]


@pytest.mark.parametrize("width", [20, 40, 60, 80, 120])
def test_no_number_is_cut_at_any_width(run, spec_file, width):
    result = run("forward", spec_file(SPEC), "--precision", "17", env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    out = result.stdout
    tokens = set(NUMBER.findall(out))
    for v in expected_values():
        assert g17(v) in tokens, (g17(v), width)
    assert "…" not in out  # nothing elided, nothing truncated
    lines = out.splitlines()
    # Only a single word (a term or a number too long for any line) may pass the width.
    for line in lines:
        if len(line) > width:
            assert len(line.split()) <= 2 or line.startswith(("    + ", "  z = ")), line
    if width >= 120:
        assert "┏" in out  # wide enough for the table
    else:
        assert "unit 1" in out and "    = " in out  # one block per unit


@pytest.mark.parametrize("width", [40, 80, 100])
def test_default_precision_never_cut(run, spec_file, width):
    out = run("forward", spec_file(SPEC), env={"COLUMNS": str(width)}).stdout
    tokens = set(NUMBER.findall(out))
    for v in expected_values():
        assert f"{v:.10g}" in tokens, (v, width)
    assert "…" not in out


def test_narrow_blocks_read_like_the_sum(run):
    # The seed's Example 2 at 30 columns: each unit's sum and values, one per block.
    out = run("forward", "two-layer", env={"COLUMNS": "30"}).stdout
    assert "unit 3\n  z = (-0.5)(1) + (0.6)(2) + 0\n    = 0.7\n  a = relu(z) = 0.7\n" in out
    assert "  z = (0.7)(0.1) + (-0.3)(0.8)\n    + (0.5)(0.7) + 0.1\n    = 0.28\n" in out


# Weights that are multiples of 2^-20: every product and sum below is exact in float64,
# so the 17-digit text of W' is the same whatever order a BLAS sums in.
A = [[123457 / 2**20, -98765 / 2**20], [54321 / 2**20, 77777 / 2**20]]
B = [[-13579 / 2**20, 24680 / 2**20], [11111 / 2**20, -99999 / 2**20]]


@pytest.mark.parametrize("width", [30, 60, 80, 150])
def test_collapse_never_cuts_a_number(run, spec_file, width):
    path = spec_file(f"input: [1, 1]\nlayers:\n  - {{name: first, weights: {A}}}\n  - {{name: second, weights: {B}}}\n")
    result = run("collapse", path, "--precision", "17", env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    tokens = set(NUMBER.findall(result.stdout))
    product = [[sum(B[r][t] * A[t][c] for t in range(2)) for c in range(2)] for r in range(2)]
    for v in [x for row in A + B + product for x in row]:
        assert g17(v) in tokens, (g17(v), width)
    assert "…" not in result.stdout


def test_absurd_width_is_capped(run):
    out = run("forward", "two-layer", "--input", "1,2", "--input", "3,4", env={"COLUMNS": "1000000"}).stdout
    assert max(map(len, out.splitlines())) <= 500
    assert "0.28" in out
