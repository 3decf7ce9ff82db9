"""The expression parser of ``nncalc approximate``: what it computes, checked against
Python's ``math`` written here, and what it refuses, each with one clean error line."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncalc.errors import InputError
from nncalc.expression import MAX_DEPTH, MAX_LENGTH, parse
from tests.conftest import assert_one_error


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


ACCEPTED = [
    ("sin(x)", math.sin),
    ("2*sin(x) + cos(x)**2", lambda x: 2 * math.sin(x) + math.cos(x) ** 2),
    ("exp(-x**2/2)", lambda x: math.exp(-(x**2) / 2)),
    ("sqrt(abs(x))", lambda x: math.sqrt(abs(x))),
    ("tanh(x) - sigmoid(x)", lambda x: math.tanh(x) - sigmoid(x)),
    ("log(x + 3)", lambda x: math.log(x + 3)),
    ("2*pi*x - e", lambda x: 2 * math.pi * x - math.e),
    ("x**3 - 2*x + 1", lambda x: x**3 - 2 * x + 1),
    ("-x**2", lambda x: -(x**2)),  # ** binds tighter than unary minus, as in Python
    ("2**-x", lambda x: 2 ** (-x)),
    ("+x", lambda x: x),
    ("(((x)))", lambda x: x),
    ("1/(1 + 25*x**2)", lambda x: 1 / (1 + 25 * x**2)),
    ("tan(x/2)", lambda x: math.tan(x / 2)),
    ("  x * 2.5e-1  ", lambda x: x * 0.25),
    ("e**(-x**2)", lambda x: math.e ** (-(x**2))),
]


@pytest.mark.parametrize("text, reference", ACCEPTED, ids=[t for t, _ in ACCEPTED])
def test_values_agree_with_math(text, reference):
    x = np.array([-2.0, -0.5, 0.0, 0.3, 1.0, 2.0])
    got = parse(text)(x)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, [reference(v) for v in x], rtol=1e-14, atol=1e-15)


def test_a_constant_fills_the_shape_of_x():
    f = parse("2*pi")
    assert f.constant and not parse("x").constant
    assert f(np.zeros(4)).tolist() == [2 * math.pi] * 4
    assert f.value() == 2 * math.pi


def test_sigmoid_is_stable_far_out():
    got = parse("sigmoid(x)")(np.array([-800.0, 800.0]))
    assert got.tolist() == [0.0, 1.0]  # no overflow, no warning (pytest fails on warnings it sees)


def test_values_outside_float64_come_back_as_inf_or_nan_without_warnings(recwarn):
    x = np.array([0.0, -1.0])
    assert parse("log(x)")(x)[0] == -np.inf
    assert parse("1/x")(x)[0] == np.inf
    assert np.isnan(parse("sqrt(x)")(x)[1])
    assert np.isinf(parse("exp(1000*x)")(np.array([1.0]))[0])
    assert not recwarn.list


def test_exponents_that_depend_on_x_are_left_to_float64():
    # Only constant exponents are bounded; x**x is computed, as float64 computes it.
    assert parse("x**x")(np.array([2.0])).tolist() == [4.0]
    assert np.isinf(parse("10**(400*x)")(np.array([1.0]))[0])


# ------------------------------------------------------------------------ refusals

REFUSED = [
    # (expression, column the message points at, what it says)
    ("__import__('os')", 1, "unknown function '__import__'"),
    ("__import__('os').system('true')", 17, "attributes are not allowed"),
    ("x.__class__", 2, "attributes are not allowed"),
    ("x.__class__.__bases__", 12, "attributes are not allowed"),
    ("(x).real", 4, "attributes are not allowed"),
    ("open('f')", 1, "unknown function 'open'"),
    ("eval('1')", 1, "unknown function 'eval'"),
    ("9**9**9", 4, "the exponent 9**9 = 3.8742e+08 is too large"),
    ("2**(10**10)", 5, "the exponent 10**10 = 1e+10 is too large"),
    ("x**101", 4, "constant exponents must lie between -100 and 100"),
    ("x**-101", 4, "constant exponents must lie between -100 and 100"),
    ("x**(1/0)", 5, "the exponent 1/0 is too large"),
    ("x**(0*(1/0))", 5, "is not a number"),
    ("lambda: 1", 1, "lambda functions are not allowed"),
    ("[1]", 1, "lists are not allowed"),
    ("(1, 2)", 1, "tuples"),
    ("{1}", 1, "sets are not allowed"),
    ("{'a': 1}", 1, "dictionaries are not allowed"),
    ("[i for i in x]", 1, "comprehensions are not allowed"),
    ("x if x else 1", 1, "conditional expressions"),
    ("x == 1", 1, "comparisons are not allowed"),
    ("x and 1", 1, "'and' and 'or' are not allowed"),
    ("not x", 1, "the operator 'not' is not allowed"),
    ("~x", 1, "the operator '~' is not allowed"),
    ("x // 2", 3, "the operator '//' is not allowed; use / to divide"),
    ("x % 2", 3, "the operator '%' is not allowed"),
    ("x @ x", 3, "the operator '@' is not allowed"),
    ("x[0]", 1, "subscripts are not allowed"),
    ("(y := 1)", 2, "assignments (:=) are not allowed"),
    ("f'{x}'", 1, "text (strings) are not allowed"),
    ("'x'", 1, "text is not allowed"),
    ("1j", 1, "complex numbers are not allowed"),
    ("True", 1, "True is not a number"),
    ("None", 1, "None is not a number"),
    ("1e999", 1, "too large for float64"),
    ("y", 1, "unknown name 'y'; the names are the variable x and the constants pi and e"),
    ("pii * x", 1, "unknown name 'pii'; did you mean 'pi'?"),
    ("__builtins__", 1, "unknown name '__builtins__'"),
    ("sin", 1, "sin is a function: write sin(...)"),
    ("sine(x)", 1, "unknown function 'sine'; did you mean 'sin'?"),
    ("sin(x, 2)", 1, "sin takes one argument"),
    ("sin(x=1)", 1, "sin takes one argument"),
    ("sin(x)(2)", 1, "only the functions"),
    ("x +* 2", 4, "not a formula (invalid syntax)"),
    ("(x", 1, "'(' was never closed"),
    ("2e", 1, "not a formula"),
    ("x²", 2, "invalid character '²'"),
    ("é + x.real", 1, "unknown name 'é'"),
    ("ｘ*1 + x.real", 8, "attributes are not allowed"),  # columns count characters, not bytes
    ("x\n+1", 2, "the control character U+000A is not allowed"),
    ("x\x00", 2, "the control character U+0000"),
    ("x\x1b[31m", 2, "the control character U+001B"),
    ("", 1, "empty; expected a formula in x, like sin(x)"),
    ("   ", 1, "empty"),
    ("1+" * 5000 + "1", MAX_LENGTH + 1, f"longer than {MAX_LENGTH} characters (it has 10,001)"),
    ("(" * 201 + "x" + ")" * 201, 201, "too many nested parentheses"),
    ("-" * (MAX_DEPTH + 1) + "x", MAX_DEPTH + 2, f"nested more than {MAX_DEPTH} operations deep"),
]


@pytest.mark.parametrize("text, column, message", REFUSED, ids=[repr(t[:30]) for t, _, _ in REFUSED])
def test_refused_with_the_column(text, column, message):
    with pytest.raises(InputError) as info:
        parse(text)
    text_of_error = str(info.value)
    assert f", column {column}: " in text_of_error
    assert message in text_of_error
    assert "\n" not in text_of_error and "\x1b" not in text_of_error and "\x00" not in text_of_error


HOSTILE_CLI = [
    "__import__('os')",
    "x.__class__",
    "open('f')",
    "9**9**9",
    "1+" * 5000 + "1",
    "lambda: 1",
    "[1]",
    "x if x else 1",
    "y",
    "os",
    "exit",
]


@pytest.mark.parametrize("text", HOSTILE_CLI, ids=[repr(t[:20]) for t in HOSTILE_CLI])
def test_the_command_refuses_each_cleanly(run, text):
    line = assert_one_error(run("approximate", text, "--range", "0,1"), "expression '", "column ")
    assert len(line) < 400  # a long expression is shown cut, not in full


def test_nothing_is_executed(run, tmp_path, monkeypatch):
    # If the text were ever evaluated, this would create the file.
    monkeypatch.chdir(tmp_path)
    payloads = [
        "__import__('pathlib').Path('pwned').touch()",
        "open('pwned', 'w')",
        "(lambda: __import__('os').system('touch pwned'))()",
        "[c for c in ().__class__.__base__.__subclasses__()]",
    ]
    for payload in payloads:
        assert_one_error(run("approximate", payload, "--range", "0,1"), "column")
    assert not (tmp_path / "pwned").exists()


def test_a_long_expression_inside_the_limits_works():
    text = "x" + "+x" * (MAX_DEPTH - 1)  # MAX_DEPTH terms: as deep as allowed
    assert parse(text)(np.array([1.0])).tolist() == [float(MAX_DEPTH)]
    text = "-" * MAX_DEPTH + "x"
    assert parse(text)(np.array([3.0])).tolist() == [3.0]


def test_range_ends_take_no_x():
    with pytest.raises(InputError, match="x is not allowed here"):
        parse("2*x", what="end", variable=False)
    assert parse("-pi/2", variable=False).value() == -math.pi / 2
