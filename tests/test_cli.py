"""The command line as users call it: JSON shape, batches, stdin, large layers, help."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nncalc import __version__
from tests.conftest import ROOT


def lines(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_json_shape_is_the_documented_interface(run):
    (rec,) = lines(run("forward", "two-layer", "--json"))
    assert list(rec) == ["input", "layers", "output"]
    assert [list(layer) for layer in rec["layers"]] == [["name", "activation", "z", "a"]] * 2


def test_json_parameters_of_activations(run, spec_file):
    path = spec_file("layers:\n  - weights: [[1]]\n    activation: {name: leaky_relu, alpha: 0.2}\n")
    (rec,) = lines(run("forward", path, "-i", "-2", "--json"))
    assert rec["layers"][0]["params"] == {"alpha": 0.2}
    assert rec["output"] == [-2 * 0.2]


def test_batch_gives_one_line_per_input_in_order(run):
    inputs = [[1, 2], [-3, 4], [0.5, -0.5]]
    recs = lines(run("forward", "two-layer", "--json", *(f"--input={a},{b}" for a, b in inputs)))
    assert [r["input"] for r in recs] == inputs
    # Independent reference: the seed's Example 2 network written out in NumPy here.
    W1 = np.array([[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]])
    b1 = np.array([0.1, -0.2, 0.0])
    w2, b2 = np.array([0.7, -0.3, 0.5]), 0.1
    for r, x in zip(recs, np.array(inputs, dtype=float)):
        assert r["output"] == pytest.approx([w2 @ np.maximum(W1 @ x + b1, 0) + b2], rel=1e-15)


def test_batch_tables_one_block_per_input(run):
    out = run("forward", "two-layer", "-i", "1,2", "-i", "-3,4").stdout
    assert "Input 1 of 2" in out and "Input 2 of 2" in out
    assert out.count("Output = ") == 2


def test_input_overrides_and_negative_values(run):
    (rec,) = lines(run("forward", "two-layer", "--input", "-1,2", "--json"))
    assert rec["input"] == [-1.0, 2.0]
    (rec,) = lines(run("forward", "two-layer", "--input", "[ 1e-1, .5 ]", "--json"))
    assert rec["input"] == [0.1, 0.5]


def test_stdin_spec(run):
    text = (ROOT / "specs" / "two-layer.yaml").read_text()
    (rec,) = lines(run("forward", "-", "--input", "1,2", "--json", input=text))
    assert rec["output"] == pytest.approx([0.28], abs=1e-15)


def test_a_file_beats_an_example_of_the_same_name(run, tmp_path, monkeypatch):
    (tmp_path / "two-layer").write_text("input: [3]\nlayers:\n  - weights: [[2]]\n")
    monkeypatch.chdir(tmp_path)
    (rec,) = lines(run("forward", "two-layer", "--json"))
    assert rec["output"] == [6.0]


def test_precision(run, spec_file):
    path = spec_file("input: [1]\nlayers:\n  - weights: [[0.123456789012345]]\n")
    assert "0.1235" in run("forward", path, "--precision", "4").stdout
    assert "0.123456789" in run("forward", path).stdout  # 10 significant digits by default
    (rec,) = lines(run("forward", path, "--json", "--precision", "4"))
    assert rec["output"] == [0.123456789012345]  # JSON keeps full precision


def test_wide_layer_shortens_the_weighted_sum(run, spec_file):
    path = spec_file("layers:\n  - weights: [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]\n")
    out = run("forward", path, "-i", "1,1,1,1,1,1,1,1,1,1", env={"COLUMNS": "200"}).stdout
    row = next(line for line in out.splitlines() if "more terms" in line)
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells == ["1", "(1)(1) + (2)(1) + (3)(1) + … 5 more terms … + (9)(1) + (10)(1)", "55", "55"]


def test_tall_layer_hides_the_middle_unless_all(run, spec_file):
    rows = "\n".join(f"      - [{j}]" for j in range(1, 41))
    path = spec_file(f"layers:\n  - weights:\n{rows}\n")
    out = run("forward", path, "-i", "1").stdout
    assert "24 more units (--all shows every row)" in out
    shown = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")]
    assert shown == [*map(str, range(1, 9)), "…", *map(str, range(33, 41))]
    out_all = run("forward", path, "-i", "1", "--all").stdout
    assert "more units" not in out_all
    assert sum(line.startswith("│") for line in out_all.splitlines()) == 40


def test_markup_in_names_is_printed_as_written(run, spec_file):
    path = spec_file("input: [1]\nlayers:\n  - name: '[bold]x[/bold]'\n    weights: [[1]]\n")
    assert "[bold]x[/bold]" in run("forward", path).stdout


def test_validate_summary(run):
    out = run("validate", "two-layer").stdout
    assert "2 → 3 → 1" in out
    assert "total" in out and "13" in out


def test_examples_lists_every_bundled_spec(run):
    result = run("examples")
    assert result.exit_code == 0
    for name in ("neuron", "two-layer", "linear-stack"):
        assert name in result.stdout
    recs = lines(run("examples", "--json"))
    assert [r["name"] for r in recs] == ["linear-stack", "neuron", "two-layer"]
    assert all(r["description"] for r in recs)


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"nncalc {__version__}"


@pytest.mark.parametrize("command", ["forward", "collapse", "activations", "validate", "examples", "graph", "init", "schema", "approximate"])
def test_help_has_examples(run, command):
    result = run(command, "--help")
    assert result.exit_code == 0
    # The examples section, not the usage line, names the command.
    _, examples = result.stdout.split("Examples:", 1)
    assert f"nncalc {command}" in examples


def entry_point() -> str:
    """The installed ``nncalc`` script, beside this Python (as pip installs it)."""
    exe = shutil.which("nncalc", path=str(Path(sys.executable).parent))
    assert exe is not None, f"no nncalc script beside {sys.executable}: install with pip install -e ."
    return exe


def test_no_arguments_shows_help(run):
    result = run()
    assert "forward" in result.output and "validate" in result.output


def test_json_path_stays_light():
    # Start-up is the CLI's latency: the JSON path loads no table, plot or GELU code.
    code = (
        "import sys, contextlib, io\n"
        "from nncalc.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    app(['forward', 'two-layer', '--json'], standalone_mode=False)\n"
        "heavy = ('rich', 'pydantic', 'plotext', 'matplotlib', 'scipy', 'torch')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m == 'nncalc.special'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_python_dash_m():
    out = subprocess.run(
        [sys.executable, "-m", "nncalc", "forward", "two-layer", "--json"],
        capture_output=True, text=True, check=True,
    )
    assert json.loads(out.stdout)["output"] == [0.28]


def test_installed_entry_point():
    exe = entry_point()
    out = subprocess.run([exe, "forward", "two-layer", "--json"], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["output"] == [0.28]
    bad = subprocess.run([exe, "forward", "two-layer", "-i", "x"], capture_output=True, text=True)
    assert (bad.returncode, bad.stdout) == (1, "")
    assert bad.stderr.startswith("error: --input 'x'") and "Traceback" not in bad.stderr


def test_closed_pipe_is_quiet():
    exe = entry_point()
    args = " ".join(f"-i {i},{i}" for i in range(3000))
    proc = subprocess.run(f"{exe} forward two-layer --json {args} | head -n 1", shell=True, capture_output=True, text=True)
    assert proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
