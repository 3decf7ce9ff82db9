"""``nncalc approximate``: the network it writes is the piecewise-linear interpolant
(checked against NumPy's ``interp``), its error is within the textbook bound and falls as
1/N², and bad input of every kind is one clean error line."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import nncalc
from nncalc.approximate import approximate, interpolate
from nncalc.expression import parse
from tests.conftest import assert_one_error

# f, its text, its range, and max|f''| on that range, worked out by hand.
FUNCTIONS = {
    "sin": (np.sin, "sin(x)", (0.0, math.pi), 1.0),  # |f''| = |sin x|, 1 at pi/2
    "exp": (np.exp, "exp(x)", (0.0, 1.0), math.e),  # f'' = e^x, largest at 1
    "square": (np.square, "x**2", (-1.0, 2.0), 2.0),  # f'' = 2 everywhere
}
UNIT_COUNTS = [1, 2, 3, 5, 8, 16, 32, 64, 100]


def lines(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def measured_error(f, a: float, b: float, n: int, points: int = 200_001) -> float:
    """max |f − interpolant| written independently: np.interp on a grid of its own."""
    knots = np.linspace(a, b, n + 1)
    x = np.linspace(a, b, points)
    return float(np.max(np.abs(f(x) - np.interp(x, knots, f(knots)))))


# --------------------------------------------------------------- the written network


@pytest.mark.parametrize(
    "text, a, b, n, f",
    [
        ("sin(x)", 0.0, 3.14159, 8, np.sin),
        ("exp(x)", 0.0, 1.0, 16, np.exp),
        ("x**2", -1.0, 2.0, 5, np.square),
        ("1/(1 + 25*x**2)", -1.0, 1.0, 64, lambda x: 1 / (1 + 25 * x**2)),
        ("abs(x)", -1.0, 2.0, 7, np.abs),
    ],
)
def test_written_spec_is_the_interpolant(run, tmp_path, text, a, b, n, f):
    path = tmp_path / "net.yaml"
    result = run("approximate", text, "--range", f"{a!r},{b!r}", "--units", str(n), "--write", str(path))
    assert result.exit_code == 0, result.output
    net = nncalc.load(path)
    assert net.sizes == (1, n, 1)
    x = np.linspace(a, b, 10_000)
    knots = np.linspace(a, b, n + 1)
    got = net.predict(x.reshape(-1, 1))[:, 0]
    np.testing.assert_allclose(got, np.interp(x, knots, f(knots)), rtol=0, atol=1e-12)


def test_weights_are_the_changes_of_slope(run, tmp_path):
    path = tmp_path / "sin8.yaml"
    run("approximate", "sin(x)", "--range", "0,3.14159", "--units", "8", "--write", str(path))
    hidden, output = nncalc.load(path).layers
    knots = np.linspace(0, 3.14159, 9)
    y = np.sin(knots)
    s = (y[1:] - y[:-1]) / (knots[1:] - knots[:-1])
    assert hidden.activation.name == "relu" and output.activation.name == "linear"
    assert hidden.W.tolist() == [[1.0]] * 8
    np.testing.assert_allclose(hidden.b, -knots[:-1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(output.W[0], [s[0], *(s[1:] - s[:-1])], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(output.b, [0.0], atol=0)


def test_written_spec_works_with_every_command(run, tmp_path):
    path = str(tmp_path / "sin8.yaml")
    run("approximate", "sin(x)", "--range", "0,pi", "--units", "8", "--write", path)
    text = open(path).read()
    assert text.startswith("# Built by nncalc approximate")
    assert "f(x) = sin(x) on [0, 3.141592654]" in text.split("name:")[0]
    for command in (["validate", path], ["forward", path], ["forward", path, "--input", "1.2", "--json"],
                    ["collapse", path], ["graph", path]):
        assert run(*command).exit_code == 0, command
    # forward runs the worked example at x = 1.2: the interpolant there
    out = json.loads(run("forward", path, "--input", "1.2", "--json").stdout)["output"][0]
    knots = np.linspace(0, math.pi, 9)
    assert out == pytest.approx(np.interp(1.2, knots, np.sin(knots)), abs=1e-12)


def test_outside_the_range_flat_on_the_left_last_slope_on_the_right():
    fit = approximate(np.sin, 0.0, math.pi, [4]).largest
    net = fit.network()
    knots = np.linspace(0, math.pi, 5)
    y = np.sin(knots)
    last_slope = (y[4] - y[3]) / (knots[4] - knots[3])
    x = np.array([-5.0, -0.1, math.pi + 0.5, 10.0])
    expected = [y[0], y[0], y[4] + last_slope * 0.5, y[4] + last_slope * (10 - math.pi)]
    np.testing.assert_allclose(net.predict(x.reshape(-1, 1))[:, 0], expected, atol=1e-12)


def test_fast_evaluation_is_the_network():
    # The error is measured with the network evaluated in O(points + N) from its weights;
    # it must agree with the engine's forward pass everywhere, also outside the range.
    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 64, 500):
        fit = approximate(np.exp, -1.0, 2.0, [n]).largest
        x = rng.uniform(-3, 4, 2000)
        np.testing.assert_allclose(fit(x), fit.network().predict(x.reshape(-1, 1))[:, 0], rtol=1e-13, atol=1e-13)


# ---------------------------------------------------------------- error and bound


@pytest.mark.parametrize("name", FUNCTIONS)
def test_error_within_the_bound(name):
    f, text, (a, b), f2 = FUNCTIONS[name]
    study = approximate(parse(text), a, b, UNIT_COUNTS, text)
    assert [fit.units for fit in study.fits] == UNIT_COUNTS
    for fit in study.fits:
        n = fit.units
        hand_bound = (b - a) ** 2 * f2 / (8 * n * n)
        assert fit.bound == pytest.approx(hand_bound, rel=1e-6)  # max|f''| estimated well
        # the reported error is the interpolant's, measured on a grid of the test's own
        assert fit.max_error == pytest.approx(measured_error(f, a, b, n), rel=1e-4)
        if name == "square":
            # For x², the bound is exact: the error is h²/4 at each interval's middle.
            assert fit.max_error == pytest.approx(((b - a) / n) ** 2 / 4, rel=1e-12)
            assert fit.max_error <= hand_bound * (1 + 1e-9)  # equal, up to rounding
        else:
            assert fit.max_error < fit.bound
            assert fit.max_error < hand_bound


@pytest.mark.parametrize("name", FUNCTIONS)
def test_error_falls_as_one_over_n_squared(run, name):
    _, text, (a, b), _ = FUNCTIONS[name]
    result = run("approximate", text, "--range", f"{a!r},{b!r}", "--units", "8,16,32,64,128", "--json")
    records = lines(result)
    errors = [r["max_error"] for r in records]
    for prev, this in zip(errors, errors[1:]):
        assert 3.7 < prev / this < 4.3  # doubling N divides the error by about 4
    slope = np.polyfit(np.log([8, 16, 32, 64, 128]), np.log(errors), 1)[0]
    assert slope == pytest.approx(-2, abs=0.05)
    assert approximate(parse(text), a, b, [8, 16, 32, 64, 128]).order == pytest.approx(-slope, abs=1e-9)


def test_json_one_object_per_unit_count(run):
    result = run("approximate", "exp(x)", "--range", "0,1", "--units", "64,2,8", "--json")
    assert result.exit_code == 0 and result.stderr == ""
    records = lines(result)
    assert [r["units"] for r in records] == [2, 8, 64]  # fewest first
    for r in records:
        assert {"units", "max_error", "bound"} <= set(r)
        assert r["function"] == "exp(x)" and r["range"] == [0.0, 1.0]
        assert r["bound"] == pytest.approx(math.e / (8 * r["units"] ** 2), rel=1e-4)
        assert r["max_error"] == pytest.approx(measured_error(np.exp, 0, 1, r["units"]), rel=1e-4)
        assert r["second_derivative"] == "estimated"
        assert r["second_derivative_max"] == pytest.approx(math.e, rel=1e-3)


def test_several_unit_counts_write_the_largest(run, tmp_path):
    path = tmp_path / "net.yaml"
    result = run("approximate", "exp(x)", "--range", "0,1", "--units", "2,4,8,16,32,64", "--write", str(path))
    assert result.exit_code == 0
    assert nncalc.load(path).sizes == (1, 64, 1)
    assert f"wrote {path}" in result.stderr


def test_table_of_several_unit_counts(run):
    out = run("approximate", "exp(x)", "--range", "0,1", "--units", "2,4,8").stdout
    for n in (2, 4, 8):
        assert f"{measured_error(np.exp, 0, 1, n):.4g}" in out
        assert f"{math.e / (8 * n * n):.4g}" in out
    assert "(1/N²: 4)" in out
    assert "bound = (b − a)² · max|f''| / (8N²)" in out


def test_table_of_one_network_shows_knots_and_weights(run):
    out = run("approximate", "sin(x)", "--range", "0,3.14159", "--units", "8").stdout
    knots = np.linspace(0, 3.14159, 9)
    y = np.sin(knots)
    s = np.diff(y) / np.diff(knots)
    for v in (knots[1], y[3], s[2], s[1] - s[0]):
        assert f"{v:.4g}" in out
    assert f"on 10,001 points: {measured_error(np.sin, 0, 3.14159, 8):.4g}" in out
    assert f"= {3.14159 ** 2 / (8 * 64):.4g}" in out  # the bound, max|f''| = 1


def test_range_takes_constants(run):
    (record,) = lines(run("approximate", "sin(x)", "--range", "-pi/2,2*pi", "--units", "4", "--json"))
    assert record["range"] == [-math.pi / 2, 2 * math.pi]


def test_kink_has_no_bound(run):
    # |x| has no second derivative at 0: the bound for smooth f does not apply.
    records = lines(run("approximate", "abs(x)", "--range", "-1,2", "--units", "2,4", "--json"))
    assert [r["bound"] for r in records] == [None, None]
    assert records[0]["second_derivative"] == "unbounded"
    assert records[0]["max_error"] == pytest.approx(measured_error(np.abs, -1, 2, 2), rel=1e-4)
    out = run("approximate", "sqrt(x)", "--range", "0,1", "--units", "4").stdout
    assert "does not apply" in out


def test_straight_line_is_exact(run):
    (record,) = lines(run("approximate", "3*x - 1", "--range", "-2,5", "--units", "4", "--json"))
    assert record["max_error"] < 1e-14
    assert record["second_derivative"] == "flat" and record["bound"] < 1e-9


@pytest.mark.parametrize(
    "text, a, b, point",
    [("log(x)", "0", "1", "x = 0"), ("1/x", "-1", "1", "x = 0"), ("sqrt(x)", "-1", "1", "x = -1"),
     ("exp(x)", "0", "1000", "x = 709.")],
)
def test_not_finite_on_the_range_names_the_point(run, text, a, b, point):
    assert_one_error(run("approximate", text, "--range", f"{a},{b}"), f"f(x) = {text} is not finite at {point}")


# ---------------------------------------------------------------------- samples


def write_samples(tmp_path, text: str, name: str = "points.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_samples_are_the_knots(run, tmp_path):
    rng = np.random.default_rng(3)
    x = rng.uniform(-2, 3, 17)
    y = rng.normal(size=17)
    csv = "x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(x, y))  # unsorted, with a header
    samples = write_samples(tmp_path, csv)
    spec = tmp_path / "fit.yaml"
    result = run("approximate", "--samples", samples, "--units", "16", "--write", str(spec))
    assert result.exit_code == 0, result.output
    net = nncalc.load(spec)
    assert net.sizes == (1, 16, 1)
    order = np.argsort(x)
    grid = np.linspace(x.min(), x.max(), 10_000)
    np.testing.assert_allclose(net.predict(grid.reshape(-1, 1))[:, 0], np.interp(grid, x[order], y[order]), atol=1e-12)
    np.testing.assert_allclose(net.predict(x.reshape(-1, 1))[:, 0], y, atol=1e-12)
    assert "The network passes through every sample" in result.stdout
    (record,) = lines(run("approximate", "--samples", samples, "--json"))
    assert record["units"] == 16 and record["bound"] is None and record["max_error"] < 1e-12
    assert record["samples"] == samples


def test_samples_from_standard_input(run):
    (record,) = lines(run("approximate", "--samples", "-", "--json", input="0,0\n1,1\n3,0\n"))
    assert record["samples"] == "<stdin>" and record["units"] == 2 and record["range"] == [0.0, 3.0]
    assert_one_error(run("approximate", "--samples", "-", input="0,0\n1,x\n"), "<stdin>:2:3: 'x' is not a number")


def test_samples_in_other_formats(run, tmp_path):
    np.save(tmp_path / "p.npy", np.array([[0.0, 1.0], [2.0, 0.0], [1.0, 3.0]]))
    (tmp_path / "p.json").write_text("[[0, 1], [2, 0], [1, 3]]")
    for name in ("p.npy", "p.json"):
        (record,) = lines(run("approximate", "--samples", str(tmp_path / name), "--json"))
        assert record["units"] == 2 and record["range"] == [0.0, 2.0]


BAD_SAMPLES = [
    ("duplicate x", "0,0\n1,1\n1,2\n", "x = 1 is given twice (samples 2 and 3)"),
    ("empty", "", "has no inputs"),
    ("comments only", "# nothing\n\n", "has no inputs"),
    ("one sample", "0,1\n", "1 sample: a network needs at least 2"),
    ("not a number", "0,0\n1,abc\n", ":2:3: 'abc' is not a number"),
    ("three columns", "0,0,0\n", ":1: expected 2 values, got 3"),
    ("nan", "0,0\n1,nan\n", ":2:"),
    ("too steep", "0,1e308\n1e-300,-1e308\n", "too large for float64"),
]


@pytest.mark.parametrize("text, message", [b[1:] for b in BAD_SAMPLES], ids=[b[0] for b in BAD_SAMPLES])
def test_bad_samples(run, tmp_path, text, message):
    path = write_samples(tmp_path, text)
    assert_one_error(run("approximate", "--samples", path), f"error: {path}", message)


def test_bad_sample_files(run, tmp_path):
    (tmp_path / "latin1.csv").write_bytes(b"0,1\n\xe9,2\n")
    assert_one_error(run("approximate", "--samples", str(tmp_path / "latin1.csv")), "not UTF-8 text")
    assert_one_error(run("approximate", "--samples", str(tmp_path / "missing.csv")), "no such file")
    assert_one_error(run("approximate", "--samples", str(tmp_path)), "it is a folder")
    np.save(tmp_path / "objects.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
    assert_one_error(run("approximate", "--samples", str(tmp_path / "objects.npy")), "refuses to load")
    fifo = tmp_path / "fifo"
    try:
        import os

        os.mkfifo(fifo)
    except (AttributeError, OSError):
        return
    assert_one_error(run("approximate", "--samples", str(fifo)), "not a regular file")


def test_samples_and_units_must_agree(run, tmp_path):
    path = write_samples(tmp_path, "0,0\n1,1\n2,0\n")
    assert_one_error(run("approximate", "--samples", path, "--units", "3"), "3 samples make a network of 2 hidden units")
    assert_one_error(run("approximate", "--samples", path, "--units", "2,4"), "give one number")
    assert run("approximate", "--samples", path, "--units", "2").exit_code == 0


def test_interpolate_api_sorts_and_refuses_duplicates():
    fit = interpolate(np.array([2.0, 0.0, 1.0]), np.array([4.0, 0.0, 1.0])).largest
    assert fit.knots.tolist() == [0.0, 1.0, 2.0]
    assert fit.weights.tolist() == [1.0, 2.0]  # slopes 1 then 3
    with pytest.raises(nncalc.InputError, match="given twice"):
        interpolate(np.array([0.0, 0.0]), np.array([1.0, 2.0]))


# ------------------------------------------------------------------ command line


BAD_ARGUMENTS = [
    (["sin(x)"], "give the interval of x with --range"),
    ([], "give an expression in x"),
    (["sin(x)", "--range", "1,0"], "the first number must be smaller"),
    (["sin(x)", "--range", "0,1,2"], "expected two numbers"),
    (["sin(x)", "--range", "0,y"], "--range '0,y': end 'y', column 1: unknown name 'y'"),
    (["sin(x)", "--range", "0,x"], "x is not allowed here"),
    (["sin(x)", "--range", "0,1e999"], "too large for float64"),
    (["sin(x)", "--range", "-1e308,1e308"], "too wide for float64"),
    (["sin(x)", "--range", "0,1", "--units", "0"], "0 units; expected between 1 and 100,000"),
    (["sin(x)", "--range", "0,1", "--units", "100001"], "expected between 1 and 100,000"),
    (["sin(x)", "--range", "0,1", "--units", "9" * 400], "expected between 1 and 100,000"),
    (["sin(x)", "--range", "0,1", "--units", "2,2"], "2 is given twice"),
    (["sin(x)", "--range", "0,1", "--units", ",".join(map(str, range(1, 22)))], "give at most 20"),
    (["sin(x)", "--range", "0,1", "--units", "2.5"], "'2.5' is not a whole number"),
    (["sin(x)", "--range", "0,1", "--units", "-4"], "'-4' is not a whole number"),
    (["sin(x)", "--range", "0,1", "--units", "8,"], "'' is not a whole number"),
    (["sin(x)", "--range", "0,1", "--units", "٣"], "is not a whole number"),
    (["sin(x)", "--range", "0,1", "--plot", "--json"], "--plot draws in the terminal"),
    (["sin(x)", "--range", "0,1", "--save", "fit.txt"], "--save writes .png or .svg"),
    (["sin(x)", "--range", "0,1", "--format", "csv"], "expected one of table, json"),
    (["sin(x)", "--samples", "p.csv"], "give an expression or --samples, not both"),
    (["--samples", "p.csv", "--range", "0,1"], "--range does not go with --samples"),
    (["sin(x)", "--range", "0,1e-320", "--units", "100000"], "too narrow for 100,000 units"),
]


@pytest.mark.parametrize("args, message", BAD_ARGUMENTS, ids=[" ".join(a)[:40] for a, _ in BAD_ARGUMENTS])
def test_bad_arguments(run, args, message):
    assert_one_error(run("approximate", *args), message)


def test_long_and_hostile_arguments_are_quoted_short_and_escaped(run, tmp_path):
    line = assert_one_error(run("approximate", "sin(x)", "--range", "0," + "1" * 100_000), "too large for float64")
    assert len(line) < 300
    line = assert_one_error(run("approximate", "sin(x)", "--range", "0,1", "--units", "9" * 100_000))
    assert len(line) < 300
    name = str(tmp_path / "a\x1b[31mb.csv")
    line = assert_one_error(run("approximate", "--samples", name), "no such file")
    assert "\x1b" not in line and "a\\x1b[31mb.csv" in line
    bad = tmp_path / "d\x1b.csv"
    bad.write_text("0,0\nx,1\n")
    line = assert_one_error(run("approximate", "--samples", str(bad)), "d\\x1b.csv:2:1: 'x' is not a number")
    assert "\x1b" not in line


def test_unwritable_outputs(run, tmp_path):
    missing = tmp_path / "no" / "such"
    assert_one_error(run("approximate", "sin(x)", "--range", "0,1", "--write", str(missing / "a.yaml")), "cannot write the file")
    assert_one_error(run("approximate", "sin(x)", "--range", "0,1", "--save", str(missing / "a.png")), "cannot write the file")


def test_expression_may_start_with_a_minus(run):
    (record,) = lines(run("approximate", "-x**2", "--range", "0,1", "--units", "4", "--json"))
    assert record["function"] == "-x**2"
    assert record["max_error"] == pytest.approx(1 / 64, rel=1e-9)  # h²/4 with h = 1/4
    (record,) = lines(run("approximate", "--range", "0,1", "-tanh(x)", "--json"))
    assert record["function"] == "-tanh(x)" and record["units"] == 8


def test_plot_in_the_terminal(run):
    result = run("approximate", "sin(x)", "--range", "0,pi", "--units", "8", "--plot")
    assert result.exit_code == 0, result.output
    plot = result.stdout.split("estimated from 10,001 points)")[1]
    assert "f(x) = sin(x)" in plot and "network, 8 units" in plot and "knots" in plot
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_save_a_picture(run, tmp_path, suffix, magic):
    for args in (["exp(x)", "--range", "0,1", "--units", "2,4,8"], ["sin(x)", "--range", "0,pi"]):
        path = tmp_path / f"fit{suffix}"
        result = run("approximate", *args, "--save", str(path))
        assert result.exit_code == 0, result.output
        assert path.read_bytes().startswith(magic)
        assert result.stderr == f"wrote {path}\n"
    samples = write_samples(tmp_path, "0,0\n1,1\n2,0\n")
    assert run("approximate", "--samples", samples, "--save", str(tmp_path / f"s{suffix}")).exit_code == 0


def test_help_has_examples(run):
    result = run("approximate", "--help")
    _, examples = result.stdout.split("Examples:", 1)
    assert 'nncalc approximate "sin(x)"' in examples
    assert "--samples" in examples
