"""``nncalc backward`` as users call it: every format, the step, --write, --check, --steps,
targets from options and from the spec, and one clean error line for every bad input.

Every number asserted here is worked out in the test with plain Python arithmetic.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

import nncalc
from nncalc.activations import REGISTRY
from tests.conftest import assert_golden, assert_one_error

MAZUR = """name: 2-2-2 sigmoid
input: [0.05, 0.10]
target: [0.01, 0.99]
layers:
  - name: hidden
    activation: sigmoid
    weights: [[0.15, 0.20], [0.25, 0.30]]
    bias: [0.35, 0.35]
  - name: output
    activation: sigmoid
    weights: [[0.40, 0.45], [0.50, 0.55]]
    bias: [0.60, 0.60]
"""


def sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def mazur_by_hand(lr: float = 0.5) -> dict:
    """The classic example's numbers, worked out the way the textbook does."""
    i1, i2, t1, t2 = 0.05, 0.10, 0.01, 0.99
    w = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
    b1, b2 = 0.35, 0.60
    h1, h2 = sigmoid(w[0] * i1 + w[1] * i2 + b1), sigmoid(w[2] * i1 + w[3] * i2 + b1)
    o1, o2 = sigmoid(w[4] * h1 + w[5] * h2 + b2), sigmoid(w[6] * h1 + w[7] * h2 + b2)
    d1, d2 = (o1 - t1) * o1 * (1 - o1), (o2 - t2) * o2 * (1 - o2)
    e1, e2 = (d1 * w[4] + d2 * w[6]) * h1 * (1 - h1), (d1 * w[5] + d2 * w[7]) * h2 * (1 - h2)
    return {
        "E": 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2,
        "delta": [[e1, e2], [d1, d2]],
        "grad_W": [[[e1 * i1, e1 * i2], [e2 * i1, e2 * i2]], [[d1 * h1, d1 * h2], [d2 * h1, d2 * h2]]],
        "W_new": [
            [[w[0] - lr * e1 * i1, w[1] - lr * e1 * i2], [w[2] - lr * e2 * i1, w[3] - lr * e2 * i2]],
            [[w[4] - lr * d1 * h1, w[5] - lr * d1 * h2], [w[6] - lr * d2 * h1, w[7] - lr * d2 * h2]],
        ],
        "b_new": [[b1 - lr * e1, b1 - lr * e2], [b2 - lr * d1, b2 - lr * d2]],
    }


WIDE = {"COLUMNS": "250"}  # so that no line of a table wraps


