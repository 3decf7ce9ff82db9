"""Each activation worked out, step by step, checked against plain Python ``math``.

The expected text of every step is written here from the formula, with the numbers
computed by ``math`` in the test and formatted to the same significant digits; the
table, Markdown and LaTeX must show exactly those steps. ``--brief`` keeps the values only.
"""

from __future__ import annotations

import math

import pytest

WIDE = {"COLUMNS": "250"}  # one table row per unit


def g(v: float, digits: int = 10) -> str:
    s = f"{v:.{digits}g}"
    return "0" if s == "-0" else s


def p(v: float, digits: int = 10) -> str:
    """A number as the right side of an operator: negative ones in brackets."""
    s = g(v, digits)
    return f"({s})" if s.startswith("-") else s


def identity_spec(activation: str, zs: list[float]) -> str:
    """One layer whose z equals its input: W = I, no bias."""
    n = len(zs)
    rows = [[1 if i == j else 0 for j in range(n)] for i in range(n)]
    return f"input: {zs}\nlayers:\n  - name: act\n    activation: {activation}\n    weights: {rows}\n"


def cells(out: str) -> list[str]:
    """The last column of each table row (the activation, worked out); not the header."""
    return [line.split("│")[-2].strip() for line in out.splitlines() if line.startswith("│")]


ZS = [-0.3775, 0.3775, 2.5]

SQRT_HALF = math.sqrt(0.5)
BETA = math.sqrt(2 / math.pi)
LAMBDA = 1.0507009873554804934193349852946
ALPHA = 1.6732632423543772848170429916717


def softplus(z):
    return math.log(1 + math.exp(z))


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


EXPECTED = {
    "sigmoid": lambda z: f"1 / (1 + e^({g(-z)})) = 1 / (1 + {g(math.exp(-z))}) = {g(sigmoid(z))}",
    "silu": lambda z: f"{g(z)} / (1 + e^({g(-z)})) = {g(z)} / (1 + {g(math.exp(-z))}) = {g(z * sigmoid(z))}",
    "tanh": lambda z: (
        f"(e^({g(z)}) - e^({g(-z)})) / (e^({g(z)}) + e^({g(-z)}))"
        f" = ({g(math.exp(z))} - {g(math.exp(-z))}) / ({g(math.exp(z))} + {g(math.exp(-z))}) = {g(math.tanh(z))}"
    ),
    "softplus": lambda z: f"ln(1 + e^({g(z)})) = ln(1 + {g(math.exp(z))}) = {g(softplus(z))}",
    "elu": lambda z: g(z) + " (z > 0)" if z > 0 else f"e^({g(z)}) - 1 = {g(math.exp(z))} - 1 = {g(math.expm1(z))}",
    "selu": lambda z: (
        f"{g(LAMBDA)} × {p(z)} = {g(LAMBDA * z)}"
        if z > 0
        else f"{g(LAMBDA * ALPHA)} × (e^({g(z)}) - 1) = {g(LAMBDA * ALPHA)} × ({g(math.exp(z))} - 1)"
        f" = {g(LAMBDA * ALPHA * math.expm1(z))}"
    ),
    "gelu": lambda z: (
        f"{g(z / 2)} × (1 + erf({g(z * SQRT_HALF)})) = {g(z / 2)} × (1 + {p(math.erf(z * SQRT_HALF))})"
        f" = {g(z / 2 * (1 + math.erf(z * SQRT_HALF)))}"
    ),
    "gelu_tanh": lambda z: (
        f"{g(z / 2)} × (1 + tanh({g(BETA * (z + 0.044715 * z**3))})) = {g(z / 2)} × (1 + {p(math.tanh(BETA * (z + 0.044715 * z**3)))})"
        f" = {g(z / 2 * (1 + math.tanh(BETA * (z + 0.044715 * z**3))))}"
    ),
    "mish": lambda z: (
        f"{g(z)} × tanh(ln(1 + e^({g(z)}))) = {g(z)} × tanh({g(softplus(z))}) = {g(z)} × {g(math.tanh(softplus(z)))}"
        f" = {g(z * math.tanh(softplus(z)))}"
    ),
    "softsign": lambda z: f"{g(z)} / (1 + |{g(z)}|) = {g(z)} / (1 + {g(abs(z))}) = {g(z / (1 + abs(z)))}",
    "relu": lambda z: f"max(0, {g(z)}) = {g(max(0.0, z))}",
    "hard_tanh": lambda z: f"min(max({g(z)}, -1), 1) = {g(min(max(z, -1.0), 1.0))}",
    "hard_sigmoid": lambda z: (
        f"min(max({g(z)} + 3, 0), 6) / 6 = {g(min(max(z + 3, 0), 6))} / 6 = {g(min(max(z + 3, 0), 6) / 6)}"
    ),
    "{name: leaky_relu, alpha: 0.01}": lambda z: g(z) + " (z > 0)" if z > 0 else f"0.01 × {p(z)} = {g(0.01 * z)}",
}


