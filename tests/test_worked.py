"""Worked examples as Markdown and LaTeX, and the shared --format option.

The expected lines are the seed text's own: its Example 1, 2 and 3 working, copied.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import assert_golden
from tests.test_errors import assert_one_error

CASES = [("forward", "neuron"), ("forward", "two-layer"), ("forward", "linear-stack"), ("collapse", "linear-stack"), ("collapse", "two-layer")]


@pytest.mark.parametrize("fmt, suffix", [("markdown", "md"), ("latex", "tex")])
@pytest.mark.parametrize("command, name", CASES)
def test_golden_documents(run, update_golden, command, name, fmt, suffix):
    result = run(command, name, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert_golden(f"{command}-{name}.{suffix}", result.stdout, update_golden)


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


def test_units_that_did_not_fire_are_named(run):
    md = markdown(run, "forward", "two-layer", "--input", "-3,4")  # z = [-0.9, -0.2, 3.9]
    assert "units 1 and 2 had z ≤ 0, so ReLU output 0: they did not fire. The other 1 fired." in md


def test_witness_in_documents(run):
    md = markdown(run, "collapse", "two-layer")
    assert "does not collapse to one linear layer: layer hidden (ReLU) is nonlinear" in md
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


@pytest.mark.parametrize("command, name", CASES + [("forward", "big")])
def test_latex_compiles(run, spec_file, tmp_path, command, name):
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("pdflatex is not installed")
    if name == "big":
        rows = ", ".join("[" + ", ".join(f"{(i * j) % 7 - 3}e-3" for j in range(12)) + "]" for i in range(40))
        name = spec_file(f"name: 'net_1 & 50%'\ninput: [{', '.join(['1'] * 12)}]\nlayers:\n  - {{activation: tanh, weights: [{rows}]}}\n")
    tex = run(command, name, "--format", "latex").stdout
    (tmp_path / "doc.tex").write_text(tex)
    proc = subprocess.run(
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000


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
