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
from typing import Any

import numpy as np

# Below this many numbers, repr is quicker than importing orjson.
SMALL = 512

# orjson's ``1e16`` / ``1e-7`` → ``1e+16`` / ``1e-07``: a sign always, two digits at least.
_EXP_NO_SIGN = re.compile(rb"e(?=[0-9])")
_EXP_ONE_DIGIT = re.compile(rb"e([+-])([0-9])(?![0-9])")
# orjson writes 1e-5 <= |x| < 1e-4 as 0.0000ddd; repr as d.dde-05. The lookbehind keeps
# it to whole numbers (not the end of 10.00001).
_FIFTH_DECIMAL_MANY = re.compile(rb"(?<![0-9.])(-?)0\.0000([1-9])([0-9]+)")
_FIFTH_DECIMAL_ONE = re.compile(rb"(?<![0-9.])(-?)0\.0000([1-9])(?![0-9])")


def as_repr(text: bytes) -> bytes:
    """Numbers written by orjson, in ``repr``'s form (other text is left alone: it must
    hold no letter e outside numbers, as separators and brackets do not).

    >>> as_repr(b"1e16,-1.5e-7,0.000015,0.00001,10.00001,0.28,1e+300,5e-324")
    b'1e+16,-1.5e-07,1.5e-05,1e-05,10.00001,0.28,1e+300,5e-324'
    """
    if b"e" in text:
        text = _EXP_NO_SIGN.sub(b"e+", text)
        text = _EXP_ONE_DIGIT.sub(rb"e\g<1>0\g<2>", text)
    if b"0.0000" in text:
        text = _FIFTH_DECIMAL_MANY.sub(rb"\g<1>\g<2>.\g<3>e-05", text)
        text = _FIFTH_DECIMAL_ONE.sub(rb"\g<1>\g<2>e-05", text)
    return text


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


def rows(values: np.ndarray) -> list[bytes]:
    """The numbers of each row of a finite 2-D float64 array, separated by ``", "`` (as
    ``json.dumps`` separates a list's items), each as ``repr`` writes it.

    >>> rows(np.array([[1.0, 2e-7], [3.0, 4.0]]))
    [b'1.0, 2e-07', b'3.0, 4.0']
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    orjson = _orjson() if values.size > SMALL else None
    if orjson is None:
        return [", ".join(map(repr, row)).encode("ascii") for row in values.tolist()]
    text = as_repr(orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY))
    out = text.replace(b",", b", ").split(b"], [")
    out[0] = out[0][2:]  # the outer list's brackets (one row may hold both)
    out[-1] = out[-1][:-2]
    return out
