"""Formulas in ``x`` that people type, such as ``sin(x)`` or ``exp(-x**2/2)``, read safely.

The text is parsed by Python's :mod:`ast` (after a length limit, as a long enough text
overflows the parser's recursion) and every node is checked against a whitelist:
numbers, the variable ``x``, ``+ - * / **``, unary minus and plus, parentheses, the
constants ``pi`` and ``e``, and the functions in :data:`FUNCTIONS`. The checked tree is
turned into NumPy calls once; nothing is ever passed to ``eval``. A mistake is an
:class:`~nncalc.errors.InputError` that names the column of the offending character.

>>> f = parse("2*sin(x) + x**2")
>>> f(np.array([0.0, 1.0])).round(6).tolist()
[0.0, 2.682942]
>>> parse("x.__class__")
Traceback (most recent call last):
...
nncalc.errors.InputError: expression 'x.__class__', column 2: attributes are not allowed; an expression is made of numbers, x, pi, e, + - * / **, parentheses and the functions sin, cos, tan, exp, log, sqrt, abs, tanh, sigmoid
"""

from __future__ import annotations

import ast
import unicodedata
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from nncalc.errors import InputError, did_you_mean

MAX_LENGTH = 500  # characters; far more than any formula needs, far below the parser's limits
MAX_DEPTH = 200  # nested operations; keeps the checker and the evaluator well inside Python's recursion limit
MAX_EXPONENT = 100  # |p| of a constant exponent; 9**9**9 is refused, not computed

Array = np.ndarray
Fn = Callable[[Array], Array]


def _sigmoid(z: Array) -> Array:
    from nncalc.activations import get

    return get("sigmoid")(z)


# The functions an expression may call, each exactly one NumPy (or nncalc) function.
FUNCTIONS: dict[str, Callable[[Array], Array]] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
}
CONSTANTS = {"pi": np.pi, "π": np.pi, "e": np.e}
_OPERATORS: dict[type, Callable[[Array, Array], Array]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_SYMBOLS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Invert: "~",
    ast.Not: "not",
}
# What each refused kind of node is called in a message.
_KINDS = {
    ast.Attribute: "attributes",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda functions",
    ast.IfExp: "conditional expressions (... if ... else ...)",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and' and 'or'",
    ast.List: "lists",
    ast.Tuple: "tuples (or commas)",
    ast.Set: "sets",
    ast.Dict: "dictionaries",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generators",
    ast.NamedExpr: "assignments (:=)",
    ast.JoinedStr: "text (strings)",
    ast.Starred: "starred arguments",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}
GRAMMAR = (
    "an expression is made of numbers, x, pi, e, + - * / **, parentheses and the "
    f"functions {', '.join(FUNCTIONS)}"
)


@dataclass(frozen=True)
class Expression:
    """A checked formula in ``x``, evaluated with NumPy over a whole array at once.

    Calling it never warns: a value outside float64 (``log(0)``, ``1/0``, ``sqrt(-1)``)
    comes back as ``inf`` or ``nan`` for the caller to report.

    >>> parse("1/x")(np.array([0.0, 2.0])).tolist()
    [inf, 0.5]
    >>> parse("pi/2").constant
    True
    """

    text: str
    uses_x: bool
    _fn: Fn = field(repr=False, compare=False)

    @property
    def constant(self) -> bool:
        return not self.uses_x

    def __call__(self, x: Array) -> Array:
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            y = self._fn(x)
        return np.array(np.broadcast_to(np.asarray(y, dtype=np.float64), x.shape))

    def value(self) -> float:
        """The value of an expression without ``x``, such as ``2*pi``."""
        return float(self(np.zeros(())))


