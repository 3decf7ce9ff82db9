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
    # Only a single word (a term, a step of an activation or a number too long for any
    # line) may pass the width.
    for line in lines:
        if len(line) > width:
            assert len(line.split()) <= 2 or line.startswith(("    + ", "  z = ", "    = max(0, ")), line
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
    out = run("forward", "two-layer", "--brief", env={"COLUMNS": "30"}).stdout
    assert "unit 3\n  z = (-0.5)(1) + (0.6)(2) + 0\n    = 0.7\n  a = relu(z) = 0.7\n" in out
    out = run("forward", "two-layer", env={"COLUMNS": "30"}).stdout
    assert "unit 3\n  z = (-0.5)(1) + (0.6)(2) + 0\n    = 0.7\n  a = relu(z) = max(0, 0.7)\n    = 0.7\n" in out
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


# --------------------------------------------------------------------- names as data

HOSTILE = [
    "clear\x1b[2Jscreen",
    "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "<img src=x onerror=alert(1)>",
    "*bold* _it_ #h |t| `c` [l](u)",
    "back\\slash {x} 100% $5 & ~ ^",
    "ħ ſ é 中 ΣΩ",
    "new\nline\n# heading\n> quote",
    "bell\x07 del\x7f c1\x9b nul\x00",
    "[bold]markup[/bold] :smile:",
    "rtl\u202eevil\u2028sep",
]


def hostile_network(k: int = 0, linear: bool = False):
    """Every hostile name at once: the network's, and one layer's each (built in Python,
    as a library user may, past any check of the spec loader)."""
    import numpy as np

    from nncalc.activations import get
    from nncalc.network import Layer, Network, frozen

    layers = []
    sizes = [2, 3, 2, 1]
    for i, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
        name = HOSTILE[(k + i) % len(HOSTILE)] + f" {i}"
        W = frozen(np.arange(nout * nin).reshape(nout, nin) / 7 - 0.3)
        act = get("linear" if linear or i == len(sizes) - 2 else "relu")
        layers.append(Layer(name, W, frozen(np.full(nout, 0.1)), act))
    return Network(tuple(layers), name=HOSTILE[k], input=frozen(np.array([[1.0, -2.0]])))


def visible_name(s: str) -> str:
    """The escape each control character should be shown as, written out here."""
    named = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
    out = []
    for c in s:
        n = ord(c)
        if c in named:
            out.append(named[c])
        elif n < 0x20 or 0x7F <= n < 0xA0:
            out.append(f"\\x{n:02x}")
        elif c in "\u202e\u2028":
            out.append(f"\\u{n:04x}")
        else:
            out.append(c)
    return "".join(out)


