"""Many floats as text, fast, in one form: Python's ``repr``, as ``json.dumps`` writes them.

Streamed ``--csv`` and ``--json`` write millions of numbers; orjson formats them from a
NumPy block about twenty times faster than ``repr``, each the shortest text that reads
back to the same float. But orjson's form of an exponent depends on its version (3.8
writes ``1e16`` and ``1e-7``, 3.13 ``1e+16`` and ``1e-7``), and it writes ``1.5e-05`` as
``0.000015``. :func:`as_repr` puts orjson's text into ``repr``'s form, so nncalc writes
every number the same way whichever path (a single record or a stream, a small batch or
a large one) and whichever orjson wrote it: byte for byte what ``json.dumps`` writes.
The digits never change; only where the point goes and how the exponent is spelled.

Small blocks are formatted by ``repr`` itself, without loading orjson (its import,
which loads ``zoneinfo``, costs more than formatting a few hundred numbers).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np

# Below this many numbers, repr is quicker than importing orjson.
SMALL = 512

# Regular expressions, compiled when a large block first needs them (not at start-up):
# orjson's ``1e16`` / ``1e-7`` → ``1e+16`` / ``1e-07``: a sign always, two digits at least;
# orjson writes 1e-5 <= |x| < 1e-4 as 0.0000ddd, repr as d.dde-05 (the lookbehind keeps
# it to whole numbers, not the end of 10.00001); and, matched where a search found it,
# one number's exponent or its 0.0000 digits.
_PATTERNS = {
    "exp_no_sign": rb"e(?=[0-9])",
    "exp_one_digit": rb"e([+-])([0-9])(?![0-9])",
    "fifth_decimal_many": rb"(?<![0-9.])(-?)0\.0000([1-9])([0-9]+)",
    "fifth_decimal_one": rb"(?<![0-9.])(-?)0\.0000([1-9])(?![0-9])",
    "exponent": rb"e([+-]?)([0-9]+)",
    "fifth_decimal": rb"0\.0000([1-9])([0-9]*)",
}


@lru_cache(maxsize=None)
def _re(name: str) -> re.Pattern[bytes]:
    return re.compile(_PATTERNS[name])


_DIGIT_OR_POINT = b"0123456789."

# Most numbers need no change: where few do, each is found by a bytes search (as fast as
# memchr) and mended alone; where many do, the regular expressions rewrite the text.
_FEW = 64


def as_repr(text: bytes) -> bytes:
    """Numbers written by orjson, in ``repr``'s form (other text is left alone: it must
    hold no letter e outside numbers, as separators and brackets do not).

    >>> as_repr(b"1e16,-1.5e-7,0.000015,0.00001,10.00001,0.28,1e+300,5e-324")
    b'1e+16,-1.5e-07,1.5e-05,1e-05,10.00001,0.28,1e+300,5e-324'
    """
    exponents = text.count(b"e")
    if exponents > _FEW:
        text = _re("exp_no_sign").sub(b"e+", text)
        text = _re("exp_one_digit").sub(rb"e\g<1>0\g<2>", text)
    elif exponents:
        text = _mend(text, b"e", _exponent)
    fifths = text.count(b"0.0000")
    if fifths > _FEW:
        text = _re("fifth_decimal_many").sub(rb"\g<1>\g<2>.\g<3>e-05", text)
        text = _re("fifth_decimal_one").sub(rb"\g<1>\g<2>e-05", text)
    elif fifths:
        text = _mend(text, b"0.0000", _fifth_decimal)
    return text


def _mend(text: bytes, mark: bytes, fix) -> bytes:  # type: ignore[no-untyped-def]
    """``text`` with ``fix(text, i)`` (the end of the stretch it replaces, and the new
    bytes, or None to leave it) applied at each place ``mark`` starts."""
    out, done = [], 0
    i = text.find(mark)
    while i != -1:
        mended = fix(text, i)
        if mended is not None:
            start, end, new = mended
            out += [text[done:start], new]
            done = end
        i = text.find(mark, i + 1)
    out.append(text[done:])
    return b"".join(out)


def _exponent(text: bytes, i: int) -> tuple[int, int, bytes] | None:
    m = _re("exponent").match(text, i)
    if m is None:
        return None
    sign, digits = m.group(1) or b"+", m.group(2)
    return i, m.end(), b"e" + sign + digits.rjust(2, b"0")


def _fifth_decimal(text: bytes, i: int) -> tuple[int, int, bytes] | None:
    if i and text[i - 1] in _DIGIT_OR_POINT:
        return None  # the end of a larger number (10.00001)
    m = _re("fifth_decimal").match(text, i)
    if m is None:
        return None
    first, rest = m.group(1), m.group(2)
    return i, m.end(), first + (b"." + rest if rest else b"") + b"e-05"


def _orjson() -> Any:
    """The orjson module, or None where it is not installed."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency
        return None
    return orjson


def joined(values: np.ndarray) -> bytes:
    """Every number of a finite float64 array, in C order, separated by commas, each as
    ``repr`` writes it.

    >>> joined(np.array([[1.0, 0.28], [1e-5, 1e16]]))
    b'1.0,0.28,1e-05,1e+16'
    """
    flat = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
    orjson = _orjson() if flat.size > SMALL else None
    if orjson is None:
        return ",".join(map(repr, flat.tolist())).encode("ascii")
    return as_repr(orjson.dumps(flat, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1])


def rows(values: np.ndarray) -> list[Any]:
    """The numbers of each row of a finite 2-D float64 array, separated by ``", "`` (as
    ``json.dumps`` separates a list's items), each as ``repr`` writes it: bytes, or views
    of one bytes object.

    >>> [bytes(r) for r in rows(np.array([[1.0, 2e-7], [3.0, 4.0]]))]
    [b'1.0, 2e-07', b'3.0, 4.0']
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    orjson = _orjson() if values.size > SMALL else None
    if orjson is None:
        return [", ".join(map(repr, row)).encode("ascii") for row in values.tolist()]
    # [[1.0, 2.0], [3.0, 4.0]]: every row ends at the first "]" after its start (no
    # number holds one), and the next row starts 4 bytes later.
    text = as_repr(orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)).replace(b",", b", ")
    view, find = memoryview(text), text.find
    out = []
    start = 2
    for _ in range(len(values)):
        end = find(b"]", start)
        out.append(view[start:end])
        start = end + 4
    return out
