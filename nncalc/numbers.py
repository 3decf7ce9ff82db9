"""Numbers as nncalc reads them, from specs, options and input files: decimal text,
never ``nan``, ``inf``, ``1_0`` or other scripts' digits; a fraction as teachers write
it (``1/3``); each read as the float closest to it, or, for an exact reading, as the
fraction it is.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from nncalc.files import shown

if TYPE_CHECKING:
    from fractions import Fraction

# A decimal number: digits with an optional fraction, or a bare fraction, then an
# optional exponent. Python's float() would also take "nan", "inf", "1_0" and other
# scripts' digits ("١"); we do not.
NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_NOT_FINITE = {"nan", "inf", "infinity", ".nan", ".inf"}


def parse_number(text: str) -> float:
    """A finite float from ``text``, or ValueError saying what is wrong with it.

    >>> parse_number("1e-3"), parse_number(".5"), parse_number("-2E2")
    (0.001, 0.5, -200.0)
    >>> parse_number("nan")
    Traceback (most recent call last):
    ...
    ValueError: 'nan' is not a finite number
    >>> parse_number("1" * 400)
    Traceback (most recent call last):
    ...
    ValueError: '111111111111111111111111111111…' (400 characters) is too large for float64
    """
    s = text.strip()
    if s.lstrip("+-").lower() in _NOT_FINITE:
        raise ValueError(f"{shown(s)} is not a finite number")
    if "/" in s and FRACTION.fullmatch(s):
        try:
            value = float(parse_exact(s))
        except OverflowError:
            raise ValueError(f"{shown(s)} is too large for float64") from None
        return value
    if not NUMBER.fullmatch(s):
        if not s:
            raise ValueError("a value is empty")
        if any(c.isdigit() and not c.isascii() for c in s):
            raise ValueError(f"{shown(s)} is not a number: write its digits as 0-9")
        raise ValueError(f"{shown(s)} is not a number")
    value = float(s)  # correctly rounded, whatever the number of digits
    if not math.isfinite(value):
        raise ValueError(f"{shown(s)} is too large for float64")
    return value


# A fraction of two decimal numbers, as teachers write them: 1/3, -2/7, 0.5/3.
FRACTION = re.compile(rf"({NUMBER.pattern})\s*/\s*({NUMBER.pattern})")


def parse_exact(text: str) -> Fraction:
    """The exact rational value of a number as written: ``0.1`` is 1/10, ``1/3`` is 1/3.

    >>> parse_exact("0.1"), parse_exact("-2/7"), parse_exact("1e-2")
    (Fraction(1, 10), Fraction(-2, 7), Fraction(1, 100))
    >>> float(parse_exact("1/3")) == parse_number("1/3")
    True
    """
    from fractions import Fraction  # only for exact readings: off the start-up path

    s = text.strip()
    m = FRACTION.fullmatch(s)
    if m is not None:
        denominator = Fraction(m[2])
        if denominator == 0:
            raise ValueError(f"{shown(s)} divides by zero")
        return Fraction(m[1]) / denominator
    parse_number(s)  # the same rules (and messages) as every number
    return Fraction(s)