@pytest.mark.parametrize("activation", EXPECTED)
def test_each_step_in_the_table(run, spec_file, activation):
    result = run("forward", spec_file(identity_spec(activation, ZS)), env=WIDE)
    assert result.exit_code == 0, result.output
    assert cells(result.stdout) == [EXPECTED[activation](z) for z in ZS]


def test_the_issue_example_at_four_digits(run, spec_file):
    result = run("forward", spec_file(identity_spec("sigmoid", [0.3775])), "--precision", "4", env=WIDE)
    assert "1 / (1 + e^(-0.3775)) = 1 / (1 + 0.6856) = 0.5933" in result.stdout
    assert g(1 / (1 + math.exp(-0.3775)), 4) == "0.5933" and g(math.exp(-0.3775), 4) == "0.6856"


def test_the_seed_examples_branches(run, spec_file):
    # Example 1: ReLU(-0.3) takes the branch 0; leaky ReLU the branch 0.01 z.
    out = run("forward", "neuron", env=WIDE).stdout
    assert "max(0, -0.3) = 0" in out
    leaky = spec_file(identity_spec("leaky_relu", [-0.3]))
    assert "0.01 × (-0.3) = -0.003" in run("forward", leaky, env=WIDE).stdout


def test_softplus_parameters_and_threshold(run, spec_file):
    out = run("forward", spec_file(identity_spec("{name: softplus, beta: 2}", [0.5, 25.0])), env=WIDE).stdout
    assert "= ln(1 + e^(2z)) / 2, or z if 2z > 20" in out
    rows = cells(out)
    assert rows[0] == f"ln(1 + e^(1)) / 2 = ln(1 + {g(math.e)}) / 2 = {g(math.log1p(math.e) / 2)}"
    assert rows[1] == "25 (βz > threshold)"


def test_elu_alpha(run, spec_file):
    out = run("forward", spec_file(identity_spec("{name: elu, alpha: 0.5}", [-1.0])), env=WIDE).stdout
    assert cells(out)[0] == f"0.5 × (e^(-1) - 1) = 0.5 × ({g(math.exp(-1))} - 1) = {g(0.5 * math.expm1(-1))}"


@pytest.mark.parametrize("kind", ["softmax", "log_softmax"])
def test_softmax_block(run, spec_file, kind):
    zs = [-0.1, 3.5, 1.25]
    out = run("forward", spec_file(identity_spec(kind, zs)), env=WIDE).stdout
    m = max(zs)
    powers = [math.exp(z - m) for z in zs]
    total = math.fsum(powers)
    assert f"m = max z = {g(m)}" in out and "keeps every power at most 1" in out
    for z, e in zip(zs, powers):
        assert f"  e^({g(z)} - {p(m)}) = e^({g(z - m)}) = {g(e)}\n" in out
    assert f"  Σ = {' + '.join(g(e) for e in powers)} = {g(total)}\n" in out
    if kind == "softmax":
        for i, e in enumerate(powers):
            assert f"  a_{i + 1} = {g(e)} / {g(total)} = {g(e / total)}\n" in out
    else:
        assert f"  ln Σ = ln({g(total)}) = {g(math.log(total))}\n" in out
        for i, z in enumerate(zs):
            assert f"  a_{i + 1} = {g(z - m)} - {g(math.log(total))} = {g(z - m - math.log(total))}\n" in out


