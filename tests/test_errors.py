"""Bad input: one line on stderr naming file, line and column; exit 1; empty stdout."""

from __future__ import annotations

import pytest

from tests.conftest import assert_one_error  # noqa: F401  (other modules import it from here too)


BAD_SPECS = [
    # (id, spec text, line:col of the node the error points at, what the message says)
    ("yaml syntax", "layers:\n  - weights: [[1, 2]\n", "3:1", "invalid YAML"),
    ("tab indentation", "layers:\n\t- weights: [[1, 2]]\n", "2:1", "invalid YAML"),
    ("top level a list", "- 1\n- 2\n", "1:1", "the spec must be a mapping"),
    ("top level a number", "3\n", "1:1", "the spec must be a mapping"),
    ("no layers", "name: x\n", "1:1", "no 'layers'"),
    ("empty layers", "layers: []\n", "1:9", "non-empty list of layers"),
    ("layers a mapping", "layers: {a: 1}\n", "1:9", "non-empty list of layers"),
    ("layer not a mapping", "layers:\n  - 5\n", "2:5", "layer 1 must be a mapping"),
    ("no weights", "layers:\n  - activation: relu\n", "2:5", "has no 'weights'"),
    ("weights 1-D", "layers:\n  - weights: [1, 2]\n", "2:14", "2-D matrix"),
    ("weights empty", "layers:\n  - weights: []\n", "2:14", "non-empty 2-D matrix"),
    ("weights a number", "layers:\n  - weights: 3\n", "2:14", "non-empty 2-D matrix"),
    ("weights 3-D", "layers:\n  - weights: [[[1]]]\n", "2:16", "weights[0][0] must be a number, got a list"),
    ("empty row", "layers:\n  - weights: [[]]\n", "2:15", "row 1 is empty"),
    ("ragged rows", "layers:\n  - weights:\n      - [1, 2]\n      - [1, 2, 3]\n", "4:9", "row 2 has 3 values, but row 1 has 2"),
    ("non-numeric", "layers:\n  - weights: [[1, abc]]\n", "2:19", "'abc' is not a number"),
    ("boolean yes", "layers:\n  - weights: [[1, yes]]\n", "2:19", "got the boolean 'yes'"),
    ("boolean true", "layers:\n  - weights: [[true, 1]]\n", "2:16", "got the boolean 'true'"),
    ("null", "layers:\n  - weights: [[1, null]]\n", "2:19", "got nothing (null)"),
    ("quoted number", "layers:\n  - weights: [[1, \"2\"]]\n", "2:19", "quoted text '2'"),
    ("nan", "layers:\n  - weights: [[1, .nan]]\n", "2:19", "not a finite number"),
    ("inf", "layers:\n  - weights: [[-.inf, 1]]\n", "2:16", "not a finite number"),
    ("too large", "layers:\n  - weights: [[1e999, 1]]\n", "2:16", "too large for float64"),
    ("bias length", "layers:\n  - weights: [[1, 2]]\n    bias: [1, 2]\n", "3:11", "bias has 2 values, but weights have 1 row"),
    ("bias not numbers", "layers:\n  - weights: [[1, 2]]\n    bias: [x]\n", "3:12", "'x' is not a number"),
    ("scalar bias, many units", "layers:\n  - weights: [[1], [2]]\n    bias: 0.5\n", "3:11", "must be a list of numbers"),
    (
        "columns do not fit previous layer",
        "layers:\n  - name: hidden\n    weights: [[1, 2], [3, 4]]\n  - name: out\n    weights: [[1, 2, 3]]\n",
        "5:14",
        "layer 'out': weights have 3 columns, but layer 'hidden' has 2 units",
    ),
    ("unknown activation", "layers:\n  - weights: [[1]]\n    activation: rleu\n", "3:17", "did you mean 'relu'?"),
    ("unknown activation lists known", "layers:\n  - weights: [[1]]\n    activation: swoosh\n", "3:17", "known: elu, gelu, gelu_tanh, hard_sigmoid, hard_swish (hard_silu), hard_tanh, leaky_relu, linear (identity, none), log_softmax, mish, relu, selu, sigmoid, silu (swish), softmax, softplus, softsign, tanh"),
    ("activation not text", "layers:\n  - weights: [[1]]\n    activation: [relu]\n", "3:17", "activation name must be text"),
    ("activation mapping without name", "layers:\n  - weights: [[1]]\n    activation: {alpha: 1}\n", "3:17", "needs a 'name'"),
    ("bad activation parameter", "layers:\n  - weights: [[1]]\n    activation: {name: leaky_relu, alpha: x}\n", "3:43", "parameter 'alpha' must be a number"),
    ("unknown activation parameter", "layers:\n  - weights: [[1]]\n    activation: {name: leaky_relu, slope: 1}\n", "3:36", "unknown parameter 'slope'"),
    ("hard_tanh bounds reversed", "layers:\n  - weights: [[1]]\n    activation: {name: hard_tanh, min_val: 1, max_val: -1}\n", "3:17", "min_val (1) must be less than max_val (-1)"),
    ("softplus beta zero", "layers:\n  - weights: [[1]]\n    activation: {name: softplus, beta: 0}\n", "3:17", "beta must not be 0"),
    ("parameter for relu", "layers:\n  - weights: [[1]]\n    activation: {name: relu, alpha: 1}\n", "3:30", "relu takes no parameters"),
    ("duplicate key", "layers:\n  - weights: [[1]]\n    weights: [[2]]\n", "3:5", "duplicate key 'weights'"),
    ("duplicate top key", "layers: []\nlayers: []\n", "2:1", "duplicate key 'layers'"),
    ("unknown key suggests", "layers:\n  - wieghts: [[1, 2]]\n", "2:5", "unknown key 'wieghts' in layer 1; did you mean 'weights'?"),
    ("unknown top key", "layer:\n  - weights: [[1]]\n", "1:1", "did you mean 'layers'?"),
    ("duplicate layer names", "layers:\n  - {name: a, weights: [[1]]}\n  - {name: a, weights: [[1]]}\n", "3:5", "used twice"),
    ("layer name not text", "layers:\n  - {name: [a], weights: [[1]]}\n", "2:12", "name must be text"),
    ("input wrong length", "input: [1, 2, 3]\nlayers:\n  - weights: [[1, 2]]\n", "1:8", "input has 3 values, but layer 'layer1' takes 2 inputs"),
    ("input not numbers", "input: [1, a]\nlayers:\n  - weights: [[1, 2]]\n", "1:12", "'a' is not a number"),
    ("batch input row wrong", "input: [[1, 2], [3]]\nlayers:\n  - weights: [[1, 2]]\n", "1:17", "input 2 has 1 value"),
    ("python object tag", "layers:\n  - weights: !!python/object/apply:os.system [\"echo hi\"]\n", "2:14", "YAML tag '!!python/object/apply:os.system' is not allowed"),
    ("python name tag", "name: !!python/name:os.system\nlayers: []\n", "1:7", "is not allowed"),
    ("custom tag", "layers:\n  - weights: !matrix [[1]]\n", "2:14", "YAML tag '!matrix' is not allowed"),
    ("binary tag", "name: !!binary aGVsbG8=\nlayers: []\n", "1:7", "is not allowed"),
    ("recursive alias", "layers: &a\n  - *a\n", "1:9", "refers to the list or mapping it is in"),
    ("undefined alias", "layers: *nope\n", "1:9", "undefined alias"),
    ("two documents", "layers: []\n---\nlayers: []\n", "2:1", "invalid YAML"),
]


