"""The spec loader's reading of valid specs: numbers, defaults, JSON, immutability."""

from __future__ import annotations

import filecmp

import numpy as np
import pytest

from nncalc.errors import SpecError
from nncalc.spec import EXAMPLES_DIR, example_names, parse_spec
from tests.conftest import ROOT


@pytest.mark.parametrize(
    "written, value",
    [
        ("1e-3", 1e-3),  # PyYAML alone reads this as text
        ("2E2", 200.0),
        (".5", 0.5),
        ("-.5", -0.5),
        ("+3", 3.0),
        ("7", 7.0),
        ("-1.25e+1", -12.5),
        ("0x1F", 31.0),  # YAML 1.1 integer forms still work
        ("1_000", 1000.0),
    ],
)
def test_numbers_as_people_write_them(written, value):
    net = parse_spec(f"layers:\n  - weights: [[{written}]]\n")
    assert net.layers[0].W[0, 0] == value


def test_json_is_accepted():
    net = parse_spec('{"layers": [{"weights": [[1, 2]], "bias": [0.5], "activation": "tanh"}], "input": [1, 1]}')
    assert net.layers[0].activation.name == "tanh"
    assert net.input.tolist() == [[1.0, 1.0]]


def test_json_with_escaped_characters_beyond_the_basic_plane():
    """json.dumps writes an emoji as two escapes (\\ud83d\\ude00), which YAML alone
    refuses: the names come out as written, and a later error's column is the one in
    the text as written."""
    import json

    spec = {"name": "smile \U0001F600", "input": [1, 2], "layers": [{"name": "h \U0001F600\U0001F600", "weights": [[1, 2]], "bias": [0.5]}]}
    text = json.dumps(spec)
    assert "\\ud83d\\ude00" in text
    net = parse_spec(text)
    assert (net.name, net.layers[0].name) == (spec["name"], spec["layers"][0]["name"])
    spec["layers"][0]["bias"] = [0.5, 1.0]  # one unit, two biases: an error at the bias
    text = json.dumps(spec)
    with pytest.raises(SpecError) as e:
        parse_spec(text)
    assert (e.value.line, e.value.column) == (1, text.index("[0.5, 1.0]") + 1)
    spec["layers"][0].update(bias=[0.5], activation="bogus")  # on a later line
    text = json.dumps(spec, indent=1)
    with pytest.raises(SpecError) as e:
        parse_spec(text)
    line = next(k for k, x in enumerate(text.splitlines(), 1) if "bogus" in x)
    assert (e.value.line, e.value.column) == (line, text.splitlines()[line - 1].index('"bogus"') + 1)
    # an escaped backslash before the letters makes them text; so does YAML's own quoting
    literal = "a\\ud83d\\ude00"
    assert parse_spec(json.dumps({"name": literal, "layers": [{"weights": [[1]]}]})).name == literal
    assert parse_spec("name: 'a\\ud83d\\ude00'\nlayers: [{weights: [[1]]}]").name == literal


def test_defaults():
    net = parse_spec("layers:\n  - weights: [[1, 2]]\n  - weights: [[3]]\n")
    assert [layer.name for layer in net.layers] == ["layer1", "layer2"]
    assert [layer.activation.name for layer in net.layers] == ["linear", "linear"]
    assert net.layers[0].b.tolist() == [0.0]
    assert not net.layers[0].has_bias
    assert net.input is None


def test_activation_with_parameters_and_aliases():
    net = parse_spec(
        "layers:\n"
        "  - weights: [[1]]\n    activation: {name: leaky_relu, alpha: 0.1}\n"
        "  - weights: [[1]]\n    activation: leaky_relu\n"
        "  - weights: [[1]]\n    activation: identity\n"
        "  - weights: [[1]]\n    activation: swish\n"
    )
    acts = [layer.activation for layer in net.layers]
    assert acts[0].kwargs == {"alpha": 0.1}
    assert acts[1].kwargs == {"alpha": 0.01}  # PyTorch's default
    assert acts[2].name == "linear"
    assert acts[3].name == "silu"


def test_activation_names_are_exact_like_every_name_in_a_spec():
    with pytest.raises(SpecError, match="unknown activation 'ReLU'; did you mean 'relu'"):
        parse_spec("layers:\n  - weights: [[1]]\n    activation: ReLU\n")


def test_single_neuron_scalar_bias_and_batch_input():
    net = parse_spec("input: [[2, 3, -1], [0, 0, 0]]\nlayers:\n  - weights: [[0.5, -0.2, 0.8]]\n    bias: 0.1\n")
    assert net.layers[0].W.shape == (1, 3)
    assert net.layers[0].b.tolist() == [0.1]
    assert net.input.shape == (2, 3)


def test_anchors_and_aliases_within_limits_are_fine():
    net = parse_spec("layers:\n  - weights: [&r [1, 2], *r, *r]\n")
    assert net.layers[0].W.tolist() == [[1, 2]] * 3


def test_network_is_immutable():
    net = parse_spec("layers:\n  - weights: [[1, 2]]\n")
    with pytest.raises(ValueError):
        net.layers[0].W[0, 0] = 5.0
    with pytest.raises(AttributeError):
        net.layers[0].name = "x"  # type: ignore[misc]


def test_bundled_examples_are_the_files_in_specs():
    assert example_names() == ["linear-stack", "neuron", "two-layer"]
    for name in example_names():
        assert filecmp.cmp(EXAMPLES_DIR / f"{name}.yaml", ROOT / "specs" / f"{name}.yaml", shallow=False)


def test_bundled_examples_carry_their_inputs():
    from nncalc.spec import load_spec

    for name in example_names():
        net = load_spec(name)
        assert net.input is not None and net.description
        np.testing.assert_equal(net.input.shape, (1, net.nin))