def controls(text: str) -> list[str]:
    """Characters a terminal would act on rather than show (newline aside)."""
    return [c for c in text if c != "\n" and (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\u202e\u2028")]


@pytest.mark.parametrize("k", range(len(HOSTILE)))
def test_terminal_shows_names_and_obeys_none(k):
    import io

    from rich.console import Console

    from nncalc import collapsing as maths
    from nncalc.engine import forward
    from nncalc.render.table import collapse_view, forward_tables, summary_table

    for linear in (False, True):
        net = hostile_network(k, linear)
        buf = io.StringIO()
        console = Console(file=buf, width=100, color_system=None)
        forward_tables(console, net, forward(net, net.input))
        summary_table(console, net)
        c = maths.collapse(net)
        collapse_view(console, c, maths.check(c, net.input[0]), None if c.collapsible else maths.find_witness(net, net.input[0]))
        out = buf.getvalue()
        assert controls(out) == [], repr(out)
        assert "[bold]markup[/bold] :smile:" in out or k != 8
        flat = out.replace("\n", " ")
        for layer in net.layers:
            words = visible_name(layer.name).split()
            assert all(w in flat for w in words), (words, out)


def markdown_tokens(md: str):
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(md)
    flat = []
    for t in tokens:
        flat.append(t)
        flat.extend(t.children or [])
    return flat


@pytest.mark.parametrize("k", range(len(HOSTILE)))
def test_markdown_shows_names_as_text(k):
    from nncalc import collapsing as maths
    from nncalc.engine import forward
    from nncalc.render.document import Heading, to_markdown
    from nncalc.render.worked import collapse_doc, forward_doc

    net = hostile_network(k)
    c = maths.collapse(net)
    for doc in (
        forward_doc(net, forward(net, net.input)),
        collapse_doc(c, maths.check(c, net.input[0]), maths.find_witness(net, net.input[0])),
    ):
        tokens = markdown_tokens(to_markdown(doc))
        kinds = {t.type for t in tokens}
        # Only what we write ourselves: headings, paragraphs, text; no HTML, links,
        # emphasis, code, quotes, lists or tables from a name.
        assert kinds <= {"heading_open", "heading_close", "paragraph_open", "paragraph_close", "inline", "text", "softbreak"}, kinds
        headings = [t for t in tokens if t.type == "heading_open"]
        assert len(headings) == sum(isinstance(b, Heading) for b in doc)
        title = next(t for t in tokens if t.type == "inline")
        assert title.content.replace("\\", "") != "" and visible_name(net.name) in _unescape_markdown(title.content)


def _unescape_markdown(s: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", s)


def latex_pdf(tex: str, tmp_path) -> tuple[str, str]:
    """Compile with pdflatex: (the log, the PDF's text)."""
    import shutil
    import subprocess

    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("pdflatex is not installed")
    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    proc = subprocess.run(
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path, capture_output=True
    )
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert proc.returncode == 0, log[-3000:]
    text = ""
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", "doc.pdf", "-"], cwd=tmp_path, capture_output=True).stdout.decode()
    return log, text


def test_latex_compiles_with_every_hostile_name(tmp_path):
    from nncalc import collapsing as maths
    from nncalc.engine import forward
    from nncalc.render.document import to_latex
    from nncalc.render.worked import collapse_doc, forward_doc

    doc = []
    for k in range(len(HOSTILE)):
        net = hostile_network(k)
        c = maths.collapse(net)
        doc += forward_doc(net, forward(net, net.input))
        doc += collapse_doc(c, maths.check(c, net.input[0]), maths.find_witness(net, net.input[0]))
    log, text = latex_pdf(to_latex(doc), tmp_path)
    assert "Overfull \\hbox" not in log
    if text:
        flat = " ".join(text.split())
        for fragment in ["img src=x onerror=alert(1)", "100% $5 &", "U+0127 U+017F é U+4E2D", "clear\\x1b[2Jscreen", "[bold]markup[/bold]"]:
            assert fragment in flat, fragment


def parse_mermaid_labels(text: str) -> list[str]:
    return re.findall(r'"([^"]*)"', text)


def decode_mermaid(label: str) -> list[str]:
    entities = {"quot": '"', "lt": "<", "gt": ">", "amp": "&"}
    lines = label.split("<br/>")
    return [re.sub(r"#(\w+);", lambda m: chr(int(m.group(1))) if m.group(1).isdigit() else entities[m.group(1)], ln) for ln in lines]


@pytest.mark.parametrize("k", range(len(HOSTILE)))
def test_mermaid_labels_hold_names_as_text(k):
    from nncalc.render.graph import build, to_mermaid

    net = hostile_network(k)
    text = to_mermaid(build(net))
    assert controls(text) == []
    labels = parse_mermaid_labels(text)
    for label in labels:
        assert not re.search(r"[<>&`]", label.replace("<br/>", "")), label
    shown = [line for label in labels for line in decode_mermaid(label)]
    for i, layer in enumerate(net.layers):
        assert f"layer {i + 1}: {visible_name(layer.name)} ({layer.activation.label})" in shown


@pytest.mark.parametrize("k", range(len(HOSTILE)))
def test_dot_labels_reach_graphviz_as_written(k):
    import shutil
    import subprocess
    import xml.etree.ElementTree as ET

    from nncalc.render.graph import build, to_dot

    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("Graphviz is not installed")
    net = hostile_network(k)
    text = to_dot(build(net))
    assert controls(text) == []
    proc = subprocess.run([dot, "-Tsvg"], input=text.encode(), capture_output=True)
    assert proc.returncode == 0, proc.stderr
    svg = ET.fromstring(proc.stdout)
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    for i, layer in enumerate(net.layers):
        assert f"layer {i + 1}: {visible_name(layer.name)} ({layer.activation.label})" in texts, texts


def test_names_through_the_cli(run, spec_file):
    name = "[red]x[/red] <img src=x onerror=alert(1)> *a*_b_ ħ"
    path = spec_file(f"name: {name!r}\ninput: [1]\nlayers:\n  - {{name: {name!r}, weights: [[2]]}}\n".replace("'", '"'))
    assert name in run("forward", path).stdout
    assert name in run("validate", path).stdout
    md = run("forward", path, "--format", "markdown").stdout
    assert "\\[red\\]x\\[/red\\] \\<img src=x onerror=alert(1)> \\*a\\*\\_b\\_ ħ" in md
    assert "#lt;img src=x onerror=alert(1)#gt;" in run("graph", path).stdout


# ------------------------------------------------------------ terminals that are not UTF-8

NOT_UTF8 = {
    "latin-1": {"PYTHONIOENCODING": "latin-1"},
    "C locale": {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"},
}
TABLE_COMMANDS = [
    ["forward", "two-layer"],
    ["forward", "two-layer", "--input", "1,2", "--input", "3,4"],
    ["forward", "two-layer", "--input", "1,2", "--precision", "17"],
    ["collapse"],
    ["collapse", "two-layer"],
    ["validate", "two-layer"],
    ["activations"],
    ["activations", "--at", "-2", "--at", "0.5", "--only", "relu,sigmoid,softmax"],
    ["activations", "--plot"],
    ["examples"],
]
DATA_COMMANDS = [["forward", "two-layer", "--json"], ["examples", "--json"], ["activations", "--json"], ["validate", "two-layer", "--json"]]


def run_in(environment: dict, args: list[str], columns: int = 100):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONIOENCODING", "PYTHONUTF8", "LANG"))}
    env.update(environment, PYTHONPATH=str(ROOT), COLUMNS=str(columns), NO_COLOR="1", TERM="dumb")
    env.pop("FORCE_COLOR", None)
    return subprocess.run([sys.executable, "-m", "nncalc", *args], env=env, capture_output=True)


@pytest.mark.parametrize("where", NOT_UTF8)
@pytest.mark.parametrize("args", TABLE_COMMANDS, ids=" ".join)
def test_tables_fall_back_to_ascii(where, args):
    proc = run_in(NOT_UTF8[where], args)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    assert proc.stderr == b""
    out = proc.stdout.decode("latin-1")
    if where == "C locale":
        assert proc.stdout.isascii()
    assert "→" not in out and "σ" not in out and "…" not in out
    if args[0] == "forward":
        assert "(2 -> 3, relu)" in out and "+------" in out and "0.28" in out
    if "--at" in args:
        assert "sigma(-2)" in out and "sigma'(0.5)" in out
    if "--plot" in args:
        assert "softmax([z, 0])_1" in out and "+ sigmoid" in out


@pytest.mark.parametrize("where", NOT_UTF8)
@pytest.mark.parametrize("args", DATA_COMMANDS, ids=" ".join)
def test_json_stays_json(run, where, args):
    import json

    proc = run_in(NOT_UTF8[where], args)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    text = proc.stdout.decode("latin-1" if where == "latin-1" else "ascii")
    utf8 = run(*args).stdout  # the same documents, written as UTF-8
    assert [json.loads(line) for line in text.splitlines()] == [json.loads(line) for line in utf8.splitlines()]


def test_names_a_latin1_terminal_cannot_show(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("name: 'ħ → é'\ninput: [1]\nlayers:\n  - {name: 'ſ σ é', weights: [[2]]}\n", encoding="utf-8")
    proc = run_in(NOT_UTF8["latin-1"], ["forward", str(path)])
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    out = proc.stdout.decode("latin-1")
    assert "Layer 1: \\u017f sigma é (1 -> 1, linear)" in out
    csv = run_in(NOT_UTF8["latin-1"], ["forward", str(path), "--csv"])
    assert csv.stdout.decode("latin-1").splitlines()[0] == "\\u017f sigma é_1"


# ------------------------------------------------------------------ long inputs and outputs


def test_784_inputs_are_shortened_like_layers(run, tmp_path):
    import numpy as np

    rng = np.random.default_rng(1)
    np.save(tmp_path / "w1.npy", np.round(rng.normal(size=(3, 784)), 3))
    (tmp_path / "net.yaml").write_text("layers:\n  - {weights: {file: w1.npy}, activation: relu}\n")
    x = [i / 1000 for i in range(784)]
    (tmp_path / "x.csv").write_text(",".join(map(str, x)) + "\n")
    args = ["forward", str(tmp_path / "net.yaml"), "--inputs", str(tmp_path / "x.csv")]
    out = run(*args).stdout
    g = lambda v: f"{v:g}"  # noqa: E731
    shown = [*map(g, x[:8]), "… 768 more …", *map(g, x[-8:])]
    flat = " ".join(out.split())
    assert "Input x = [" + ", ".join(shown) + "]" in flat
    every = " ".join(run(*args, "--all").stdout.split())
    assert "Input x = [" + ", ".join(map(g, x)) + "]" in every
    (tmp_path / "net.yaml").write_text(f"input: {x}\nlayers:\n  - {{weights: {{file: w1.npy}}}}\n")
    summary = " ".join(run("validate", str(tmp_path / "net.yaml")).stdout.split())
    assert "input: [" + ", ".join(shown) + "]" in summary


def test_20000_units_output_is_shortened(run, tmp_path):
    import numpy as np

    n = 20_000
    W = np.stack([np.arange(n) / 1000, np.ones(n)], axis=1)
    np.save(tmp_path / "w.npy", W)
    (tmp_path / "net.yaml").write_text("input: [2, 0.5]\nlayers:\n  - {weights: {file: w.npy}}\n")
    out = run("forward", str(tmp_path / "net.yaml"), env={"COLUMNS": "120"}).stdout
    y = [j / 1000 * 2 + 0.5 for j in range(n)]  # z_j = (j/1000)(2) + (1)(0.5) + 0
    expected = "Output = [" + ", ".join([*(f"{v:.10g}" for v in y[:8]), "… 19,984 more …", *(f"{v:.10g}" for v in y[-8:])]) + "]"
    assert expected in " ".join(out.split())
    assert "19984 more units (--all shows every row)" in out
    assert len(out.splitlines()) < 80


# ------------------------------------------------------------ tables drawn without Rich's layout


@pytest.mark.parametrize("seed", range(40))
def test_plain_tables_are_richs_tables(seed):
    """Tables that need no folding are drawn by nncalc itself (Rich's layout takes a
    millisecond a row); the characters must be exactly Rich's, wrapped or not."""
    import io
    import random

    from rich.console import Console

    from nncalc.render.terminal import Column, Gap, Screen

    rng = random.Random(seed)
    words = ["(0.2)(1)", "+", "(-0.1)(2)", "0.1", "max(0,", "-0.3)", "=", "ħé中", "a_b", "…", "x" * rng.randint(1, 12)]

    def text(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n))

    columns = [Column("unit", "right", number=True)]
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.5:
            columns.append(Column(text(rng.randint(1, 3)), min_width=rng.choice([0, 10, 20])))
        else:
            columns.append(Column(text(1) + ("\n= " + text(2) if rng.random() < 0.3 else ""), "right", number=True))
    rows: list = []
    for j in range(rng.randint(1, 12)):
        if rng.random() < 0.1:
            rows.append(Gap(f"{rng.randint(2, 99)} more units"))
        rows.append([str(j + 1), *(text(rng.randint(1, 8 if not c.number else 1)) for c in columns[1:])])
    width = rng.choice([30, 50, 80, 120, 200])
    drawn, used = [], []
    for fast in (True, False):
        buf = io.StringIO()
        screen = Screen(Console(file=buf, width=width, color_system=None))
        if fast:
            real = screen._drawn
            screen._drawn = lambda *args: used.append(real(*args)) or used[-1]  # type: ignore[method-assign]
        else:
            screen._drawn = lambda *args: False  # type: ignore[method-assign]
        screen.table(columns, rows, title="t")
        drawn.append(buf.getvalue())
    assert drawn[0] == drawn[1]
    if "┏" in drawn[1]:  # a table (not one block per row): nncalc drew it, not Rich
        assert used == [True]