@pytest.mark.parametrize("text, where, message", [c[1:] for c in BAD_SPECS], ids=[c[0] for c in BAD_SPECS])
def test_bad_spec(run, spec_file, text, where, message):
    path = spec_file(text)
    line = assert_one_error(run("forward", path, "--input", "1"), f"error: {path}:{where}: ", message)
    # validate reports the same line as forward.
    assert run("validate", path).stderr.splitlines() == [line]


def test_alias_bomb_is_refused(run, spec_file):
    # "Billion laughs": 9 levels of 10 aliases each would expand to 10^9 numbers.
    lines = ["a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]")
    lines.append("layers:\n  - weights: *i")
    path = spec_file("\n".join(lines) + "\n")
    assert_one_error(run("forward", path), "expands to more than 10,000,000 values")


def test_deep_nesting_is_refused(run, spec_file):
    path = spec_file("layers: " + "[" * 100_000 + "\n")
    # The line and column are where the reader stopped: at the ninth level, or where
    # libyaml's own depth limit (in newer builds) stopped its reading ahead.
    assert_one_error(run("forward", path), f"{path}:1:", "nest more than 8 levels deep")


def test_missing_file_names_the_examples(run):
    assert_one_error(run("forward", "no-such.yaml"), "error: no-such.yaml: no such file", "two-layer")


