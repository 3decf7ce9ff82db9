"""Specs a user can write by mistake or on purpose: every one a single error line.

Control characters, numbers beyond float64, YAML 1.1 leftovers, files that are not
files, names that would break a terminal: the loader refuses each at its line and column.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import nncalc

from tests.conftest import assert_one_error


@pytest.mark.parametrize(
    "text, where, message",
    [
        ("layers:\n  - weights: [[1, 2]]\n    name: a\x00b\n", "3:12", "control character U+0000"),
        ("layers:\n  - weights: [[1, 2\x07]]\n", "2:20", "control character U+0007"),
        ("name: \x1b[2J\nlayers:\n  - weights: [[1, 2]]\n", "1:7", "control character U+001B"),
        # escapes that YAML itself decodes in double quotes reach the name check
        ('layers:\n  - weights: [[1, 2]]\n    name: "x\\e[2Jy"\n', "3:11", "control character U+001B"),
        ('name: "a\\x9bb"\nlayers:\n  - weights: [[1, 2]]\n', "1:7", "control character U+009B"),
        ('layers:\n  - weights: [[1, 2]]\n    name: "line\\nbreak"\n', "3:11", "control character U+000A"),
    ],
    ids=["NUL", "BEL", "ESC raw", "ESC escaped", "C1 escaped", "newline in a name"],
)
def test_control_characters(run, spec_file, text, where, message):
    path = spec_file(text)
    line = assert_one_error(run("validate", path), f"{path}:{where}:", message)
    assert "\x1b" not in line and "\x00" not in line and "\x07" not in line


@pytest.mark.parametrize(
    "name",
    [
        "\U0001F469\u200d\U0001F4BB",  # woman technologist
        "\U0001F469\U0001F3FD\u200d\U0001F4BB",  # with a skin tone
        "\U0001F3F3\ufe0f\u200d\U0001F308",  # rainbow flag: the emoji form, then the joiner
        "family \U0001F468\u200d\U0001F469\u200d\U0001F467",
    ],
)
def test_emoji_joined_by_zero_width_joiners_are_names(name):
    net = nncalc.from_arrays([{"weights": [[1.0, 2.0]], "name": name}])
    assert net.layers[0].name == name


@pytest.mark.parametrize(
    "name", ["a\u200db", "\u200d\U0001F469", "\U0001F469\u200d", "\U0001F469\u200dx", "x\u200d\U0001F469", "\U0001F469\u200d\u200d\U0001F4BB"]
)
def test_a_joiner_elsewhere_is_refused(name):
    with pytest.raises(nncalc.SpecError, match="control character U\\+200D"):
        nncalc.from_arrays([{"weights": [[1.0, 2.0]], "name": name}])


def test_control_characters_on_stdin(run):
    assert_one_error(run("validate", "-", input="layers:\n  - weights: [[1\x1b]]\n"), "<stdin>:2:", "U+001B")


BIG = "9" * 400


@pytest.mark.parametrize(
    "text, where",
    [
        (f"layers:\n  - weights: [[{BIG}, 1]]\n", "2:16"),
        (f"layers:\n  - weights: [[1, 2]]\n    bias: [{BIG}]\n", "3:12"),
        (f"layers:\n  - weights: [[1]]\n    activation: {{name: leaky_relu, alpha: {BIG}}}\n", "3:43"),
        (f"input: [{BIG}, 1]\nlayers:\n  - weights: [[1, 2]]\n", "1:9"),
        ("layers:\n  - weights: [[0x" + "F" * 300 + ", 1]]\n", "2:16"),
        ("layers:\n  - weights: [[1_" + "0" * 5000 + ", 1]]\n", "2:16"),
    ],
    ids=["weight", "bias", "parameter", "input", "hex", "past Python's digit limit"],
)
def test_integers_beyond_float64(run, spec_file, text, where):
    path = spec_file(text)
    assert_one_error(run("validate", path), f"{path}:{where}:", "too large for float64")


@pytest.mark.parametrize("value", [BIG, BIG + ".5", "1" + "0" * 5000])
def test_huge_input_values(run, value):
    assert_one_error(run("forward", "two-layer", "--input", f"{value},1"), "too large for float64")


def test_yaml_1_1_leftovers_are_refused(run, spec_file):
    path = spec_file("layers:\n  - weights: [[1:30, 1]]\n")
    assert_one_error(run("validate", path), f"{path}:2:16:", "'1:30' is not a number", "base 60")
    path = spec_file("layers:\n  - weights: [[!!str 5, 1]]\n")
    assert_one_error(run("validate", path), f"{path}:2:16:", "tagged !!str")
    path = spec_file("layers:\n  - weights: [[!!float 5, 1]]\n")
    assert_one_error(run("validate", path), "tagged !!float")


def test_yaml_1_2_integer_forms(run, spec_file):
    # What the loader's comment promises: 0x1F, 0o17, 0b101 and 1_000 as YAML 1.2 reads
    # them, and 017 as decimal 17.
    path = spec_file("input: [1]\nlayers:\n  - weights: [[0x1F], [0o17], [0b101], [1_000], [017]]\n")
    out = run("forward", path, "--json")
    assert out.exit_code == 0, out.output
    import json

    assert json.loads(out.stdout)["output"] == [31.0, 15.0, 5.0, 1000.0, 17.0]


def test_unicode_digits_are_not_numbers(run, spec_file):
    path = spec_file("layers:\n  - weights: [[１, 2]]\n")
    assert_one_error(run("validate", path), f"{path}:2:16:", "is not a number")


def test_empty_weight_matrix_from_a_file(run, tmp_path):
    np.save(tmp_path / "w.npy", np.zeros((0, 3)))
    (tmp_path / "net.yaml").write_text("layers:\n  - weights: {file: w.npy}\n")
    assert_one_error(run("validate", str(tmp_path / "net.yaml")), "net.yaml:2:21:", "is empty (shape (0, 3))")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(run, tmp_path):
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    assert_one_error(run("validate", str(fifo)), "not a regular file")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_device_is_refused(run):
    assert_one_error(run("validate", "/dev/zero"), "/dev/zero: cannot read the file", "not a regular file")


def test_mistyped_example_name(run):
    assert_one_error(run("forward", "two-layr"), "two-layr: no such file", "did you mean the example 'two-layer'?")


def test_names_are_checked_in_from_arrays_too():
    import nncalc

    with pytest.raises(nncalc.SpecError, match="control character U\\+001B"):
        nncalc.from_arrays([{"weights": [[1.0]], "name": "a\x1b[2Jb"}])


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize(
    "args",
    [
        ["forward", "two-layer"],
        ["forward", "two-layer", "--json"],
        ["validate", "two-layer"],
        ["collapse"],
        ["activations"],
        ["schema"],
        ["init", "2,3,1"],
        ["graph", "two-layer"],
        ["examples"],
        ["--help"],
    ],
)
def test_a_full_disk_is_one_error(args):
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "nncalc", *args], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["error: cannot write the output: No space left on device"]


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
@pytest.mark.parametrize("args", [["--help"], ["forward", "--help"], ["forward", "two-layer", "--json"]])
def test_terminals_that_are_not_utf8(args, encoding):
    env = {**os.environ, "PYTHONIOENCODING": encoding, "COLUMNS": "80"}
    result = subprocess.run([sys.executable, "-m", "nncalc", *args], capture_output=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    if encoding != "ascii":  # Click writes UTF-8 where Python's stream says ASCII
        result.stdout.decode(encoding)


def test_seed_must_not_be_negative(run):
    result = run("collapse", "two-layer", "--seed", "-1")
    assert result.exit_code == 1 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "--seed" in result.stderr


def test_collapse_refuses_several_inputs(run):
    assert_one_error(run("collapse", "--input", "1,2", "--input", "3,4"), "collapse checks one input")


def test_init_sizes_are_ascii_digits(run):
    assert_one_error(run("init", "2,²"), "'²' is not a whole number")


def test_init_writes_a_file(run, tmp_path):
    out = tmp_path / "net.yaml"
    result = run("init", "2,3,1", "--seed", "0", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert run("validate", str(out)).exit_code == 0


def test_init_suggests_activation_names(run):
    assert_one_error(run("init", "2,2", "--hidden-activation", "Tanh"), "did you mean 'tanh'?")
