"""``nncalc exercise``: numbers a person can compute, checked with ``fractions`` here.

For 200 seeds: every z, a and product (w)(a) has at most three decimal places, and some
ReLU units fire while some do not; the solution sheet's numbers are ``forward``'s.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from fractions import Fraction as F

import pytest

from nncalc.exercise import generate
from tests.conftest import assert_one_error

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def places_ok(q: F, places: int = 3) -> bool:
    return (q * 10**places).denominator == 1


def exact_pass(net, x):
    """Every z, a and product of ``net`` on ``x``, in fractions; the weights as written."""
    a = [F(repr(float(v))) for v in x]
    zs, acts, products = [], [], []
    for layer in net.layers:
        W = [[F(repr(float(w))) for w in row] for row in layer.W]
        b = [F(repr(float(v))) for v in layer.b]
        products += [w * ai for row in W for w, ai in zip(row, a)]
        z = [sum((w * ai for w, ai in zip(row, a)), F(0)) + bi for row, bi in zip(W, b)]
        name = layer.activation.name
        if name == "relu":
            a = [q if q > 0 else F(0) for q in z]
        elif name == "leaky_relu":
            assert dict(layer.activation.params)["alpha"] == 0.1
            a = [q if q > 0 else q / 10 for q in z]
        else:
            assert name == "linear"
            a = z
        zs.append(z)
        acts.append(a)
    return zs, acts, products


SHAPES = [
    ([2, 3, 1], ["relu", "linear"]),
    ([3, 4, 3, 2], ["relu", "leaky_relu", "linear"]),
    ([4, 2, 2, 3, 1], ["relu", "relu", "relu", "linear"]),
]


@pytest.mark.parametrize("sizes, names", SHAPES, ids=lambda v: ",".join(map(str, v)))
def test_200_seeds_have_easy_numbers_and_some_units_fire(sizes, names):
    for seed in range(200):
        (e,) = generate(sizes, names, seed=seed)
        x = e.net.input[0]
        assert all(float(v).is_integer() and -3 <= v <= 3 for v in x)
        for layer in e.net.layers:
            for v in [*layer.W.ravel(), *layer.b]:
                assert places_ok(F(repr(float(v))), 1), v  # one decimal place
        zs, acts, products = exact_pass(e.net, x)
        for q in [*[q for z in zs for q in z], *[q for a in acts for q in a], *products]:
            assert places_ok(q), (seed, q)
        relu_z = [q for layer, z in zip(e.net.layers, zs) if layer.activation.name in ("relu", "leaky_relu") for q in z]
        assert any(q > 0 for q in relu_z) and any(q < 0 for q in relu_z), (seed, relu_z)
        # every hidden ReLU layer passes something on
        for layer, z in zip(e.net.layers[:-1], zs):
            assert any(q > 0 for q in z), (seed, layer.name)
        # and the engine agrees with the fractions
        trace = e.net.forward()
        for z, lt in zip(zs, trace.layers):
            assert [float(q) for q in z] == pytest.approx(lt.z[0].tolist(), abs=1e-12)


def test_all_fire():
    for seed in range(50):
        (e,) = generate([3, 4, 2], ["relu", "linear"], seed=seed, all_fire=True)
        zs, _, _ = exact_pass(e.net, e.net.input[0])
        assert all(q > 0 for q in zs[0])


def test_one_relu_unit_does_not_fire_like_example_1():
    for seed in range(20):
        (e,) = generate([3, 1], ["relu"], seed=seed)
        zs, acts, _ = exact_pass(e.net, e.net.input[0])
        assert zs[0][0] < 0 and acts[0] == [0]
        (e,) = generate([2, 1, 1, 1], ["relu", "relu", "linear"], seed=seed)
        zs, _, _ = exact_pass(e.net, e.net.input[0])
        assert zs[0][0] > 0 > zs[1][0]  # the first passes its value on, the last does not fire


def test_same_seed_same_sheet(run):
    args = ["exercise", "--sizes", "2,3,1", "--activations", "relu,linear", "--seed", "7"]
    first, again, other = run(*args), run(*args), run(*args[:-1], "8")
    assert first.exit_code == 0, first.output
    assert first.stdout == again.stdout != other.stdout
    many = run(*args, "--count", "3").stdout
    assert "### Exercise 3" in many and "### Exercise 4" not in many
    body = first.stdout[first.stdout.index("### Exercise 1") :]
    assert body in many  # the first of three is the one --count 1 gives


@pytest.mark.parametrize("seed", range(0, 200, 10))
def test_solution_numbers_are_forwards(run, tmp_path, seed):
    spec = tmp_path / "ex.yaml"
    args = ["exercise", "--sizes", "3,4,2", "--activations", "relu,linear", "--seed", str(seed)]
    solution = run(*args, "--solution", "--spec", str(spec))
    assert solution.exit_code == 0, solution.output
    forward = run("forward", str(spec), "--format", "markdown")
    assert forward.exit_code == 0, forward.output
    worked = solution.stdout[solution.stdout.index("### Exercise 1: solution") :].split("\n", 1)[1]
    expected = forward.stdout.split("\n", 1)[1]  # without its title
    assert NUMBER.findall(worked) == NUMBER.findall(expected)
    assert worked.replace("##### ", "#### ").replace("#### Given", "### Given") == expected.replace(
        "### Input", "#### Input"
    )
    question = run(*args).stdout
    for W in re.findall(r"W\^\{\(\d\)\} = \\begin\{bmatrix\}.*?\\end\{bmatrix\}", question):
        assert W in forward.stdout  # the question gives the same W as the spec


def test_rounded_answers_for_other_activations(run, tmp_path):
    spec = tmp_path / "ex.yaml"
    args = ["exercise", "--sizes", "3,2,2", "--activations", "sigmoid,softmax", "--seed", "1"]
    question = run(*args).stdout
    assert "Give each value to 4 significant digits." in question
    solution = run(*args, "--solution", "--spec", str(spec)).stdout
    assert "nncalc forward ex.yaml --precision 4" in spec.read_text()
    forward = run("forward", str(spec), "--format", "markdown", "--precision", "4").stdout
    worked = solution[solution.index("### Exercise 1: solution") :].split("\n", 1)[1]
    assert NUMBER.findall(worked) == NUMBER.findall(forward.split("\n", 1)[1])
    # the first layer's sums still have at most three decimals
    zs = re.findall(r"z_\d\^\{\(1\)\} &= .*? = (-?[\d.]+)", worked)
    assert zs and all(places_ok(F(z)) for z in zs)


def test_files_and_formats(run, tmp_path):
    out = tmp_path / "sheet.tex"
    result = run("exercise", "--count", "2", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert f"wrote {out}" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith(r"\documentclass") and text == run("exercise", "--count", "2", "-f", "latex").stdout
    assert run("exercise", "-f", "markdown").stdout.startswith("## Exercise: a forward pass")


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--sizes", "2,x,1"], ["'x' is not a whole number"]),
        (["--sizes", "2"], ["at least one layer"]),
        (["--sizes", "2,30,1"], ["30 is not between 1 and 8"]),
        (["--sizes", "2,0,1"], ["0 is not between 1 and 8"]),
        (["--sizes", "2," * 10 + "1"], ["at most 6"]),
        (["--activations", "relu,nope"], ["unknown activation 'nope'"]),
        (["--activations", "relu,relu,relu"], ["3 names for 2 layers"]),
        (["-f", "html"], ["expected one of markdown, latex"]),
        (["-o", "/nonexistent-dir/x.md"], ["cannot write the file"]),
    ],
)
def test_bad_options_are_one_error(run, args, fragments):
    assert_one_error(run("exercise", *args), *fragments)


def test_same_file_twice_is_refused(run, tmp_path):
    path = str(tmp_path / "x")
    assert_one_error(run("exercise", "-o", path, "--spec", path), "same file")


def test_latex_sheets_compile_within_the_margins(run, tmp_path):
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("pdflatex is not installed")
    for name, extra in [("q", []), ("s", ["--solution"])]:
        args = ["exercise", "--sizes", "4,5,3,2", "--activations", "relu,tanh,softmax", "--count", "3", "-f", "latex"]
        (tmp_path / f"{name}.tex").write_text(run(*args, *extra).stdout, encoding="utf-8")
        proc = subprocess.run(
            [pdflatex, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], cwd=tmp_path, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout[-2000:]
        assert "Overfull \\hbox" not in (tmp_path / f"{name}.log").read_text(errors="replace")


def test_relu_after_a_rounded_layer_still_fires_and_not():
    for seed in range(100):
        (e,) = generate([3, 4, 3, 1], ["tanh", "relu", "linear"], seed=seed)
        assert not e.exact and e.precision == 4
        z = e.net.forward().layers[1].z[0]  # after tanh: rounded answers, signs as planned
        assert (z > 0.04).any() and (z < -0.04).any(), z


def test_messages_name_the_flags(run):
    assert_one_error(run("exercise", "--sizes", "2,x"), "--sizes '2,x'")
    assert_one_error(run("exercise", "--activations", "nope"), "--activations: unknown activation 'nope'")