def test_directory(run, tmp_path):
    assert_one_error(run("forward", str(tmp_path)), f"{tmp_path}: cannot read the file")


def test_not_utf8(run, tmp_path):
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"layers: \xff\xfe\n")
    assert_one_error(run("forward", str(path)), "not UTF-8 text")


def test_empty_file(run, spec_file):
    assert_one_error(run("forward", spec_file("")), "the spec is empty")


def test_bad_yaml_on_stdin(run):
    assert_one_error(run("forward", "-", input="layers: [[\n"), "error: <stdin>:2:1: invalid YAML")


@pytest.mark.parametrize(
    "value, message",
    [
        ("1,,2", "--input '1,,2': value 2 of 3: a value is empty"),
        ("a,b", "--input 'a,b': value 1 of 2: 'a' is not a number"),
        ("nan,1", "'nan' is not a finite number"),
        ("1,inf", "'inf' is not a finite number"),
        ("1e400,1", "too large for float64"),
        ("1,2,3", "--input '1,2,3' has 3 values, but layer 'hidden' takes 2 inputs"),
        ("1", "--input '1' has 1 value, but layer 'hidden' takes 2 inputs"),
        ("", "--input '' is empty"),
        (" , ", "value 1 of 2: a value is empty"),
    ],
)
def test_bad_input(run, value, message):
    assert_one_error(run("forward", "two-layer", "--input", value), message)


def test_no_input_anywhere(run, spec_file):
    path = spec_file("layers:\n  - weights: [[1, 2]]\n")
    assert_one_error(run("forward", path), "no input given", "--input")


def test_overflow_names_layer_and_unit(run, spec_file):
    path = spec_file(
        "input: [1, 1]\nlayers:\n  - name: big\n    weights: [[1, 1], [1e300, 1e300]]\n"
        "  - name: out\n    weights: [[1, 1e300]]\n"
    )
    assert_one_error(run("forward", path), f"error: {path}: layer 'out', unit 1: z = Wx + b overflows float64")


def test_overflow_in_a_batch_names_the_input(run, spec_file):
    path = spec_file("layers:\n  - name: l\n    weights: [[1e300]]\n")
    line = assert_one_error(run("forward", path, "-i", "1", "-i", "1e10"), "overflows float64")
    assert "for input 2;" in line


def test_usage_errors_are_one_line_too(run):
    assert_one_error(run("forward", "two-layer", "--no-such-flag"), "error: no such option: --no-such-flag (see 'nncalc forward --help')")
    assert_one_error(run("forwrd", "two-layer"), "error: no such command 'forwrd'. Did you mean 'forward'? (see 'nncalc --help')")
    assert_one_error(run("forward"), "error: missing argument 'SPEC' (see 'nncalc forward --help')")
    assert_one_error(run("forward", "two-layer", "--input"), "error: option '--input' requires an argument")


def test_precision_out_of_range_is_a_usage_error(run):
    assert_one_error(run("forward", "two-layer", "--precision", "0"), "'--precision': 0 is not in the range 1<=x<=17")


def test_nncalc_alone_prints_its_help(run):
    result = run()
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: nncalc [OPTIONS] COMMAND [ARGS]...")
    assert "forward" in result.stdout
