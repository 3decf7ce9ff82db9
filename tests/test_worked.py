"""Worked examples as Markdown and LaTeX, and the shared --format option.

The expected lines are the seed text's own: its Example 1, 2 and 3 working, copied.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from tests.conftest import assert_golden
from tests.test_errors import assert_one_error

CASES = [("forward", "neuron"), ("forward", "two-layer"), ("forward", "linear-stack"), ("collapse", "linear-stack"), ("collapse", "two-layer")]


@pytest.mark.parametrize("brief", [True, False], ids=["brief", "steps"])
@pytest.mark.parametrize("fmt, suffix", [("markdown", "md"), ("latex", "tex")])
@pytest.mark.parametrize("command, name", CASES)
def test_golden_documents(run, update_golden, command, name, fmt, suffix, brief):
    # Without .steps: the compact form (--brief), as before activations were worked out.
    result = run(command, name, "--format", fmt, *(["--brief"] if brief else []))
    assert result.exit_code == 0, result.output
    assert_golden(f"{command}-{name}.{'' if brief else 'steps.'}{suffix}", result.stdout, update_golden)


def markdown(run, *args) -> str:
    result = run(*args, "--format", "markdown")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_example1_as_the_seed_works_it(run):
    md = markdown(run, "forward", "neuron")
    assert "z_1^{(1)} &= (0.5)(2) + (-0.2)(3) + (0.8)(-1) + 0.1 = -0.3" in md
    assert r"\max(0, -0.3)" in md
    assert r"\hat{y} = 0$" in md
    assert "z ≤ 0, so ReLU output 0: the unit did not fire" in md


def test_example2_as_the_seed_works_it(run):
    md = markdown(run, "forward", "two-layer")
    for line in [
        "z_1^{(1)} &= (0.2)(1) + (-0.1)(2) + 0.1 = 0.1",
        "z_2^{(1)} &= (0.4)(1) + (0.3)(2) + (-0.2) = 0.8",
        "z_3^{(1)} &= (-0.5)(1) + (0.6)(2) + 0 = 0.7",
        "z_1^{(2)} &= (0.7)(0.1) + (-0.3)(0.8) + (0.5)(0.7) + 0.1 = 0.28",
        r"\hat{y} = 0.28$",
        "all 3 units fired",
    ]:
        assert line in md, line


def test_example3_as_the_seed_works_it(run):
    md = markdown(run, "collapse")
    assert r"(0.5)(1) + (-1)(3) & (0.5)(2) + (-1)(4) \\ (1.5)(1) + (0.5)(3) & (1.5)(2) + (0.5)(4)" in md
    assert r"\begin{bmatrix} -2.5 & -3 \\ 3 & 5 \end{bmatrix}" in md
    assert "z_1^{(2)} &= (0.5)(3) + (-1)(7) = -5.5" in md
    assert "z_2'^{(1)} &= (3)(1) + (5)(1) = 8" in md
    assert "Same result: 2 linear layers = 1 linear layer (2×2)" in md
    assert "W_2 W_1 = \\begin{bmatrix}" in md  # the seed's W' = W_2 W_1


def test_units_that_did_not_fire_are_named(run):
    md = markdown(run, "forward", "two-layer", "--input", "-3,4")  # z = [-0.9, -0.2, 3.9]
    assert "units 1 and 2 had z ≤ 0, so ReLU output 0: they did not fire. The other 1 fired." in md


def test_witness_in_documents(run):
    md = markdown(run, "collapse", "two-layer")
    assert "Does not collapse to one linear layer: layer hidden (ReLU) is nonlinear" in md
    assert r"\neq" in md and "no linear map does that" in md


def test_large_layers_are_shortened(run, spec_file):
    rows = ", ".join("[" + ", ".join(["1"] * 12) + "]" for _ in range(40))
    md = markdown(run, "forward", spec_file(f"input: [{', '.join(['1'] * 12)}]\nlayers:\n  - weights: [{rows}]\n"))
    assert r"\text{(24 more units)}" in md
    assert r"\underbrace{\cdots}_{\text{7 more}}" in md
    assert md.count("&= ") == 16


def test_batch_documents_show_the_first_inputs(run):
    md = markdown(run, "forward", "two-layer", *(f"--input={i},{i}" for i in range(8)))
    assert "### Input 1 of 8" in md and "### Input 5 of 8" in md and "Input 6 of 8" not in md
    assert "and 3 more inputs" in md


def test_markdown_escapes_names(run, spec_file):
    md = markdown(run, "forward", spec_file("input: [1]\nlayers:\n  - {name: 'a_b*c', weights: [[2]]}\n"))
    assert r"a\_b\*c" in md


def random_spec(tmp_path, sizes, activations, seed=0, files=False) -> str:
    """A spec of random full-precision weights (every number needs its 10 digits)."""
    rng = np.random.default_rng(seed)
    layers = []
    for k, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
        W, b = rng.normal(size=(nout, nin)) / np.sqrt(nin), rng.normal(size=nout) * 0.1
        if files:
            np.save(tmp_path / f"w{k}.npy", W)
            np.save(tmp_path / f"b{k}.npy", b)
            weights, bias = f"{{file: w{k}.npy}}", f"{{file: b{k}.npy}}"
        else:
            weights, bias = W.tolist(), b.tolist()
        layers.append(f"  - {{name: layer{k + 1}, activation: {activations[k]}, weights: {weights}, bias: {bias}}}")
    path = tmp_path / "net.yaml"
    path.write_text(f"input: {rng.uniform(size=sizes[0]).tolist()}\nlayers:\n" + "\n".join(layers) + "\n")
    return str(path)


LATEX_CASES = [(command, name, []) for command, name in CASES] + [
    ("collapse", "neuron", []),
    ("forward", "two-layer", ["--precision", "17"]),
    ("forward", "big", []),
    ("forward", "4-10-3", []),
    ("collapse", "4-10-3", ["--precision", "17"]),
    ("forward", "784-128-64-10", []),
    ("collapse", "784-128-64-10 linear", []),
]


@pytest.mark.parametrize("command, name, options", LATEX_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_latex_compiles_within_the_margins(run, spec_file, tmp_path, command, name, options):
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("pdflatex is not installed")
    if name == "big":
        rows = ", ".join("[" + ", ".join(f"{(i * j) % 7 - 3}e-3" for j in range(12)) + "]" for i in range(40))
        name = spec_file(f"name: 'net_1 & 50%'\ninput: [{', '.join(['1'] * 12)}]\nlayers:\n  - {{activation: tanh, weights: [{rows}]}}\n")
    elif name == "4-10-3":
        name = random_spec(tmp_path, [4, 10, 3], ["tanh", "linear"])
    elif name.startswith("784-128-64-10"):
        acts = ["linear"] * 3 if name.endswith("linear") else ["relu", "relu", "softmax"]
        name = random_spec(tmp_path, [784, 128, 64, 10], acts, files=True)
    result = run(command, name, *options, "--format", "latex")
    assert result.exit_code == 0, result.output
    (tmp_path / "doc.tex").write_text(result.stdout)
    proc = subprocess.run(
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert "Overfull \\hbox" not in log, log[log.index("Overfull") - 200 :][:1500]


def test_long_sums_break_between_terms(run, tmp_path):
    md = markdown(run, "forward", random_spec(tmp_path, [4, 10, 3], ["tanh", "linear"]), "--precision", "17")
    # z_1 of layer 1: four products and a bias, too long for one line: continued lines
    # start with "+", and the value stands on its own line.
    block = md[md.index("z_1^{(1)} &="):]
    block = block[: block.index("z_2^{(1)}")]
    lines = block.strip().rstrip("\\").split(" \\\\\n")
    assert len(lines) >= 3
    assert all(line.startswith("&\\quad + ") for line in lines[1:-1]) and lines[-1].startswith("&= ")
    assert block.count(")(") == 4  # every term is there, none split


@pytest.mark.parametrize("command", ["forward", "collapse", "validate", "examples", "activations"])
def test_format_json_is_json(run, command):
    args = [command] + (["two-layer"] if command in ("forward", "collapse", "validate") else [])
    assert run(*args, "--format", "json").stdout == run(*args, "--json").stdout
    assert run(*args, "--format", "table").stdout == run(*args).stdout
    json.loads(run(*args, "--json").stdout.splitlines()[0])


def test_format_csv_is_csv(run):
    assert run("forward", "two-layer", "--format", "csv").stdout == run("forward", "two-layer", "--csv").stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["forward", "two-layer", "--format", "xml"], "--format 'xml': expected one of table, json, csv, markdown, latex"),
        (["forward", "two-layer", "--format", "csv", "--json"], "--format csv and --json ask for different formats"),
        (["collapse", "--format", "csv"], "expected one of table, json, markdown, latex"),
        (["validate", "two-layer", "-f", "markdown"], "expected one of table, json"),
    ],
)
def test_format_errors(run, args, message):
    assert_one_error(run(*args), message)
