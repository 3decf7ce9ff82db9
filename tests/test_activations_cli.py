"""nncalc activations: the seed's comparison table, --at, --json, --plot and --save."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from tests.reference import REFERENCE
from tests.conftest import assert_one_error


def test_table_has_the_seeds_content(run):
    out = " ".join(run("activations", env={"COLUMNS": "250"}).stdout.split())
    # The seed's comparison table, row by row: formula, range, typical use, known problem.
    for cells in [
        ("sigmoid", "1 / (1 + e^(-z))", "(0, 1)", "Output layer (binary classification)", "Vanishing gradient"),
        ("tanh", "(e^z - e^(-z)) / (e^z + e^(-z))", "(-1, 1)", "Hidden layers (older architectures)", "Vanishing gradient"),
        ("relu", "max(0, z)", "[0, ∞)", "Hidden layers (default choice)", "Dying neurons"),
        ("leaky_relu", "max(αz, z)", "(-∞, ∞)", "Hidden layers", "Adds hyperparameter α"),
    ]:
        for cell in cells:
            assert cell in out, cell
    assert "torch.nn.GELU" in out
    assert "0.3 in Keras' LeakyReLU layer" in out


def test_json_lists_every_activation_with_computed_saturation(run):
    result = run("activations", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    by_name = {a["name"]: a for a in doc["activations"]}
    assert set(by_name) == set(REFERENCE)
    # The seed: sigmoid's and tanh's gradients vanish at both ends; ReLU's is 0 for z < 0;
    # leaky ReLU's is alpha there.
    assert by_name["sigmoid"]["gradient_at_saturation"] == {"negative": 0.0, "positive": 0.0}
    assert by_name["tanh"]["gradient_at_saturation"] == {"negative": 0.0, "positive": 0.0}
    assert by_name["relu"]["gradient_at_saturation"] == {"negative": 0.0, "positive": 1.0}
    assert by_name["leaky_relu"]["gradient_at_saturation"] == {"negative": 0.01, "positive": 1.0}
    assert by_name["leaky_relu"]["params"] == {"alpha": 0.01}
    assert by_name["silu"]["aliases"] == ["swish"]
    assert "points" not in doc


def test_at_values_and_derivatives(run):
    doc = json.loads(run("activations", "--at", "-2", "--at", "0.5", "--only", "sigmoid,tanh,elu,softmax", "--json").stdout)
    assert doc["points"] == [-2.0, 0.5]
    got = {a["name"]: a["at"] for a in doc["activations"]}
    assert [a["name"] for a in doc["activations"]] == ["sigmoid", "tanh", "elu", "softmax"]
    for name in ("sigmoid", "tanh", "elu"):
        assert [p["value"] for p in got[name]] == pytest.approx(REFERENCE[name]([-2.0, 0.5]), rel=1e-12)
    # sigmoid' = s(1 - s) and tanh' = 1 - tanh^2, from the closed forms
    s = np.array(REFERENCE["sigmoid"]([-2.0, 0.5]))
    assert [p["derivative"] for p in got["sigmoid"]] == pytest.approx(s * (1 - s), rel=1e-12)
    t = np.array(REFERENCE["tanh"]([-2.0, 0.5]))
    assert [p["derivative"] for p in got["tanh"]] == pytest.approx(1 - t * t, rel=1e-12)
    # softmax takes the points as one layer
    p = np.array(REFERENCE["softmax"]([-2.0, 0.5]))
    assert [q["value"] for q in got["softmax"]] == pytest.approx(p, rel=1e-12)
    assert [q["derivative"] for q in got["softmax"]] == pytest.approx(p * (1 - p), rel=1e-12)


def test_at_table(run):
    out = run("activations", "--at", "-2", "--at", "0.5", "--only", "relu,softmax").stdout
    assert "σ(-2)" in out and "σ'(0.5)" in out
    assert "softmax acts on the whole layer" in out


@pytest.mark.parametrize("plain", [True, False])
def test_terminal_plot(run, plain):
    env = {} if plain else {"FORCE_COLOR": "1", "NO_COLOR": None, "TERM": "xterm-256color"}
    result = run("activations", "--only", "relu,sigmoid,tanh", "--plot", env=env)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Activation functions σ(z) over [-5, 5]" in out
    for name in ("relu", "sigmoid", "tanh"):
        assert name in out
    assert ("\x1b[" in out) is (not plain)  # colour only when forced onto a terminal
    assert max(len(line) for line in out.splitlines()) <= 80 or not plain


def test_derivative_plot_and_range(run):
    out = run("activations", "--only", "relu", "--plot", "--derivative", "--range", "-3,3").stdout
    assert "Derivatives σ'(z) over [-3, 3]" in out


def test_save_png(run, tmp_path):
    path = tmp_path / "curves.png"
    result = run("activations", "--only", "relu,sigmoid", "--save", str(path))
    assert result.exit_code == 0, result.output
    assert f"wrote {path}" in result.stderr
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and b"IEND" in data[-12:]


def test_save_svg(run, tmp_path):
    path = tmp_path / "curves.svg"
    assert run("activations", "--derivative", "--range", "-3,3", "--save", str(path)).exit_code == 0
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    # matplotlib writes each text as glyphs preceded by a comment with the text itself:
    # every activation appears in the legend.
    text = path.read_text()
    for name in REFERENCE:
        assert f"<!-- {name} -->" in text, name


@pytest.mark.parametrize(
    "args, message",
    [
        (["--only", "relu,rleu"], "--only: unknown activation 'rleu'"),
        (["--at", "x"], "--at 'x': 'x' is not a number"),
        (["--at", "nan"], "not a finite number"),
        (["--plot", "--range", "5,-5"], "the first number must be smaller"),
        (["--plot", "--range", "1"], "expected two numbers"),
        (["--plot", "--json"], "cannot go with --json"),
        (["--save", "curves.jpg"], "--save writes .png or .svg files"),
    ],
)
def test_errors(run, args, message):
    assert_one_error(run("activations", *args), message)


def test_gelu_in_a_spec(run, spec_file):
    path = spec_file("input: [-1.5, 0.25]\nlayers:\n  - weights: [[1, 0], [0, 1]]\n    activation: gelu\n")
    rec = json.loads(run("forward", path, "--json").stdout)
    assert rec["output"] == pytest.approx(REFERENCE["gelu"]([-1.5, 0.25]), rel=1e-14)


# -- layouts that read, values float64 cannot hold, plots of every curve


def test_80_columns_never_break_a_word(run):
    result = run("activations", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert max(map(len, out.splitlines())) <= 80
    words = set(out.split())
    doc = json.loads(run("activations", "--json").stdout)
    for a in doc["activations"]:
        for text in (a["pytorch"], a["formula"], a["typical_use"], a["known_problem"]):
            for word in text.split():
                assert word in words, (a["name"], word)


def test_wide_terminals_get_the_table(run):
    out = run("activations", env={"COLUMNS": "160"}).stdout
    assert "┃ Function / PyTorch" in out and "torch.nn.Sigmoid" in out


def test_json_never_holds_nan_or_infinity():
    import math

    from nncalc import activations as registry
    from nncalc.render.data import activations_record, dumps

    d = registry.REGISTRY["sigmoid"]
    s = registry.saturation(registry.get("sigmoid"))
    points = np.array([1.0, 2.0, 3.0])
    values = [(np.array([0.5, math.inf, -math.inf]), np.array([math.nan, 0.25, 0.0]))]
    doc = json.loads(dumps(activations_record([(d, s)], (points, values))), parse_constant=pytest.fail)
    at = doc["activations"][0]["at"]
    assert at[0] == {"z": 1.0, "value": 0.5, "derivative": None, "derivative_reason": "undefined (overflow)"}
    assert at[1] == {"z": 2.0, "value": None, "value_reason": "overflow (> 1.8e308)", "derivative": 0.25}
    assert at[2]["value"] is None and at[2]["value_reason"] == "overflow (< -1.8e308)"


def test_at_huge_z_through_the_cli(run):
    result = run("activations", "--at", "1e308", "--at", "-1e308", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout, parse_constant=pytest.fail)  # NaN or Infinity would fail
    for a in doc["activations"]:
        for point in a["at"]:
            for key in ("value", "derivative"):
                assert isinstance(point[key], float) or point[f"{key}_reason"], (a["name"], point)
    table = run("activations", "--at", "1e308", "--at", "-1e308", env={"COLUMNS": "120"}).stdout
    words = set(table.replace("(", " ").replace(")", " ").split())
    assert not words & {"nan", "inf", "-inf"}
    nulls = sum(p[k] is None for a in doc["activations"] for p in a["at"] for k in ("value", "derivative"))
    assert table.count("overflow") == nulls


def test_plot_of_every_curve_has_a_legend(run):
    result = run("activations", "--plot")
    assert result.exit_code == 0, result.output
    out = result.stdout
    legend = out[out.index("+ sigmoid") :]
    names = [a["name"] for a in json.loads(run("activations", "--json").stdout)["activations"]]
    markers = re.findall(r"(\S) (\w+)", legend)
    assert [n for _, n in markers][: len(names)] == names
    assert len({m for m, _ in markers[: len(names)]}) == len(names)  # a marker each
    assert "softmax([z, 0])₁, which equals sigmoid(z)" in " ".join(out.split())


@pytest.mark.parametrize("columns", ["1000000", "20"])
def test_plot_width_is_capped(run, columns):
    result = run("activations", "--plot", env={"COLUMNS": columns})
    assert result.exit_code == 0, result.output
    assert max(map(len, result.stdout.splitlines())) <= 200


def test_plot_of_the_whole_float_range(run):
    result = run("activations", "--range=-1.7e308,1.7e308", "--plot", "--only", "relu,sigmoid,softmax")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def test_plot_grid_spans_the_whole_float_range():
    from nncalc.render.plot import plot_grid

    z = plot_grid(-1.7e308, 1.7e308, 801)
    assert np.isfinite(z).all() and z[0] == -1.7e308 and z[-1] == 1.7e308 and (np.diff(z) > 0).all()
    assert plot_grid(-5, 5, 11).tolist() == [-5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_huge_values_are_scaled_in_the_plot():
    import io

    from rich.console import Console

    from nncalc.render.plot import plot_grid, terminal_plot

    z = plot_grid(-1.7e308, 1.7e308, 101)
    buf = io.StringIO()
    terminal_plot(Console(file=buf, width=80, color_system=None), z, [("linear", z.copy())], "t")
    out = buf.getvalue()
    assert "z (×1e308)" in out and "σ (×1e308)" in out
    assert "-1.7" in out and "1.7" in out