def record(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def close(got, want, rel=1e-13):
    if isinstance(want, list):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            close(g, w, rel)
    else:
        assert got == pytest.approx(want, rel=rel, abs=1e-300)


# ------------------------------------------------------------------------ JSON


def test_json_keys_are_the_documented_interface(run, spec_file):
    rec = record(run("backward", spec_file(MAZUR), "--json"))
    assert list(rec) == ["loss_function", "loss", "layers"]
    assert [list(layer) for layer in rec["layers"]] == [["name", "delta", "grad_W", "grad_b", "grad_input"]] * 2
    rec = record(run("backward", spec_file(MAZUR), "--json", "--lr", "0.5"))
    assert list(rec) == ["loss_function", "loss", "layers", "loss_after"]
    assert list(rec["layers"][0]) == ["name", "delta", "grad_W", "grad_b", "grad_input", "W_new", "b_new"]


def test_classic_example_with_one_step(run, spec_file):
    want = mazur_by_hand()
    rec = record(run("backward", spec_file(MAZUR), "--loss", "half-sse", "--lr", "0.5", "--json"))
    assert rec["loss_function"] == "half-sse"
    close(rec["loss"], want["E"])
    assert [layer["name"] for layer in rec["layers"]] == ["hidden", "output"]
    for k in range(2):
        close(rec["layers"][k]["delta"], want["delta"][k])
        close(rec["layers"][k]["grad_W"], want["grad_W"][k])
        close(rec["layers"][k]["grad_b"], want["delta"][k])
        close(rec["layers"][k]["W_new"], want["W_new"][k], rel=1e-15)
        close(rec["layers"][k]["b_new"], want["b_new"][k], rel=1e-15)
    # The figures the example is known by.
    assert round(rec["loss"], 9) == 0.298371109
    assert round(rec["layers"][1]["W_new"][0][0], 8) == 0.35891648
    assert rec["loss_after"] < rec["loss"]


def test_seed_example_2_with_a_target(run):
    rec = record(run("backward", "two-layer", "--target", "1", "--json"))
    h = [0.1, 0.8, 0.7]  # the seed's hidden activations, output 0.28
    d = 0.28 - 1.0
    close(rec["loss"], 0.5 * (1 - 0.28) ** 2)
    hidden, output = rec["layers"]
    close(output["delta"], [d])
    close(output["grad_W"], [[d * v for v in h]])
    close(output["grad_input"], [0.7 * d, -0.3 * d, 0.5 * d])
    close(hidden["delta"], [0.7 * d, -0.3 * d, 0.5 * d])  # every ReLU unit fired
    close(hidden["grad_W"], [[0.7 * d * 1, 0.7 * d * 2], [-0.3 * d * 1, -0.3 * d * 2], [0.5 * d * 1, 0.5 * d * 2]])
    close(hidden["grad_input"], [0.2 * 0.7 * d + 0.4 * -0.3 * d + -0.5 * 0.5 * d, -0.1 * 0.7 * d + 0.3 * -0.3 * d + 0.6 * 0.5 * d])


def test_batch_json_has_per_input_deltas_and_mean_gradients(run, spec_file):
    spec = spec_file("layers:\n  - name: out\n    activation: sigmoid\n    weights: [[0.5, -0.25]]\n    bias: [0.1]\n")
    rec = record(run("backward", spec, "-i", "1,2", "-t", "0", "-i", "3,4", "-t", "1", "--loss", "bce", "--json"))
    xs, ts = [[1, 2], [3, 4]], [0, 1]
    deltas = []
    losses = []
    for x, t in zip(xs, ts):
        a = sigmoid(0.5 * x[0] - 0.25 * x[1] + 0.1)
        losses.append(-(t * math.log(a) + (1 - t) * math.log(1 - a)))
        deltas.append((a - t) / (a * (1 - a)) * a * (1 - a))  # BCE's derivative times σ'
    close(rec["loss"], sum(losses) / 2)
    layer = rec["layers"][0]
    close(layer["delta"], [[deltas[0]], [deltas[1]]], rel=1e-12)
    close(layer["grad_W"], [[sum(deltas[n] * xs[n][j] for n in range(2)) / 2 for j in range(2)]], rel=1e-12)
    close(layer["grad_b"], [sum(deltas) / 2], rel=1e-12)
    close(layer["grad_input"], [[deltas[0] * 0.5, deltas[0] * -0.25], [deltas[1] * 0.5, deltas[1] * -0.25]], rel=1e-12)


def test_softmax_cross_entropy_with_a_class(run, spec_file):
    spec = spec_file("layers:\n  - name: probs\n    activation: softmax\n    weights: [[1, 0], [0, 1], [1, 1]]\n")
    rec = record(run("backward", spec, "-i", "1,2", "--target-class", "2", "--json"))
    e = [math.exp(v) for v in (1, 2, 3)]
    a = [v / sum(e) for v in e]
    assert rec["loss_function"] == "cross-entropy"  # the default after softmax
    close(rec["loss"], -math.log(a[1]))
    close(rec["layers"][0]["delta"], [a[0], a[1] - 1, a[2]])


def test_log_softmax_defaults_to_nll(run, spec_file):
    spec = spec_file("layers:\n  - activation: log_softmax\n    weights: [[1, 0], [0, 1]]\n")
    rec = record(run("backward", spec, "-i", "0,1", "--target-class", "1", "--json"))
    p1 = math.exp(0) / (math.exp(0) + math.exp(1))
    assert rec["loss_function"] == "nll"
    close(rec["loss"], -math.log(p1))
    close(rec["layers"][0]["delta"], [p1 - 1, 1 - p1])


def test_steps_and_losses(run, spec_file):
    rec = record(run("backward", spec_file(MAZUR), "--lr", "0.5", "--steps", "3", "--json"))
    assert len(rec["losses"]) == 4 and rec["losses"][0] == rec["loss"] and rec["losses"][-1] == rec["loss_after"]
    assert rec["losses"] == sorted(rec["losses"], reverse=True)
    # The weights after three steps reproduce the last loss, worked out by hand.
    (W1, b1), (W2, b2) = ((l["W_new"], l["b_new"]) for l in rec["layers"])
    h = [sigmoid(W1[i][0] * 0.05 + W1[i][1] * 0.10 + b1[i]) for i in range(2)]
    o = [sigmoid(W2[i][0] * h[0] + W2[i][1] * h[1] + b2[i]) for i in range(2)]
    close(rec["loss_after"], 0.5 * (0.01 - o[0]) ** 2 + 0.5 * (0.99 - o[1]) ** 2, rel=1e-14)


def test_steps_table(run, spec_file):
    out = run("backward", spec_file(MAZUR), "--lr", "0.5", "--steps", "40", "--brief", env=WIDE).stdout
    assert "Loss per step" in out and "before" in out and "21 more" in out
    assert "40 steps of gradient descent" in out


# ------------------------------------------------------------------------ --write


def test_write_round_trips_every_bit(run, spec_file, tmp_path):
    out = tmp_path / "updated.yaml"
    rec = record(run("backward", spec_file(MAZUR), "--lr", "0.5", "--write", str(out), "--json"))
    net = nncalc.load(str(out))
    for layer, want in zip(net.layers, rec["layers"]):
        assert layer.W.tolist() == want["W_new"] and layer.b.tolist() == want["b_new"]
    assert net.target.tolist() == [[0.01, 0.99]] and net.input.tolist() == [[0.05, 0.1]]
    # Every command reads it, and a backward pass from it starts at the loss after the step.
    assert run("forward", str(out), "--json").exit_code == 0
    assert run("validate", str(out)).exit_code == 0
    again = record(run("backward", str(out), "--json"))
    assert again["loss"] == rec["loss_after"]
    assert "Updated by nncalc backward" in out.read_text()


def test_write_says_so_on_stderr(run, spec_file, tmp_path):
    out = tmp_path / "u.yaml"
    result = run("backward", spec_file(MAZUR), "--lr", "0.5", "-w", str(out), "--brief")
    assert result.exit_code == 0 and f"wrote {out}" in result.stderr


# ------------------------------------------------------------------------ tables


def test_table_shows_every_chain_rule_term(run, spec_file):
    out = run("backward", spec_file(MAZUR), "--lr", "0.5", "--precision", "4", env=WIDE).stdout
    for piece in [
        "Loss E = ½(0.01 − 0.7514)² + ½(0.99 − 0.7729)² = 0.2984",
        "−(0.01 − 0.7514) = 0.7414",
        "0.7514 × 0.2486 = 0.1868",
        "0.7414 × 0.1868 = 0.1385",
        "(0.1385)(0.5933) = 0.08217",
        "(0.4)(0.1385) + (0.5)(-0.0381) = 0.03635",
        "0.4 − 0.5 × 0.08217 = 0.3589",
        "computed from the original weights",
        "Loss after the step: 0.2805 (before: 0.2984; lower).",
    ]:
        assert piece in out, piece


def test_softmax_in_a_hidden_layer_shows_its_jacobian_product(run, spec_file):
    spec = spec_file(
        "input: [1, -1]\ntarget: [0.5]\nlayers:\n  - name: mix\n    activation: softmax\n    weights: [[1, 0], [0, 1]]\n"
        "  - name: out\n    weights: [[2, -1]]\n"
    )
    out = run("backward", spec, "--brief", env=WIDE).stdout
    assert "δ_i = a_i (g_i − Σ_j g_j a_j)" in out.replace("\n", " ") or "a_i (g_i − Σ_j g_j a_j)" in out
    assert "Σ_j g_j a_j = " in out


@pytest.mark.parametrize("fmt, suffix", [("table", "txt"), ("markdown", "md"), ("latex", "tex")])
def test_golden_two_layer(run, update_golden, fmt, suffix):
    result = run("backward", "two-layer", "--target", "1", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert_golden(f"backward-two-layer.{suffix}", result.stdout, update_golden)


@pytest.mark.parametrize("fmt, suffix", [("table", "txt"), ("markdown", "md")])
def test_golden_classic_step(run, spec_file, update_golden, fmt, suffix):
    result = run("backward", spec_file(MAZUR), "--lr", "0.5", "--precision", "4", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert_golden(f"backward-2-2-2.{suffix}", result.stdout, update_golden)


def test_golden_batch_brief(run, spec_file, update_golden):
    spec = spec_file(
        "name: classifier\ninput: [[1, 2], [0.5, -1], [2, 0]]\ntarget: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]\nlayers:\n"
        "  - name: hidden\n    activation: tanh\n    weights: [[0.5, -0.25], [0.2, 0.8]]\n    bias: [0.1, -0.1]\n"
        "  - name: probs\n    activation: softmax\n    weights: [[1, -1], [0.5, 0.5], [-1, 2]]\n"
    )
    result = run("backward", spec, "--brief", "--precision", "4", "--lr", "0.5", "--check")
    assert result.exit_code == 0, result.output
    assert_golden("backward-batch.txt", result.stdout, update_golden)


def test_large_layers_are_shortened(run, spec_file):
    rows = ", ".join("[" + ", ".join(["0.01"] * 12) + "]" for _ in range(40))
    spec = spec_file(f"input: [{', '.join(['1'] * 12)}]\nlayers:\n  - activation: tanh\n    weights: [{rows}]\n")
    out = run("backward", spec, "-t", ",".join(["0"] * 40), "--brief", env=WIDE).stdout
    assert "24 more units (--all shows every row)" in out
    assert "… 4 more" in out  # ∂L/∂W shows 8 of 12 columns
    md = run("backward", spec, "-t", ",".join(["0"] * 40), "--brief", "-f", "markdown").stdout
    assert "(24 more units are left out here.)" in md


# ------------------------------------------------------------------------ --check


def test_check_passes_on_real_derivatives(run, spec_file):
    result = run("backward", spec_file(MAZUR), "--check")
    assert result.exit_code == 0, result.output
    assert "passed" in result.stdout
    rec = record(run("backward", spec_file(MAZUR), "--check", "--json"))
    assert rec["check"]["passed"] and rec["check"]["max_relative_error"] < 1e-8 and rec["check"]["kinks"] == []


def test_check_fails_loudly_on_a_broken_derivative(run, spec_file, monkeypatch):
    d = REGISTRY["sigmoid"]
    monkeypatch.setitem(REGISTRY, "sigmoid", replace(d, grad=lambda z: d.grad(z) * 1.05))
    result = run("backward", spec_file(MAZUR), "--check")
    assert result.exit_code == 1
    assert "FAILED" in result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: Gradient check") and "FAILED" in line


def test_check_names_relu_at_zero(run, spec_file):
    spec = spec_file(
        "input: [1, 2]\ntarget: [1]\nlayers:\n  - name: hidden\n    activation: relu\n"
        "    weights: [[0.2, -0.1], [0.4, 0.3]]\n    bias: [0, 0]\n  - name: out\n    weights: [[1, 1]]\n"
    )
    rec = record(run("backward", spec, "--check", "--json"))
    assert rec["check"]["kinks"] == [
        {"layer": "hidden", "unit": 1, "input": 1, "z": 0.0, "reason": "relu has no derivative at z = 0"}
    ]
    assert rec["check"]["passed"] and rec["check"]["excluded"] == 3
    out = run("backward", spec, "--check", "--brief", env=WIDE).stdout
    assert "layer 'hidden' unit 1: z = 0, relu has no derivative at z = 0" in out


# ------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["two-layer", "-t", "1,2"], ["--target '1,2' has 2 values, but the output layer 'output' has 1 unit"]),
        (["two-layer", "-t", ""], ["--target '' is empty"]),
        (["two-layer", "-t", "abc"], ["--target 'abc': value 1 of 1: 'abc' is not a number"]),
        (["two-layer", "-t", "nan"], ["not a finite number"]),
        (["two-layer", "-t", "1e999"], ["too large for float64"]),
        (["two-layer"], ["two-layer: no target given: pass --target with 1 number (like --target 0)"]),
        (["two-layer", "-t", "1", "--loss", "hinge"], ["--loss 'hinge': expected one of mse, half-sse, bce, cross-entropy, nll"]),
        (["two-layer", "-t", "1", "--loss", "MSE"], ["did you mean 'mse'?"]),
        (["two-layer", "-t", "0.5", "--loss", "bce"], ["bce takes probabilities in [0, 1], but layer 'output' is linear"]),
        (["two-layer", "-t", "1", "--loss", "nll"], ["nll takes log-probabilities"]),
        (["two-layer", "-t", "1", "--steps", "3"], ["--steps needs a learning rate: give --lr too"]),
        (["two-layer", "-t", "1", "--write", "x.yaml"], ["--write needs a learning rate"]),
        (["two-layer", "-t", "1", "--lr", "0"], ["--lr '0': the learning rate must be positive"]),
        (["two-layer", "-t", "1", "--lr", "-0.1"], ["must be positive"]),
        (["two-layer", "-t", "1", "--lr", "nan"], ["--lr 'nan'", "not a finite number"]),
        (["two-layer", "-t", "1", "--lr", "fast"], ["--lr 'fast'", "not a number"]),
        (["two-layer", "-t", "1", "--target-class", "1"], ["--target or as --target-class, not both"]),
        (["two-layer", "--target-class", "2"], ["--target-class 2 is out of range: the output layer 'output' has 1 unit, so classes are numbered 1 to 1"]),
        (["two-layer", "--target-class", "0"], ["--target-class 0 is out of range"]),
        (["two-layer", "--target-class", "1.5"], ["--target-class '1.5': expected a class number from 1 to 1"]),
        (["two-layer", "--target-class", "\u0663"], ["expected a class number"]),  # an Arabic-Indic 3
        (["two-layer", "--target-class", "99999999999999999999999"], ["is out of range"]),
        (["two-layer", "-t", "1", "--lr", "1e-400"], ["must be positive"]),
        (["two-layer", "-t", "1", "--lr", "1e308"], ["after 1 step of learning rate 1e+308", "overflows float64", "the learning rate may be too large"]),
        (["two-layer", "-t", "1", "--lr", "1e200", "--steps", "5"], ["overflows float64"]),
        (["two-layer", "-i", "1,2", "-i", "3,4", "-t", "1"], ["2 inputs but 1 target; give one target per input"]),
        (["two-layer", "-i", "1,2,3", "-t", "1"], ["--input '1,2,3' has 3 values"]),
        (["two-layer", "-t", "1", "--format", "csv"], ["--format 'csv': expected one of table, json, markdown, latex"]),
        (["no-such-spec", "-t", "1"], ["no-such-spec"]),
    ],
)
def test_bad_input_is_one_clean_line(run, args, fragments):
    assert_one_error(run("backward", *args), *fragments)


def test_probability_target_outside_0_1(run, spec_file):
    spec = spec_file("layers:\n  - name: out\n    activation: sigmoid\n    weights: [[1, 1]]\n")
    assert_one_error(run("backward", spec, "-i", "1,2", "-t", "1.5", "--loss", "bce"), "has 1.5 for unit 1; bce takes probabilities, between 0 and 1")
    assert_one_error(run("backward", spec, "-i", "1,2", "-t", "-0.5", "--loss", "cross-entropy"), "has -0.5 for unit 1")


def test_spec_target_of_the_wrong_length_points_at_it(run, spec_file):
    spec = spec_file("input: [1, 2]\ntarget: [1, 2]\nlayers:\n  - weights: [[1, 1]]\n")
    assert_one_error(run("backward", spec), "net.yaml:2:9:", "target has 2 values")


def test_cannot_write_the_file(run, spec_file, tmp_path):
    assert_one_error(run("backward", spec_file(MAZUR), "--lr", "0.1", "--write", str(tmp_path)), "cannot write the file")


def test_check_refuses_a_huge_network(run, spec_file, tmp_path):
    import numpy as np

    np.save(tmp_path / "w.npy", np.full((1500, 1500), 0.001))
    spec = spec_file("layers:\n  - weights: {file: w.npy}\n    activation: tanh\n")
    x = ",".join(["1"] * 1500)
    assert_one_error(run("backward", spec, "-i", x, "-t", ",".join(["0"] * 1500), "--check"), "too large", "2,251,500 parameters")


def test_overflow_is_one_line(run, spec_file):
    spec = spec_file("input: [1]\ntarget: [0]\nlayers:\n  - name: big\n    weights: [[1e300]]\n  - name: out\n    weights: [[1e300]]\n")
    assert_one_error(run("backward", spec), "overflows float64")


def test_help_has_examples(run):
    result = run("backward", "--help")
    assert result.exit_code == 0
    assert "nncalc backward two-layer --target 1" in result.stdout
    assert "--target-class" in result.stdout and "--check" in result.stdout


@pytest.mark.parametrize("z", ["1e308", "-1e308", "1e300", "-1e300", "0", "1e-320", "-2.2250738585072014e-308"])
def test_activations_at_the_largest_numbers_print_no_warning_and_no_nan(run, z):
    result = run("activations", "--at", z, "--json")
    assert result.exit_code == 0 and result.stderr == ""
    rec = json.loads(result.stdout)
    for entry in rec["activations"]:
        assert all(math.isfinite(p["derivative"]) for p in entry["at"]), entry["name"]
    table = run("activations", "--at", z)
    assert table.exit_code == 0 and table.stderr == "" and "nan" not in table.stdout


@pytest.mark.parametrize(
    "args", [["two-layer", "-t", "1", "--lr", "0.1", "--check"], ["BATCH", "--lr", "0.5", "--check"], ["EVERY", "--lr", "0.1", "--check"]]
)
def test_latex_compiles(run, spec_file, tmp_path, args):
    import shutil
    import subprocess

    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("pdflatex is not installed")
    if args[0] == "BATCH":
        args = [spec_file("name: 'net_1 & 50%'\ninput: [[1, 2], [3, 4]]\ntarget: [[1, 0], [0, 1]]\nlayers:\n"
                          "  - {name: h_1, activation: softmax, weights: [[1, 0], [0, 1]]}\n"
                          "  - {activation: log_softmax, weights: [[1, 2], [3, 4]]}\n"), *args[1:]]
    if args[0] == "EVERY":  # a chain of 2-unit layers, one per activation
        layers = "".join(
            f"  - {{name: l{i}_{name}, activation: {name}, weights: [[0.9, -0.4], [0.3, 0.8]], bias: [0.05, -0.1]}}\n"
            for i, name in enumerate(sorted({d.name for d in REGISTRY.values()}))
        )
        args = [spec_file(f"input: [0.5, -0.25]\ntarget: [0.1, 0.2]\nlayers:\n{layers}"), *args[1:]]
    result = run("backward", *args, "--format", "latex")
    assert result.exit_code == 0, result.output
    tex = result.stdout
    assert "?" not in tex  # every character has a LaTeX spelling
    (tmp_path / "doc.tex").write_text(tex)
    proc = subprocess.run(
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path, capture_output=True, encoding="utf-8", errors="replace",
    )
    assert proc.returncode == 0, proc.stdout[-2000:]



def test_a_layer_without_a_bias_has_none_to_learn(run, spec_file, tmp_path):
    spec = spec_file("input: [1, 2]\ntarget: [0.5]\nlayers:\n  - name: out\n    activation: tanh\n    weights: [[0.25, -0.5]]\n")
    out = tmp_path / "u.yaml"
    rec = record(run("backward", spec, "--lr", "0.1", "--json", "--write", str(out)))
    (layer,) = rec["layers"]
    assert layer["grad_b"] is None and layer["b_new"] is None
    a = math.tanh(0.25 * 1 - 0.5 * 2)
    d = (a - 0.5) * (1 - a * a)
    close(layer["W_new"], [[0.25 - 0.1 * d * 1, -0.5 - 0.1 * d * 2]], rel=1e-15)
    assert "bias:" not in out.read_text()


def test_hard_sigmoid_with_onnx_constants_is_written_with_every_digit_and_its_sign(run, spec_file):
    spec = spec_file(
        "input: [1, 2]\ntarget: [1]\nlayers:\n"
        "  - {name: h, activation: {name: hard_sigmoid, alpha: 0.20000000298023224, beta: -0.125}, weights: [[0.5, 1], [1, -1]]}\n"
        "  - {name: out, weights: [[1, 1]]}\n"
    )
    result = run("backward", spec, "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert r"0.20000000298023224 \text{ if } 0 < 0.20000000298023224 z - 0.125 < 1" in result.stdout
    forward = run("forward", spec, "--format", "markdown").stdout
    assert r"\min(\max(0.200000003 z - 0.125, 0), 1)" in forward  # (to --precision 10)