def test_long_softmax_sum_is_shortened_like_a_sum(run, spec_file):
    zs = [i / 10 for i in range(12)]
    out = run("forward", spec_file(identity_spec("softmax", zs)), env=WIDE).stdout
    m = max(zs)
    powers = [math.exp(z - m) for z in zs]
    shown = [*map(g, powers[:3]), "… 7 more terms …", *map(g, powers[-2:])]
    assert f"  Σ = {' + '.join(shown)} = {g(math.fsum(powers))}\n" in out


def test_brief_keeps_values_only(run, spec_file):
    out = run("forward", spec_file(identity_spec("sigmoid", ZS)), "--brief", env=WIDE).stdout
    assert cells(out) == [g(sigmoid(z)) for z in ZS]
    out = run("forward", spec_file(identity_spec("softmax", ZS)), "--brief", env=WIDE).stdout
    assert "step by step" not in out


def test_documents_show_the_same_steps(run, spec_file):
    md = run("forward", spec_file(identity_spec("sigmoid", ZS)), "--format", "markdown").stdout
    for j, z in enumerate(ZS, 1):
        e = math.exp(-z)
        line = rf"a_{j}^{{(1)}} &= \frac{{1}}{{1 + e^{{{g(-z)}}}}} = \frac{{1}}{{1 + {g(e)}}} = {g(sigmoid(z))}"
        assert line in md, line
    assert r"\sigma(z) = \frac{1}{1 + e^{-z}}" in md
    md = run("forward", spec_file(identity_spec("softmax", [1.0, 3.0])), "--format", "markdown").stdout
    total = math.exp(-2) + 1
    assert rf"e^{{z_1 - m}} &= e^{{1 - 3}} = e^{{-2}} = {g(math.exp(-2))}" in md
    assert rf"a_1^{{(1)}} &= \frac{{{g(math.exp(-2))}}}{{{g(total)}}} = {g(math.exp(-2) / total)}" in md
    brief = run("forward", spec_file(identity_spec("sigmoid", ZS)), "--format", "markdown", "--brief").stdout
    assert r"\frac{1}{1 + e^" not in brief and rf"\sigma({g(ZS[0])})" in brief


def test_narrow_terminal_breaks_between_steps(run, spec_file):
    out = run("forward", spec_file(identity_spec("sigmoid", [0.3775])), env={"COLUMNS": "30"}).stdout
    block = out[out.index("unit 1") :]
    lines = block.splitlines()
    assert lines[3] == "  a = sigmoid(z)"
    assert lines[4:7] == [
        f"    = 1 / (1 + e^({g(-0.3775)}))",
        f"    = 1 / (1 + {g(math.exp(-0.3775))})",
        f"    = {g(sigmoid(0.3775))}",
    ]


def test_overflowing_steps_fall_back_to_the_value(run, spec_file):
    # e^(800) is beyond float64: the step is not shown, the value is.
    out = run("forward", spec_file(identity_spec("sigmoid", [-800.0, 1.0])), env=WIDE).stdout
    assert cells(out)[0] == "0"
    assert cells(out)[1].startswith("1 / (1 + e^(-1))")


def test_large_layers_are_shortened_as_the_sums_are(run, spec_file):
    zs = [i / 10 - 2 for i in range(40)]
    out = run("forward", spec_file(identity_spec("sigmoid", zs)), env=WIDE).stdout
    rows = [c for c in cells(out) if c != "…"]
    assert len(rows) == 16
    assert rows[0] == EXPECTED["sigmoid"](zs[0]) and rows[-1] == EXPECTED["sigmoid"](zs[-1])
    assert len(run("forward", spec_file(identity_spec("sigmoid", zs)), "--all", env=WIDE).stdout.splitlines()) > 40
