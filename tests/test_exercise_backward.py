"""``nncalc exercise --backward``: backward passes a person can work out, checked here
with ``fractions`` (a backward pass written in this file) and against ``nncalc backward``.

For 200 seeds of each two-layer shape (50 of a three-layer one): the loss, every ∂L/∂a, δ and gradient has at most four
decimal places; the target has one; some output differs from its target; the engine's
gradients equal the fractions. The solution sheet's numbers are ``backward``'s, on the
spec the exercise writes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from fractions import Fraction as F

import pytest

from nncalc.exercise import generate
from tests.conftest import assert_one_error
from tests.test_exercise import NUMBER, exact_pass, places_ok


def backward_pass(net, x, t, loss):
    """The loss and every ∂L/∂a, δ, ∂L/∂W and ∂L/∂b of ``net`` (relu, leaky_relu with
    alpha 0.1, linear) on ``x`` and target ``t``, in fractions, last layer first, as
    (E, [(upstream, delta, grad_W, grad_b)])."""
    zs, acts, _ = exact_pass(net, x)
    a, K = acts[-1], len(t)
    if loss == "half-sse":
        E = sum((tk - ak) ** 2 for ak, tk in zip(a, t)) / 2
        g = [ak - tk for ak, tk in zip(a, t)]
    else:
        assert loss == "mse"
        E = sum((ak - tk) ** 2 for ak, tk in zip(a, t)) / K
        g = [F(2) * (ak - tk) / K for ak, tk in zip(a, t)]
    layers = []
    for k in range(len(net.layers) - 1, -1, -1):
        layer = net.layers[k]
        name = layer.activation.name
        slope = {"relu": lambda z: F(int(z > 0)), "leaky_relu": lambda z: F(1) if z > 0 else F(1, 10)}.get(
            name, lambda z: F(1)
        )
        delta = [gi * slope(z) for gi, z in zip(g, zs[k])]
        below = acts[k - 1] if k else [F(repr(float(v))) for v in x]
        W = [[F(repr(float(w))) for w in row] for row in layer.W]
        layers.append((g, delta, [[d * v for v in below] for d in delta], delta))
        g = [sum((W[i][j] * delta[i] for i in range(len(delta))), F(0)) for j in range(len(below))]
    return E, layers


SHAPES = [
    ([2, 3, 1], ["relu", "linear"], "half-sse", 200),
    ([2, 2, 2], ["relu", "linear"], "mse", 200),
    ([3, 1], ["relu"], "half-sse", 200),
    ([3, 4, 3, 1], ["relu", "leaky_relu", "linear"], "half-sse", 50),  # (slower to draw)
]


@pytest.mark.parametrize("sizes, names, loss, seeds", SHAPES, ids=lambda v: ",".join(map(str, v)) if isinstance(v, list) else str(v))
def test_seeds_have_easy_backward_passes(sizes, names, loss, seeds):
    for seed in range(seeds):
        (e,) = generate(sizes, names, seed=seed, loss=loss)
        assert e.exact and e.loss == loss and e.precision == 10
        x, t = e.net.input[0], [F(repr(float(v))) for v in e.net.target[0]]
        assert t == list(e.target) and all(places_ok(q, 1) and -1 <= q <= 1 for q in t)
        E, layers = backward_pass(e.net, x, t, loss)
        values = [E] + [q for g, d, gW, gb in layers for q in [*g, *d, *[v for row in gW for v in row], *gb]]
        assert all(places_ok(q, 4) for q in values), (seed, [q for q in values if not places_ok(q, 4)])
        _, acts, _ = exact_pass(e.net, x)
        assert any(a != q for a, q in zip(acts[-1], t))
        assert any(d != 0 for d in layers[0][1])  # some gradient passes the output layer
        # the engine agrees with the fractions
        grads = e.net.backward(loss=loss)
        assert grads.loss == pytest.approx(float(E), abs=1e-12)
        for lg, (_, delta, gW, gb) in zip(reversed(grads.layers), layers):
            assert lg.delta[0].tolist() == pytest.approx([float(q) for q in delta], abs=1e-12)
            assert lg.grad_W.ravel().tolist() == pytest.approx([float(q) for row in gW for q in row], abs=1e-12)
            assert lg.grad_b.tolist() == pytest.approx([float(q) for q in gb], abs=1e-12)


def test_a_single_relu_output_fires_in_a_backward_exercise():
    """A forward exercise of one ReLU unit has it silent (the seed's Example 1); a backward
    one cannot, or no gradient would pass it."""
    for seed in range(30):
        (e,) = generate([3, 1], ["relu"], seed=seed, loss="half-sse")
        zs, _, _ = exact_pass(e.net, e.net.input[0])
        assert zs[0][0] > 0


def _worked(solution: str) -> str:
    return solution[solution.index("### Exercise 1: solution") :].split("\n", 1)[1]


@pytest.mark.parametrize("seed", range(0, 200, 20))
@pytest.mark.parametrize("lr", [None, "0.5"])
def test_solution_numbers_are_backwards(run, tmp_path, seed, lr):
    spec = tmp_path / "ex.yaml"
    step = ["--lr", lr] if lr else []
    args = ["exercise", "--sizes", "2,3,2", "--activations", "relu,linear", "--backward", *step, "--seed", str(seed)]
    solution = run(*args, "--solution", "--spec", str(spec))
    assert solution.exit_code == 0, solution.output
    assert f"# Check it with: nncalc backward ex.yaml{' --lr 0.5' if lr else ''}\n" in spec.read_text()
    backward = run("backward", str(spec), *step, "--format", "markdown")
    assert backward.exit_code == 0, backward.output
    worked, expected = _worked(solution.stdout), backward.stdout.split("\n", 1)[1]
    assert NUMBER.findall(worked) == NUMBER.findall(expected)
    assert worked.replace("##### ", "#### ").replace("#### Given", "### Given") == expected.replace(
        "### Gradient descent", "#### Gradient descent"
    )
    question = run(*args).stdout
    assert "## Exercise: a backward pass" in question
    assert "at most four decimal places" in question
    assert ("learning rate $\\eta = 0.5$" in question) == bool(lr)
    target = re.search(r"Target: \$\\mathbf\{t\} = (\\begin\{bmatrix\}.*?\\end\{bmatrix\})\$", question).group(1)
    assert f"Target $\\mathbf{{t}} = {target}$" in backward.stdout  # the question's target is the spec's
    for W in re.findall(r"W\^\{\(\d\)\} = \\begin\{bmatrix\}.*?\\end\{bmatrix\}", question):
        assert W in backward.stdout


def test_rounded_answers_and_the_default_loss(run, tmp_path):
    spec = tmp_path / "ex.yaml"
    args = ["exercise", "--sizes", "3,2", "--activations", "sigmoid", "--backward", "--seed", "1"]
    question = run(*args).stdout
    assert "Give each value to 4 significant digits." in question and "Loss: half-sse" in question
    solution = run(*args, "--solution", "--spec", str(spec)).stdout
    assert "# Check it with: nncalc backward ex.yaml --precision 4\n" in spec.read_text()
    backward = run("backward", str(spec), "--format", "markdown", "--precision", "4").stdout
    assert NUMBER.findall(_worked(solution)) == NUMBER.findall(backward.split("\n", 1)[1])


@pytest.mark.parametrize(
    "sizes, names, loss, kind",
    [
        ("2,3,3", "relu,softmax", None, "class"),
        ("2,3,3", "relu,log_softmax", None, "class"),
        ("2,2,2", "tanh,sigmoid", "bce", "binary"),
        ("2,2,1", "relu,sigmoid", "half-sse", "unit"),
        ("2,2,1", "relu,relu", "mse", "unit"),
    ],
)
def test_targets_fit_the_loss(run, tmp_path, sizes, names, loss, kind):
    for seed in range(5):
        spec = tmp_path / f"ex{seed}.yaml"
        extra = ["--loss", loss] if loss else []
        args = ["exercise", "--sizes", sizes, "--activations", names, "--backward", *extra, "--seed", str(seed)]
        result = run(*args, "--spec", str(spec))
        assert result.exit_code == 0, result.output
        target = [float(v) for v in re.search(r"^target: \[(.*)\]$", spec.read_text(), re.M).group(1).split(",")]
        if kind == "class":
            assert sorted(target) == [0.0] * (len(target) - 1) + [1.0]
            assert f"(class {target.index(1.0) + 1} of {len(target)}, one-hot)" in result.stdout
        elif kind == "binary":
            assert set(target) <= {0.0, 1.0}
        else:
            assert all(0 <= v <= 1 and places_ok(F(repr(v)), 1) for v in target)
        checked = run("backward", str(spec), *extra, "--json")
        assert checked.exit_code == 0, checked.output


def test_a_network_too_large_for_easy_numbers_is_one_error(run, monkeypatch):
    monkeypatch.setattr("nncalc.exercise.MAX_BACKWARD_RESTARTS", 3)  # (100 draws take seconds)
    assert_one_error(
        run("exercise", "--backward", "--sizes", "8,8,8,8,8,8,8"),
        "no backward exercise of sizes 8,8,8,8,8,8,8 with easy numbers found in 3 draws",
        "fewer layers or units",
    )


def test_a_learning_rate_that_overflows_is_one_error(run):
    assert_one_error(run("exercise", "--backward", "--lr", "1e308"), "exercise 1: after 1 step", "overflows")


def test_same_seed_same_backward_sheet(run):
    args = ["exercise", "--backward", "--seed", "4", "--count", "3"]
    first, again = run(*args), run(*args)
    assert first.exit_code == 0 and first.stdout == again.stdout
    assert "## Exercises: 3 backward passes" in first.stdout and "### Exercise 3" in first.stdout


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--lr", "0.1"], ["--lr belongs to a backward exercise", "--backward"]),
        (["--loss", "mse"], ["--loss belongs to a backward exercise"]),
        (["--backward", "--loss", "msee"], ["--loss 'msee'", "did you mean 'mse'"]),
        (["--backward", "--lr", "0"], ["--lr '0'", "must be positive"]),
        (["--backward", "--lr", "fast"], ["--lr"]),
        (["--backward", "--loss", "bce"], ["bce takes probabilities", "linear"]),
        (["--backward", "--sizes", "2,3,2", "--activations", "relu,softmax", "--loss", "nll"], ["nll takes log-probabilities"]),
    ],
)
def test_bad_backward_options_are_one_error(run, args, fragments):
    assert_one_error(run("exercise", *args), *fragments)


def test_latex_backward_sheets_compile_within_the_margins(run, tmp_path):
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("pdflatex is not installed")
    small = ["--sizes", "3,4,3", "--activations", "relu,softmax", "--backward", "--lr", "0.1", "--count", "2"]
    cases = [
        ("q", small),
        ("s", [*small, "--solution"]),
        # sums of eight terms (∂L/∂a, E) are broken between terms to fit the page
        ("w", ["--sizes", "8,8,8", "--activations", "tanh,softmax", "--backward", "--lr", "0.001", "--count", "2", "--solution"]),
        ("e", ["--sizes", "8,8,8", "--backward", "--lr", "0.1", "--solution"]),
    ]
    for name, args in cases:
        (tmp_path / f"{name}.tex").write_text(run("exercise", *args, "-f", "latex").stdout, encoding="utf-8")
        proc = subprocess.run(
            [pdflatex, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], cwd=tmp_path, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout[-2000:]
        assert "Overfull \\hbox" not in (tmp_path / f"{name}.log").read_text(errors="replace")


@pytest.mark.parametrize(
    "args",
    [
        ["--sizes", "2,2,1", "--backward", "--lr", "0.5"],
        ["--sizes", "2,3,1", "--backward"],
        ["--sizes", "3,4", "--activations", "linear", "--backward", "--loss", "mse"],
        ["--sizes", "3,4,2"],
    ],
)
def test_no_float64_noise_where_a_value_is_exactly_zero(run, args):
    """An exact 0 that float64 computes as -2.8e-17 would be written as such: such draws
    are drawn again (the seed's own values are sums of one-decimal products)."""
    for seed in range(0, 120, 3):
        solution = run("exercise", *args, "--seed", str(seed), "--solution").stdout
        assert not re.search(r"10\^\{-1\d\}", solution), (seed, re.findall(r"[-\d.]+ \\times 10\^\{-1\d\}", solution))


@pytest.mark.parametrize("names", ["hard_sigmoid,linear", "hard_swish,linear"])
def test_slopes_that_are_not_easy_numbers_give_rounded_answers(run, names):
    question = run("exercise", "--sizes", "2,3,1", "--activations", names, "--backward", "--seed", "2").stdout
    assert "Give each value to 4 significant digits." in question


@pytest.mark.parametrize("name, value", [("softmax", "always 1"), ("log_softmax", "always 0")])
def test_a_one_unit_softmax_output_is_refused_at_once(run, name, value):
    assert_one_error(
        run("exercise", "--sizes", "2,3,1", "--activations", f"relu,{name}", "--backward"),
        f"the output layer is a {name} of one unit: {value}",
        "2 or more units",
    )


def test_the_pytorch_of_cross_entropy_after_sigmoid_is_its_formula(run, tmp_path):
    torch = pytest.importorskip("torch")
    spec = tmp_path / "ce.yaml"
    args = ["exercise", "--sizes", "2,3,3", "--activations", "relu,sigmoid", "--loss", "cross-entropy", "--backward"]
    question = run(*args, "--seed", "2", "--spec", str(spec)).stdout
    assert "(in PyTorch: -(t \\* a.log()).sum(1).mean())" in question
    import yaml

    doc = yaml.safe_load(spec.read_text())
    f64 = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    x, t = f64([doc["input"]]), f64([doc["target"]])
    h = torch.relu(x @ f64(doc["layers"][0]["weights"]).T + f64(doc["layers"][0]["bias"]))
    a = torch.sigmoid(h @ f64(doc["layers"][1]["weights"]).T + f64(doc["layers"][1]["bias"]))
    expected = float(-(t * a.log()).sum(1).mean())
    shown = re.search(r"E = .*? = ([\d.]+)\n", run(*args, "--seed", "2", "--solution").stdout).group(1)
    assert float(shown) == pytest.approx(expected, abs=5e-5)  # (to 4 significant digits)


@pytest.mark.parametrize("lr, shown", [("0.123456789012", "0.123456789012"), ("1e-5", "1 \\times 10^{-5}")])
def test_the_learning_rate_is_written_as_given(run, lr, shown):
    question = run("exercise", "--backward", "--lr", lr).stdout
    assert f"$\\eta = {shown}$" in question


def test_a_learning_rate_that_rounds_to_zero_says_so(run):
    assert_one_error(run("exercise", "--backward", "--lr", "1e-400"), "--lr '1e-400'", "rounds to 0")
    assert_one_error(run("backward", "two-layer", "-t", "1", "--lr", "1e-400"), "rounds to 0")


@pytest.mark.parametrize("names, low, high", [("relu,softmax", 0.0, 1.0), ("relu,log_softmax", -1.0, 0.0)])
def test_regression_targets_after_softmax_fit_its_outputs(run, tmp_path, names, low, high):
    for seed in range(6):
        spec = tmp_path / f"t{seed}.yaml"
        args = ["exercise", "--sizes", "2,3,3", "--activations", names, "--backward", "--loss", "mse", "--seed", str(seed)]
        question = run(*args, "--spec", str(spec)).stdout
        target = [float(v) for v in re.search(r"^target: \[(.*)\]$", spec.read_text(), re.M).group(1).split(",")]
        assert all(low <= v <= high for v in target)
        if names.endswith(",softmax"):
            assert sorted(target) == [0.0, 0.0, 1.0]  # a class, and the sheet says which
            assert f"(class {target.index(1.0) + 1} of 3, one-hot)" in question
