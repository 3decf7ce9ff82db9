"""Sharing a network: diagrams (Mermaid, DOT), new specs (init), the JSON Schema."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest
import yaml

from nncalc.spec import EXAMPLES_DIR, example_names, load_spec
from tests.test_errors import BAD_SPECS, assert_one_error

# -- graph

NODE = re.compile(r'^    (\w+)(?:\(\("|\[")(.*?)(?:"\)\)|"\])$')
EDGE = re.compile(r'^  (\w+) -->(?:\|"(.*?)"\|)? (\w+)$')


def parse_mermaid(text: str):
    lines = text.splitlines()
    assert lines[0] == "graph LR"
    nodes = {m.group(1): m.group(2) for m in map(NODE.match, lines) if m}
    edges = [(m.group(1), m.group(3), m.group(2)) for m in map(EDGE.match, lines) if m]
    opened = sum(1 for ln in lines if ln.startswith("  subgraph "))
    assert opened == sum(1 for ln in lines if ln == "  end")
    return nodes, edges, opened


def test_mermaid_of_example2(run):
    nodes, edges, groups = parse_mermaid(run("graph", "two-layer").stdout)
    assert groups == 3  # input, hidden, output
    assert len(nodes) == 2 + 3 + 1
    assert len(edges) == 2 * 3 + 3 * 1
    assert all(a in nodes and b in nodes for a, b, _ in edges)
    labels = {(a, b): w for a, b, w in edges}
    # the seed's weights: W1[1][0] = 0.4 (x1 to unit 2), w2[2] = 0.5 (unit 3 to output)
    assert labels[("x1", "L1_2")] == "0.4" and labels[("L1_3", "L2_1")] == "0.5"
    assert "relu" in nodes["L1_1"] and "b = 0.1" in nodes["L1_1"]


def test_no_weights(run):
    _, edges, _ = parse_mermaid(run("graph", "two-layer", "--no-weights").stdout)
    assert all(label is None for _, _, label in edges)


def test_large_layers_are_boxes(run, spec_file):
    path = spec_file(f"layers:\n  - {{name: wide, activation: tanh, weights: {np.ones((40, 3)).tolist()}}}\n")
    nodes, edges, _ = parse_mermaid(run("graph", path).stdout)
    assert nodes["L1_box"] == "wide<br/>40 units, tanh"
    assert len(edges) == 3 and [w for _, _, w in edges].count("W: 40×3") == 1


def test_labels_are_escaped(run, spec_file):
    path = spec_file('layers:\n  - {name: \'say "hi"\', weights: [[1]]}\n')
    assert "#quot;hi#quot;" in run("graph", path).stdout
    assert '\\"hi\\"' in run("graph", path, "--format", "dot").stdout


@pytest.mark.parametrize("name", [*example_names(), "big", "quoted"])
def test_dot_is_accepted_by_graphviz(run, spec_file, tmp_path, name):
    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("Graphviz is not installed")
    if name == "big":
        name = spec_file(f"layers:\n  - {{weights: {np.ones((20, 30)).tolist()}}}\n  - {{weights: {np.ones((2, 20)).tolist()}}}\n")
    elif name == "quoted":
        name = spec_file('layers:\n  - {name: \'a "b" \\\\ c\', weights: [[1, 2]]}\n')
    text = run("graph", name, "--format", "dot").stdout
    proc = subprocess.run([dot, "-Tsvg"], input=text, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "<svg" in proc.stdout


# -- init


@pytest.mark.parametrize(
    "args",
    [
        ["2,3,1"],
        ["2,3,1", "--hidden-activation", "relu", "--output-activation", "linear", "--seed", "0"],
        ["4,8,8,3", "--hidden-activation", "tanh", "--output-activation", "softmax", "--init", "xavier", "--seed", "1"],
        ["3,5,2", "--init", "uniform", "--hidden-activation", "gelu", "--seed", "2"],
        ["2,2", "--init", "zeros"],
    ],
)
def test_init_round_trips_through_validate_and_forward(run, tmp_path, args):
    result = run("init", *args)
    assert result.exit_code == 0, result.output
    path = tmp_path / "net.yaml"
    path.write_text(result.stdout)
    assert run("validate", str(path)).exit_code == 0
    sizes = [int(s) for s in args[0].split(",")]
    rec = json.loads(run("forward", str(path), "--json").stdout)
    assert len(rec["output"]) == sizes[-1]
    net = load_spec(str(path))
    assert [layer.W.shape for layer in net.layers] == [(o, i) for i, o in zip(sizes, sizes[1:])]
    assert net.layers[-1].name == "output"


def init_weights(run, *args) -> list[np.ndarray]:
    doc = yaml.safe_load(run("init", *args).stdout)
    return [np.array(layer["weights"]) for layer in doc["layers"]], [np.array(layer["bias"]) for layer in doc["layers"]]


def test_initialisers_have_their_spread():
    # The initialiser itself, on a layer large enough for its spread to show; the CLI's
    # YAML round trip is tested above on small networks.
    from nncalc.initializers import initialize

    [(W, b)] = initialize([400, 300], "he", seed=3)
    assert W.shape == (300, 400) and W.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02) and not b.any()
    [(W, _)] = initialize([400, 300], "xavier", seed=3)
    assert W.std() == pytest.approx(np.sqrt(2 / 700), rel=0.02)
    [(W, b)] = initialize([400, 300], "uniform", seed=3)
    bound = 1 / np.sqrt(400)
    assert np.abs(W).max() <= bound and W.std() == pytest.approx(bound / np.sqrt(3), rel=0.02) and b.any()
    [(W, b)] = initialize([4, 3], "zeros")
    assert not W.any() and not b.any()


def test_init_rounds_to_its_digits(run):
    (W,), _ = init_weights(run, "20,10", "--seed", "3", "--digits", "2")
    # two significant digits: scaling by the value's power of ten leaves whole numbers
    scaled = W / 10.0 ** (np.floor(np.log10(np.abs(W))) - 1)
    np.testing.assert_allclose(scaled, np.round(scaled), atol=1e-9)


def test_default_initialiser_follows_the_activation(run):
    assert "He-normal" in run("init", "2,3,1").stdout
    assert "Xavier-normal" in run("init", "2,3,1", "--hidden-activation", "tanh").stdout


def test_seed_makes_it_reproducible(run):
    assert run("init", "3,4,2", "--seed", "7").stdout == run("init", "3,4,2", "--seed", "7").stdout
    assert run("init", "3,4,2", "--seed", "7").stdout != run("init", "3,4,2", "--seed", "8").stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["2,x"], "'x' is not a whole number"),
        (["2,0,1"], "'0' is not a whole number of units from 1"),
        (["3"], "give at least two sizes"),
        (["2,2", "--hidden-activation", "rleu"], "--hidden-activation 'rleu': unknown activation"),
        (["2,2", "--init", "kaiming"], "--init 'kaiming': expected one of he, xavier, uniform, zeros"),
        (["1000,1000,10"], "at most 1,000,000 are written into YAML"),
    ],
)
def test_init_errors(run, args, message):
    assert_one_error(run("init", *args), message)


# -- schema


@pytest.fixture
def schema(run):
    jsonschema = pytest.importorskip("jsonschema")
    doc = json.loads(run("schema").stdout)
    jsonschema.Draft202012Validator.check_schema(doc)
    return jsonschema.Draft202012Validator(doc)


def test_schema_accepts_every_bundled_example(schema):
    for name in example_names():
        errors = list(schema.iter_errors(yaml.safe_load((EXAMPLES_DIR / f"{name}.yaml").read_text())))
        assert not errors, (name, errors[0].message)


def test_schema_accepts_what_init_writes_and_files(schema, run):
    assert not list(schema.iter_errors(yaml.safe_load(run("init", "3,4,2", "--output-activation", "softmax").stdout)))
    spec = {"layers": [{"weights": {"file": "w.npy"}, "bias": {"file": "m.npz", "key": "b"},
                        "activation": {"name": "leaky_relu", "alpha": 0.2}}]}
    assert not list(schema.iter_errors(spec))


def test_schema_lists_activations_and_parameters(run):
    doc = json.loads(run("schema").stdout)
    activation = doc["$defs"]["layer"]["properties"]["activation"]["oneOf"]
    assert "gelu" in activation[0]["enum"] and "swish" in activation[0]["enum"]
    softplus = next(a for a in activation[1:] if a["properties"]["name"]["enum"] == ["softplus"])
    assert softplus["properties"]["beta"]["default"] == 1.0


SCHEMA_DETECTABLE = {
    "top level a list", "top level a number", "no layers", "empty layers", "layers a mapping",
    "layer not a mapping", "no weights", "weights 1-D", "weights empty", "weights a number", "weights 3-D",
    "empty row", "non-numeric", "boolean yes", "boolean true", "null", "quoted number",
    "bias not numbers", "unknown activation", "unknown activation lists known", "activation not text",
    "activation mapping without name", "bad activation parameter", "unknown activation parameter",
    "parameter for relu", "unknown key suggests", "unknown top key", "layer name not text",
    "input not numbers",
}


@pytest.mark.parametrize("case", [c for c in BAD_SPECS if c[0] in SCHEMA_DETECTABLE], ids=lambda c: c[0])
def test_schema_refuses_known_bad_specs(schema, case):
    # The same bad specs the loader refuses (tests/test_errors.py), where the fault is one
    # of structure rather than of shapes between layers.
    doc = yaml.safe_load(case[1])
    assert list(schema.iter_errors(doc)), f"schema accepted: {case[1]!r}"


def test_schema_cases_exist():
    assert SCHEMA_DETECTABLE <= {c[0] for c in BAD_SPECS}
