"""The block readers of input files (orjson over plain rows) against the reference reader.

Whatever a fast reader accepts, the reference reader (parse_number on each field, line by
line) must accept too, with the very same floats, sign of zero included; the expected
values of plain files come from Python's float() applied here.
"""

from __future__ import annotations

import numpy as np
import pytest

from nncalc import inputs
from tests.test_input_files import NET, TOKENS, rows_of
from tests.test_batches import write

if inputs._orjson() is None:
    pytest.skip("orjson is not installed: no fast reader to test", allow_module_level=True)

# Numbers JSON reads differently from Python, or not at all, and separators.
MORE = ["-0", "-0.0", "-0e0", "-0E+0", "1e-0", "0e5", "18446744073709551616", "-9223372036854775809",
        "9007199254740993", "1" * 30, "0." + "1" * 30, "1E+5", "01", "-01", "-", "+", "e", "E5", "1e+",
        "2.5e-324", "4.9e-324", "1.7976931348623159e308", "2.2250738585072011e-308", "1e-400", "1e400"]
SEPARATORS = [",", ",", ",", "\t", " ", ", ", " ,", "\n", "\n\n", "\r\n", "\r", ";"]


PLAIN = ["0", "1", "-2", "3.25", "-0.5", "1e3", "-7E-2", "12345678901234567890", "0.1", "6.02e23"]


def random_block(rng: np.random.Generator, width: int = 2, delimiter: str = ",") -> str:
    """Text that is often rows of ``width`` numbers, with odd numbers and separators mixed in."""
    if rng.random() < 0.5:  # anything at all
        parts = []
        for _ in range(rng.integers(1, 12)):
            pool = MORE if rng.random() < 0.5 else TOKENS
            parts.append(pool[rng.integers(0, len(pool))])
            parts.append(SEPARATORS[rng.integers(0, len(SEPARATORS))])
        return "".join(parts)
    rows = []
    for _ in range(rng.integers(1, 5)):
        fields = []
        for _ in range(width + (rng.random() < 0.05) - (rng.random() < 0.05)):
            pool = [MORE, PLAIN, PLAIN, TOKENS][rng.integers(0, 4)]
            space = [" ", "", "", ""]
            fields.append(space[rng.integers(0, 4)] + pool[rng.integers(0, len(pool))] + space[rng.integers(0, 4)])
        rows.append(delimiter.join(fields))
    ends = ["\n", "\n", "\r\n", "\n\n", "\r"]
    return "".join(row + ends[rng.integers(0, len(ends))] for row in rows)


def reference(text: str, delimiter: str, width: int):
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    return inputs._scan_lines(lines, delimiter, width, "s", 1)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a, b) and bool((np.signbit(a) == np.signbit(b)).all())


@pytest.mark.parametrize("delimiter", [",", "\t"])
@pytest.mark.parametrize("width", [1, 2, 3])
def test_fast_rows_accept_only_what_the_reference_reads_the_same(delimiter, width):
    rng = np.random.default_rng(width + 10 * (delimiter == "\t"))
    accepted = 0
    for _ in range(6000):
        text = random_block(rng, width, delimiter)
        data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
        fast = inputs._fast_rows(data, delimiter, width) if data.isascii() else None
        if fast is None:
            continue
        accepted += 1
        slow, error = reference(text, delimiter, width)
        assert error is None, (text, error)
        assert same(fast, slow), text
    assert accepted > 200  # the fast reader is exercised, not only refused


def test_ndjson_plain_accepts_only_what_the_reference_reads_the_same():
    rng = np.random.default_rng(3)
    accepted = 0
    for _ in range(6000):
        lines = []
        for _ in range(rng.integers(1, 4)):
            inner = random_block(rng).split("\n")[0].replace("\r", "")
            lines.append(f"[{inner}]" if rng.random() < 0.9 else inner)
        data = ("\n".join(lines) + "\n").encode("utf-8")
        fast = inputs._ndjson_plain(data, 2) if data.isascii() else None
        if fast is None:
            continue
        accepted += 1
        slow, error = inputs._ndjson_scan(lines, 2, "s", 1)
        assert error is None, lines
        assert same(fast, slow), lines
    assert accepted > 100


def test_plain_json_rows_are_what_the_json_module_reads():
    """Whatever the one-call reader of a JSON document's rows accepts, json.loads (every
    number through float(), as the row-by-row reader reads them) reads the same."""
    import json

    rng = np.random.default_rng(5)
    accepted = 0
    for _ in range(6000):
        rows = []
        for _ in range(rng.integers(1, 4)):
            fields = random_block(rng, 2, ",").split("\n")[0].replace("\r", "")
            rows.append(f"[{fields}]" if rng.random() < 0.9 else fields)
        span = [", ", ",\n ", "  ,"][rng.integers(0, 3)].join(rows)
        if not span.isascii() or inputs._NOT_NUMBERS.search(span):
            continue
        fast = inputs._plain_json_rows(span.encode("ascii"), 2)
        if fast is None:
            continue
        accepted += 1
        slow = np.array(json.loads("[" + span + "]", parse_int=float, parse_float=float), dtype=np.float64)
        assert same(fast, slow), span
    assert accepted > 100


@pytest.mark.parametrize(
    "body",
    [
        "".join(f"{a!r},{b!r}\n" for a, b in np.random.default_rng(0).normal(size=(2000, 2)).tolist()),
        "".join(f"{a:.6g}, {b:.3e}\r\n" for a, b in np.random.default_rng(1).normal(size=(2000, 2)).tolist()),
        "".join(f"{a * 10**k},{b}\n" for (a, b), k in zip(np.random.default_rng(2).integers(-10**18, 10**18, size=(2000, 2)).tolist(), __import__("itertools").cycle(range(8)))),
        "x1,x2\n" + "".join(f"{a!r},{b!r}\n" for a, b in (np.random.default_rng(3).normal(size=(2000, 2)) * 1e-310).tolist()),
        "größe,höhe\n-0,0\n-0.0,5\n1e-0,-1E+2\n",
    ],
)
def test_plain_csv_reads_as_float_reads_it(tmp_path, body):
    path = write(tmp_path, "in.csv", body)
    lines = [line for line in body.replace("\r\n", "\n").split("\n") if line]
    if not lines[0][0].isdigit() and lines[0][0] != "-":
        lines = lines[1:]
    want = np.array([[float(v) for v in line.split(",")] for line in lines])
    got = rows_of(path)
    assert same(got, want)


def test_a_block_of_plain_rows_takes_the_fast_reader():
    block = b"1,2\n-3.5,4e-3\n 5 , 6 \n"
    assert inputs._fast_rows(block, ",", 2).tolist() == [[1.0, 2.0], [-3.5, 0.004], [5.0, 6.0]]
    assert inputs._ndjson_plain(b"[1, 2]\n[3, 4]\n", 2).tolist() == [[1.0, 2.0], [3.0, 4.0]]
