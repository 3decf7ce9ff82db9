"""Numbers and input vectors, read the way people write them.

``1``, ``-0.5``, ``.5``, ``1e-3``, ``2E2`` are numbers; ``nan``, ``inf``, ``yes`` and empty
strings are not. The same rule serves the spec's plain YAML scalars and ``--input``.
"""

from __future__ import annotations

import math
import re

import numpy as np

from nncalc.errors import InputError
from nncalc.network import Network

# A decimal number: digits with an optional fraction, or a bare fraction, then an
# optional exponent. Python's float() would also take "nan", "inf" and "1_0"; we do not.
NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_NOT_FINITE = {"nan", "inf", "infinity", ".nan", ".inf"}


def parse_number(text: str) -> float:
    """A finite float from ``text``, or ValueError saying what is wrong with it.

    >>> parse_number("1e-3"), parse_number(".5"), parse_number("-2E2")
    (0.001, 0.5, -200.0)
    >>> parse_number("nan")
    Traceback (most recent call last):
    ...
    ValueError: 'nan' is not a finite number
    """
    s = text.strip()
    if s.lstrip("+-").lower() in _NOT_FINITE:
        raise ValueError(f"'{s}' is not a finite number")
    if not NUMBER.fullmatch(s):
        raise ValueError(f"'{s}' is not a number" if s else "a value is empty")
    value = float(s)
    if not math.isfinite(value):
        raise ValueError(f"'{s}' is too large for float64")
    return value


def parse_vector(text: str, net: Network) -> np.ndarray:
    """One input vector from ``--input`` text such as ``1,2`` or ``[1, 2]``.

    >>> from nncalc.activations import get
    >>> from nncalc.network import Layer, Network
    >>> net = Network((Layer("hidden", np.ones((3, 2)), np.zeros(3), get("relu")),))
    >>> parse_vector("-1, 2e-1", net).tolist()
    [-1.0, 0.2]
    """
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    items = body.split(",") if "," in body else body.split()
    if not items:
        raise InputError(f"--input '{text}' is empty; expected {net.nin} numbers separated by commas")
    values = []
    for i, item in enumerate(items, 1):
        try:
            values.append(parse_number(item))
        except ValueError as e:
            where = f"value {i} of {len(items)}"
            raise InputError(
                f"--input '{text}': {where}: {e}; expected {net.nin} numbers separated "
                f"by commas, like --input {','.join(['1'] * net.nin)}"
            ) from None
    check_length(len(values), net, f"--input '{text}'")
    return np.array(values, dtype=np.float64)


def check_length(n: int, net: Network, what: str) -> None:
    """Raise InputError unless an input of ``n`` values fits the first layer."""
    if n != net.nin:
        first = net.layers[0]
        raise InputError(
            f"{what} has {n} value{'s' if n != 1 else ''}, but layer '{first.name}' takes "
            f"{net.nin} input{'s' if net.nin != 1 else ''} (its weights have {net.nin} "
            f"column{'s' if net.nin != 1 else ''})"
        )


def parse_option_number(text: str, option: str) -> float:
    """A number given to a command-line option, or InputError naming the option."""
    try:
        return parse_number(text)
    except ValueError as e:
        raise InputError(f"{option} '{text}': {e}") from None


def parse_range(text: str, option: str = "--range") -> tuple[float, float]:
    """``-5,5`` -> (-5.0, 5.0); the first number must be the smaller.

    >>> parse_range("-3, 3")
    (-3.0, 3.0)
    """
    parts = text.split(",")
    if len(parts) != 2:
        raise InputError(f"{option} '{text}': expected two numbers, like {option} -5,5")
    lo, hi = (parse_option_number(p, option) for p in parts)
    if not lo < hi:
        raise InputError(f"{option} '{text}': the first number must be smaller than the second")
    return lo, hi