def shown(text: str, column: int | None = None, width: int = 60) -> str:
    """``text`` as a message shows it: control characters escaped, and a long text cut
    to ``width`` characters around ``column`` (1-based), with … where it was cut.

    >>> shown("x\\x1b[31m")
    'x\\\\x1b[31m'
    >>> shown("0123456789" * 10, column=50, width=10)
    '…4567890123…'
    """
    cut_left = cut_right = False
    if len(text) > width:
        centre = (column or 1) - 1
        start = max(0, min(centre - width // 2, len(text) - width))
        cut_left, cut_right = start > 0, start + width < len(text)
        text = text[start : start + width]
    body = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )
    return ("…" if cut_left else "") + body + ("…" if cut_right else "")


def parse(text: str, *, what: str = "expression", variable: bool = True) -> Expression:
    """Check ``text`` against the whitelist and build its evaluator.

    ``what`` names the text in messages; ``variable=False`` allows no ``x`` (for range
    ends such as ``2*pi``).

    >>> parse("x if x else 1")
    Traceback (most recent call last):
    ...
    nncalc.errors.InputError: expression 'x if x else 1', column 1: conditional expressions (... if ... else ...) are not allowed; an expression is made of numbers, x, pi, e, + - * / **, parentheses and the functions sin, cos, tan, exp, log, sqrt, abs, tanh, sigmoid
    """
    if not isinstance(text, str):
        raise InputError(f"{what}: expected text, got {type(text).__name__}")

    def fail(column: int, problem: str) -> InputError:
        return InputError(f"{what} '{shown(text, column)}', column {column}: {problem}")

    if len(text) > MAX_LENGTH:
        raise fail(MAX_LENGTH + 1, f"longer than {MAX_LENGTH} characters (it has {len(text):,})")
    for i, c in enumerate(text, 1):
        if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            raise fail(i, f"the control character U+{ord(c):04X} is not allowed")
    body = text.lstrip()
    indent = len(text) - len(body)  # the parser takes no leading spaces; columns count them
    if not body.strip():
        raise fail(1, "empty; expected a formula in x, like sin(x)" if variable else "empty")
    try:
        tree = ast.parse(body, mode="eval")
    except SyntaxError as e:
        column = indent + (e.offset or 1)
        raise fail(max(1, min(column, len(text))), _syntax_message(e.msg)) from None
    except (RecursionError, MemoryError, ValueError):
        raise fail(1, "too deeply nested to read") from None
    return _Checker(text, body, indent, fail, variable).expression(tree.body)


def _syntax_message(msg: str) -> str:
    if msg.startswith("too many nested parentheses"):
        return "too many nested parentheses"
    return f"not a formula ({msg})"


class _Checker:
    """Walks the tree once: refuses what the whitelist lacks, builds NumPy closures."""

    def __init__(self, text: str, body: str, indent: int, fail: Callable[[int, str], InputError], variable: bool) -> None:
        self.text, self.indent, self.fail, self.variable = text, indent, fail, variable
        self.line = body.encode("utf-8")  # ast columns count UTF-8 bytes

    def column(self, node: ast.AST, after: ast.AST | None = None) -> int:
        """The 1-based character column where ``node`` starts (or, with ``after``, the
        first character after that child, such as the '.' of an attribute)."""
        offset = after.end_col_offset if after is not None else node.col_offset  # type: ignore[attr-defined]
        col = len(self.line[: offset or 0].decode("utf-8", "replace"))
        if after is not None:  # skip spaces and closing parentheses to the operator itself
            body = self.text[self.indent :]
            while col < len(body) and body[col] in " )":
                col += 1
        return self.indent + col + 1

    def refuse(self, node: ast.AST, problem: str, after: ast.AST | None = None) -> InputError:
        return self.fail(self.column(node, after), problem)

    def expression(self, root: ast.expr) -> Expression:
        fn, uses_x = self.node(root, 0)
        return Expression(self.text, uses_x, fn)

    def node(self, node: ast.AST, depth: int) -> tuple[Fn, bool]:
        """The evaluator of ``node`` and whether it depends on ``x``."""
        if depth > MAX_DEPTH:
            raise self.refuse(node, f"nested more than {MAX_DEPTH} operations deep")
        if isinstance(node, ast.Constant):
            return self.number(node), False
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.USub, ast.UAdd)):
                inner, uses_x = self.node(node.operand, depth + 1)
                if isinstance(node.op, ast.UAdd):
                    return inner, uses_x
                return (lambda x: np.negative(inner(x))), uses_x
            raise self.refuse(node, f"the operator '{_SYMBOLS[type(node.op)]}' is not allowed; {GRAMMAR}")
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        kind = _KINDS.get(type(node), f"'{type(node).__name__}' expressions")
        verb = "is" if kind in ("await", "yield") else "are"
        at = node.value if isinstance(node, ast.Attribute) else None  # point at the '.'
        raise self.refuse(node, f"{kind} {verb} not allowed; {GRAMMAR}", after=at)

    def number(self, node: ast.Constant) -> Fn:
        v = node.value
        if isinstance(v, (str, bytes)):
            raise self.refuse(node, f"text is not allowed; {GRAMMAR}")
        if isinstance(v, complex):
            raise self.refuse(node, "complex numbers are not allowed; only real numbers")
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.refuse(node, f"{v!r} is not a number; {GRAMMAR}")
        try:
            value = float(v)
        except OverflowError:
            value = float("inf")
        if not np.isfinite(value):
            raise self.refuse(node, "this number is too large for float64")
        return lambda x: value  # noqa: E731

    def name(self, node: ast.Name) -> tuple[Fn, bool]:
        if node.id == "x" and self.variable:
            return (lambda x: x), True
        if node.id in CONSTANTS:
            value = CONSTANTS[node.id]
            return (lambda x: value), False
        if node.id in FUNCTIONS:
            raise self.refuse(node, f"{node.id} is a function: write {node.id}(...)")
        if node.id == "x":
            raise self.refuse(node, "x is not allowed here; expected a number or a constant such as pi or 2*pi")
        known = (["x"] if self.variable else []) + ["pi", "e"]
        suggest = did_you_mean(node.id, known)
        names = "the variable x and the constants pi and e" if self.variable else "the constants pi and e"
        raise self.refuse(node, f"unknown name '{shown(node.id)}'; {suggest}the names are {names}")

    def binary(self, node: ast.BinOp, depth: int) -> tuple[Fn, bool]:
        op = _OPERATORS.get(type(node.op))
        if op is None:
            symbol = _SYMBOLS.get(type(node.op), type(node.op).__name__)
            hint = "; use / to divide" if symbol == "//" else ""
            raise self.refuse(node, f"the operator '{symbol}' is not allowed{hint}; {GRAMMAR}", after=node.left)
        left, left_x = self.node(node.left, depth + 1)
        right, right_x = self.node(node.right, depth + 1)
        if isinstance(node.op, ast.Pow) and not right_x:
            # A constant exponent is computed now and bounded, so that 9**9**9 is refused
            # rather than computed; exponents that depend on x are left to float64.
            with np.errstate(all="ignore"):
                p = float(right(np.zeros(())))
            if not np.isfinite(p) or abs(p) > MAX_EXPONENT:
                exponent = ast.get_source_segment(self.text[self.indent :], node.right) or "the exponent"
                value = f" = {p:.6g}" if np.isfinite(p) and exponent.strip("() ") != f"{p:g}" else ""
                problem = "not a number" if np.isnan(p) else "too large in size"
                raise self.refuse(
                    node.right,
                    f"the exponent {shown(exponent)}{value} is {problem}; constant exponents must lie "
                    f"between -{MAX_EXPONENT} and {MAX_EXPONENT}",
                )
        return (lambda x: op(left(x), right(x))), left_x or right_x

    def call(self, node: ast.Call, depth: int) -> tuple[Fn, bool]:
        if not isinstance(node.func, ast.Name):
            self.node(node.func, depth + 1)  # refuses an attribute (os.system) at its '.'
            raise self.refuse(node, f"only the functions {', '.join(FUNCTIONS)} can be called")
        name = node.func.id
        fn = FUNCTIONS.get(name)
        if fn is None:
            suggest = did_you_mean(name, FUNCTIONS)
            raise self.refuse(node, f"unknown function '{shown(name)}'; {suggest}the functions are {', '.join(FUNCTIONS)}")
        if node.keywords or len(node.args) != 1:
            given = len(node.args) + len(node.keywords)
            raise self.refuse(node, f"{name} takes one argument, like {name}(x); given {given}")
        inner, uses_x = self.node(node.args[0], depth + 1)
        return (lambda x: fn(inner(x))), uses_x
