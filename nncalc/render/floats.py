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
from typing import Any, Iterable

import numpy as np

# Below this many numbers, repr is quicker than importing orjson.
SMALL = 512

# Regular expressions, compiled when a block first needs them (not at start-up):
# orjson's ``1e16`` / ``1e-7`` → ``1e+16`` / ``1e-07``: a sign always, two digits at
# least; orjson writes 1e-5 <= |x| < 1e-4 as 0.0000ddd, repr as d.dde-05 (the lookbehind
# keeps it to whole numbers, not the end of 10.00001).
_PATTERNS = {
    "exp_no_sign": rb"e(?=[0-9])",
    "exp_one_digit": rb"e([+-])([0-9])(?![0-9])",
    "fifth_decimal_many": rb"(?<![0-9.])(-?)0\.0000([1-9])([0-9]+)",
    "fifth_decimal_one": rb"(?<![0-9.])(-?)0\.0000([1-9])(?![0-9])",
}


@lru_cache(maxsize=None)
def _re(name: str) -> re.Pattern[bytes]:
    return re.compile(_PATTERNS[name])


def as_repr(text: bytes) -> bytes:
    """Numbers written by orjson, in ``repr``'s form (other text is left alone: it must
    hold no letter e outside numbers, as separators and brackets do not).

    >>> as_repr(b"1e16,-1.5e-7,0.000015,0.00001,10.00001,0.28,1e+300,5e-324")
    b'1e+16,-1.5e-07,1.5e-05,1e-05,10.00001,0.28,1e+300,5e-324'
    """
    if b"e" in text:
        text = _re("exp_no_sign").sub(b"e+", text)
        text = _re("exp_one_digit").sub(rb"e\g<1>0\g<2>", text)
    if b"0.0000" in text:
        text = _re("fifth_decimal_many").sub(rb"\g<1>\g<2>.\g<3>e-05", text)
        text = _re("fifth_decimal_one").sub(rb"\g<1>\g<2>e-05", text)
    return text


def _other_form(values: np.ndarray) -> np.ndarray:
    """Where orjson's form differs from repr's: 0 < |x| < 1e-4 and |x| >= 1e16 (the digits
    are the same everywhere)."""
    a = np.abs(values)
    return ((a < 1e-4) & (a != 0)) | (a >= 1e16)


# Where at most one number in this many is in another form, those are written again by
# repr, found by position; where more are, the regular expressions rewrite the text.
_SPARSE = 16


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
    text = orjson.dumps(flat, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1]
    other = np.flatnonzero(_other_form(flat))
    if not len(other):
        return text
    if len(other) * _SPARSE > flat.size:
        return as_repr(text)
    # the few numbers in another form, written again where they stand
    return _rewritten(memoryview(text), zip(other.tolist(), flat[other].tolist()), b",")


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
    text = orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)
    other = np.flatnonzero(_other_form(values))
    if len(other) * _SPARSE > values.size:
        text, other = as_repr(text), other[:0]
    text = text.replace(b",", b", ")
    view, find = memoryview(text), text.find
    out: list[Any] = []
    start = 2
    for _ in range(len(values)):
        end = find(b"]", start)
        out.append(view[start:end])
        start = end + 4
    if len(other):  # the few numbers in another form, written again
        rows_, columns = np.divmod(other, values.shape[1])
        fixes: dict[int, list[tuple[int, float]]] = {}
        for r, k, v in zip(rows_.tolist(), columns.tolist(), values.reshape(-1)[other].tolist()):
            fixes.setdefault(r, []).append((k, v))
        for r, numbers in fixes.items():
            out[r] = _mended(out[r], numbers, orjson)
    return out


def _mended(row: Any, numbers: list[tuple[int, float]], orjson: Any) -> bytes:
    """A row's text (numbers separated by ``", "``) with its ``k``-th number written again
    by repr, for each ``(k, value)`` of ``numbers`` (in order of ``k``).

    A short row is split into its numbers and joined again. In a long one (784 inputs)
    each such number is found by its text as orjson wrote it, a whole number between
    separators: that text is its value's and no other's (numbers before it with the same
    text are the same value, and in ``numbers`` too). Where it is not found (an orjson
    whose single floats were written unlike its arrays), the row's commas are counted."""
    text = bytes(row)
    if len(text) < 2048:
        split = text.split(b", ")
        for k, v in numbers:
            split[k] = repr(v).encode("ascii")
        return b", ".join(split)
    pieces: list[bytes] = []
    done = 0
    for _, v in numbers:
        token = orjson.dumps(v)
        at = text.find(token, done)
        while at >= 0 and not (
            (at == 0 or text[at - 1] == 32) and (at + len(token) == len(text) or text[at + len(token)] == 44)
        ):
            at = text.find(token, at + 1)
        if at < 0:
            return _rewritten(text, numbers, b", ")
        pieces += [text[done:at], repr(v).encode("ascii")]
        done = at + len(token)
    pieces.append(text[done:])
    return b"".join(pieces)


def _rewritten(text: Any, numbers: Iterable[tuple[int, float]], separator: bytes) -> bytes:
    """``text`` (numbers separated by ``separator``, which begins with a comma) with its
    ``k``-th number written again by repr for each ``(k, value)``, in order of ``k``:
    number k runs from after the k-th separator to the next comma."""
    commas = np.flatnonzero(np.frombuffer(text, np.uint8) == 44).tolist()
    pieces: list[Any] = []
    done = 0
    for k, v in numbers:
        pieces += [text[done : commas[k - 1] + len(separator) if k else 0], repr(v).encode("ascii")]
        done = commas[k] if k < len(commas) else len(text)
    pieces.append(text[done:])
    return b"".join(pieces)
