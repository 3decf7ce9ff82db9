"""Fast float text is Python's repr, character for character, whichever orjson is installed.

The oracle is ``repr`` (what ``json.dumps`` writes): every finite float, from random bit
patterns, every decade from 1e-323 to 1e308, the edges where a form changes (1e-5,
1e-4, 1e15, 1e16), subnormals and signed zeros.
"""

from __future__ import annotations

import random
import struct

import numpy as np
import pytest

from nncalc.render import floats


def _values() -> list[float]:
    rng = random.Random(7)
    out = [0.0, -0.0, 1.0, -1.0, 0.1, 0.28, 1 / 3, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]
    for e in range(-323, 309):
        for m in ("1", "1.5", "9.99", "3.14159", "2.5", "9.999999999999999"):
            v = float(f"{m}e{e}")
            if v and v != float("inf"):
                out += [v, -v]
    for v in (1e-5, 1e-4, 1e15, 1e16, 1e17):
        for k in range(-3, 4):
            out.append(float(np.nextafter(v, np.inf if k > 0 else 0.0)) if k else v)
    while len(out) < 60_000:
        (v,) = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))
        if np.isfinite(v):
            out.append(v)
    return out


VALUES = _values()


def _sparse() -> list[float]:
    """Plain decimals with, here and there, one that orjson writes in another form."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=20_000)
    odd = [v for v in VALUES if v != 0 and (abs(v) < 1e-4 or abs(v) >= 1e16)]
    at = rng.choice(len(x), size=300, replace=False)
    x[at] = rng.choice(odd, size=300)
    x[:3] = [1.5e-05, 2e-07, 1e16]  # the first numbers too
    x[-1] = -3e-05  # and the last
    return x.tolist()


@pytest.mark.parametrize("kind", ["dense", "sparse"])  # rewritten by patterns, or one by one
@pytest.mark.parametrize("small", [0, floats.SMALL])
def test_joined_numbers_are_reprs(monkeypatch, small, kind):
    monkeypatch.setattr(floats, "SMALL", small)  # 0: every block through orjson
    values = VALUES if kind == "dense" else _sparse()
    for start in range(0, len(values), 10_000):
        chunk = values[start : start + 10_000]
        assert floats.joined(np.array(chunk)).decode().split(",") == [repr(v) for v in chunk]


def test_small_blocks_do_not_need_orjson(monkeypatch):
    monkeypatch.setattr(floats, "_orjson", lambda: pytest.fail("orjson was loaded"))
    assert floats.joined(np.array([0.28, 1e-5])) == b"0.28,1e-05"


@pytest.mark.parametrize("kind", ["dense", "sparse"])
@pytest.mark.parametrize("small", [0, floats.SMALL])
def test_rows_are_json_dumps_lists(monkeypatch, small, kind):
    import json

    monkeypatch.setattr(floats, "SMALL", small)
    values = VALUES if kind == "dense" else _sparse()
    block = np.array(values[: 5 * 4000]).reshape(4000, 5)
    got = floats.rows(block)
    assert [b"[" + bytes(r) + b"]" for r in got] == [json.dumps(row).encode() for row in block.tolist()]
    one = floats.rows(block[:1])
    assert [bytes(r) for r in one] == [json.dumps(block[0].tolist())[1:-1].encode()]


def test_as_repr_leaves_plain_decimals_alone():
    text = b"10.00001,0.0001,-0.00012,100.0,1234567890123456.8,-0.0"
    assert floats.as_repr(text) == text


def test_long_rows_with_numbers_in_another_form():
    """Rows of 784 numbers (the long-row path) with numbers orjson writes in another form:
    the same one twice in a row, its negative, numbers whose text holds its text, at the
    first and last positions; compared with json.dumps."""
    import json

    rng = np.random.default_rng(11)
    block = rng.normal(size=(40, 784))
    block[0, [0, 5, 6, 783]] = [1e-07, 1e-07, -1e-07, 1e-07]
    block[1, [3, 4, 5, 700]] = [2.1e-07, 1e-07, 1.5e-05, 1e16]
    block[2, [10, 20]] = [-1.5e-05, 1.5e-05]
    block[3, :] = 3e-06  # a whole row of one such number
    block[4, 100] = 0.00001
    block[5, [1, 2]] = [10.00001, 1e-05]  # its digits inside a plain decimal
    got = floats.rows(block)
    assert [b"[" + bytes(r) + b"]" for r in got] == [json.dumps(row).encode() for row in block.tolist()]


def test_long_rows_fall_back_to_counting_commas():
    """Where orjson writes a single float unlike the same float in an array, the number is
    found by counting the row's commas instead."""
    import json

    import orjson

    class Other:  # an orjson whose single floats have another text
        OPT_SERIALIZE_NUMPY = orjson.OPT_SERIALIZE_NUMPY

        @staticmethod
        def dumps(value, option=None):
            return orjson.dumps(value, option=option) if option else b"0.000"

    block = np.random.default_rng(12).normal(size=(3, 784))
    block[1, [0, 400, 783]] = [2e-07, -3e-06, 4e-05]
    text = orjson.dumps(block[1].reshape(1, -1), option=orjson.OPT_SERIALIZE_NUMPY).replace(b",", b", ")[2:-2]
    fixes = [(0, 2e-07), (400, -3e-06), (783, 4e-05)]
    assert floats._mended(memoryview(text), fixes, Other) == json.dumps(block[1].tolist())[1:-1].encode()
    assert floats._mended(memoryview(text), fixes, orjson) == json.dumps(block[1].tolist())[1:-1].encode()
