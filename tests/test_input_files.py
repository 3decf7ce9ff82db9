"""Input and weight files on real and hostile data: nothing dropped, one clean error line.

Expected outputs come from the seed's Example 2 network written out in NumPy
(tests/test_batches.py); expected values of parsed files from Python's own float() and
json module, applied in the tests.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from nncalc import files, inputs
from nncalc.errors import InputError
from nncalc.spec import load_spec
from tests.conftest import ROOT
from tests.test_batches import csv_out, npy_bytes, two_layer, write
from tests.test_errors import assert_one_error

FORMATS = [[], ["--csv"], ["--json"], ["--json", "--outputs-only"], ["--format", "markdown"], ["--format", "latex"]]
NET = load_spec("two-layer")  # two inputs


def forward(run, path, *args, **kw):
    return run("forward", "two-layer", "--inputs", str(path), *args, **kw)


def rows_of(path, fmt=None, net=NET) -> np.ndarray:
    return np.concatenate(list(inputs.read_inputs(str(path), net, fmt)))


def error_of(path, fmt=None, net=NET) -> InputError:
    with pytest.raises(InputError) as e:
        for _ in inputs.read_inputs(str(path), net, fmt):
            pass
    return e.value


# -- a first row is a header only when it is a line of names


@pytest.mark.parametrize(
    "first, where, message",
    [
        ("1,x", "1:3", "'x' is not a number"),
        ("NaN,2", "1:1", "'NaN' is not a finite number"),
        ("nan,inf", "1:1", "'nan' is not a finite number"),
        (",", "1:1", "a value is empty"),
        ("1,2,", "1", "expected 2 values, got 3 (the last is empty)"),
        ("1e999,2", "1:1", "'1e999' is too large for float64"),
        ("0x10,1", "1:1", "'0x10' is not a number"),
        ("true,false", "1:1", "'true' is not a number"),
        ("1st,2nd", "1:1", "'1st' is not a number"),
        ("x,1", "1:1", "'x' is not a number"),
        ("1;2", "1", "expected 2 values, got 1; values are separated by commas"),
        ("1 2", "1", "expected 2 values, got 1; values are separated by commas"),
        ("  7 ,  1/0", "1:8", "'1/0' divides by zero"),  # the column of the value, past its spaces
    ],
)
@pytest.mark.parametrize("rest", ["", "3,4\n5,6\n"])
def test_a_bad_first_row_is_an_error_not_a_header(run, tmp_path, first, where, message, rest):
    path = write(tmp_path, "in.csv", f"{first}\n{rest}")
    assert_one_error(forward(run, path, "--csv"), f"error: {path}:{where}: {message}")


def test_a_tsv_row_written_with_commas(run, tmp_path):
    path = write(tmp_path, "in.tsv", "1,2\n")
    assert_one_error(forward(run, path, "--csv"), f"{path}:1: expected 2 values, got 1; values are separated by tabs")


@pytest.mark.parametrize(
    "header",
    ["x1,x2", '"a","b"', "_a, größe", "Weight (kg),height", "  # a comment\n\nx,y"],
)
def test_a_line_of_names_is_a_header(run, tmp_path, header):
    path = write(tmp_path, "in.csv", f"{header}\n1,2\n-3,4\n")
    np.testing.assert_allclose(csv_out(forward(run, path, "--csv")), two_layer([[1, 2], [-3, 4]]), rtol=1e-15)


def test_a_header_of_the_wrong_width_is_an_error(run, tmp_path):
    path = write(tmp_path, "in.csv", "a,b,c\n1,2\n")
    assert_one_error(forward(run, path, "--csv"), f"{path}:1: the header has 3 names; expected 2, one per input")


@pytest.mark.parametrize(
    "bad, message",
    [
        ("[1, true]", "'true' is not a number"),
        ("[1, null]", "'null' is not a number"),
        ('[1, "2"]', "'\"2\"' is not a number"),
        ("[]", "expected a list of 2 numbers, got an empty list"),
        ("[ ]", "expected a list of 2 numbers, got an empty list"),
        ('["a", "b"]', "'\"a\"' is not a number"),
        ("[true, false]", "'true' is not a number"),
        ("[[1, 2]]", "got a list of lists"),
        ("[1, 2] # note", "which is not JSON"),
        ("[1, 2, 3]", "expected 2 values, got 3"),
        ("1, 2", "expected a list of 2 numbers, like [1, 2]"),
        # numbers elsewhere, but not JSON's, as a JSON document refuses them too
        ("[1/3, 2]", "value 1: '1/3' is a number, but not as JSON writes one (like 0.5, -2, 1e-3)"),
        ("[1, +2]", "value 2: '+2' is a number, but not as JSON writes one"),
        ("[.5, 2]", "value 1: '.5' is a number, but not as JSON writes one"),
        ("[1., 2]", "value 1: '1.' is a number, but not as JSON writes one"),
        ("[01, 2]", "value 1: '01' is a number, but not as JSON writes one"),
    ],
)
def test_ndjson_has_no_header_and_skips_nothing(run, tmp_path, bad, message):
    first = write(tmp_path, "first.ndjson", f"{bad}\n[3, 4]\n")
    assert_one_error(forward(run, first, "--csv"), f"error: {first}:1: ", message)
    later = write(tmp_path, "later.ndjson", f"[1, 2]\n{bad}\n[3, 4]\n")
    result = forward(run, later, "--csv", "--no-header")
    assert result.exit_code == 1
    np.testing.assert_allclose([float(v) for v in result.stdout.split()], two_layer([[1, 2]])[:, 0], rtol=1e-15)
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {later}:2: ") and message in line


# -- empty inputs: one behaviour, every output format


EMPTY = {
    "empty.csv": "",
    "header.csv": "x1,x2\n",
    "comments.csv": "# nothing here\n\n   \n",
    "empty.tsv": "",
    "zero.npy": npy_bytes(np.zeros((0, 2))),
    "zero1d.npy": npy_bytes(np.zeros(0)),
    "list.json": "[]",
    "blank.json": "  \n",
    "empty.ndjson": "\n\n",
}


@pytest.mark.parametrize("name", EMPTY)
@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: " ".join(f) or "table")
def test_empty_inputs_are_one_clean_error(run, tmp_path, name, fmt):
    path = write(tmp_path, name, EMPTY[name])
    assert_one_error(forward(run, path, *fmt), f"error: {path}: has no inputs; expected rows of 2 numbers")


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: " ".join(f) or "table")
def test_empty_stdin_is_one_clean_error(run, fmt):
    assert_one_error(run("forward", "two-layer", "--inputs", "-", *fmt, input=""), "error: <stdin>: has no inputs")


def test_empty_file_after_good_rows_reports_it(run, tmp_path):
    good = write(tmp_path, "good.csv", "1,2\n")
    empty = write(tmp_path, "empty.csv", "")
    result = run("forward", "two-layer", "--inputs", good, "--inputs", empty, "--csv", "--no-header")
    assert result.exit_code == 1
    assert result.stdout.split() == [repr(float(two_layer([[1, 2]])[0, 0]))]
    assert result.stderr == f"error: {empty}: has no inputs; expected rows of 2 numbers\n"


# -- integers too large for float64, written out in full


BIG = "1" * 400
HUGE = "9" * 5000  # beyond Python's 4300-digit limit for int()


@pytest.mark.parametrize(
    "name, content, where",
    [
        ("in.csv", f"1,{BIG}\n", ":1:3: "),
        ("in.csv", f"1,{HUGE}\n", ":1:3: "),
        ("in.csv", f"-{BIG},1\n", ":1:1: "),
        ("in.ndjson", f"[1, {BIG}]\n", ":1: "),
        ("in.ndjson", f"[1, {HUGE}]\n", ":1: "),
        ("in.json", f"[[1, {BIG}], [1, 2]]", ":1:2: input 1: value 2: "),
        ("in.json", f"[[1, {HUGE}], [1, 2]]", ":1:2: input 1: value 2: "),
        ("in.json", f"[{BIG}, 1]", ":1:2: value 1: "),
        ("in.json", f"[\n  [{BIG}.5e3, 1]]", ":2:3: input 1: value 1: "),
    ],
    ids=["csv", "csv 5000 digits", "csv negative", "ndjson", "ndjson 5000 digits", "json", "json 5000 digits", "json one input", "json fraction"],
)
def test_integers_too_large_for_float64(run, tmp_path, name, content, where):
    path = write(tmp_path, name, content)
    line = assert_one_error(forward(run, path, "--csv"), f"{path}{where}", "is too large for float64")
    assert len(line) < 300  # the literal is shown cut short


@pytest.mark.parametrize("value", [f"{BIG},1", f"1,{HUGE}", f"0x{'f' * 300},1"])
def test_input_option_too_large_or_hex(run, value):
    line = assert_one_error(run("forward", "two-layer", "--input", value))
    assert "too large for float64" in line or "is not a number" in line
    assert len(line) < 300


def test_json_integers_read_as_python_reads_them(run, tmp_path):
    big = "1" + "0" * 300  # exactly 1e300, as an integer literal
    path = write(tmp_path, "in.json", f"[[{big}, -0], [12345678901234567891, 3]]")
    recs = [json.loads(line) for line in forward(run, path, "--json", "--outputs-only").stdout.splitlines()]
    assert [r["input"] for r in recs] == [[float(big), -0.0], [float("12345678901234567891"), 3.0]]
    assert str(recs[0]["input"][1]) == "-0.0"


def test_weights_csv_too_large_number(run, tmp_path):
    (tmp_path / "w.csv").write_text(f"1,{BIG}\n")
    spec = write(tmp_path, "net.yaml", "input: [1, 2]\nlayers:\n  - weights: {file: w.csv}\n")
    assert_one_error(run("forward", spec), f"{spec}:3:", "w.csv:1:", "is too large for float64")


# -- digits of other scripts: refused the same way by every reader


@pytest.mark.parametrize(
    "name, content, where, rows_before",
    [
        ("in.csv", "１,２\n", ":1:", 0),
        ("in.csv", "1,2\n١,٢\n", ":2:", 1),
        ("in.tsv", "1\t2\n3\t٤\n", ":2:", 1),
        ("in.ndjson", "[１, ２]\n", ":1:", 0),
        ("in.ndjson", "[1, 2]\n[3, ٤]\n", ":2:", 1),
    ],
)
def test_unicode_digits_are_refused(run, tmp_path, name, content, where, rows_before):
    path = write(tmp_path, name, content)
    result = forward(run, path, "--csv", "--no-header")
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == rows_before
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {path}{where}") and "is not a number: write its digits as 0-9" in line


def test_unicode_digits_in_a_weights_csv(run, tmp_path):
    (tmp_path / "w.csv").write_text("0.5,١\n")
    spec = write(tmp_path, "net.yaml", "input: [1, 2]\nlayers:\n  - weights: {file: w.csv}\n")
    assert_one_error(run("forward", spec), "w.csv:1:", "'١' is not a number: write its digits as 0-9")


def test_unicode_digits_in_input_option(run):
    assert_one_error(run("forward", "two-layer", "--input", "１,2"), "write its digits as 0-9")


TOKENS = ["1", "-2", "+3", ".5", "5.", "1e3", "1E-3", "-0", "0", "00", "1e", "e1", "1e999", "-1e999",
          "nan", "inf", "-inf", "Infinity", "1_0", "0x1", "0b1", "1d3", "", " ", "\t", "\x0b", "\x0c",
          "\x1c", "\x00", "#", "1#", "#1", "'1'", '"1"', "1.5.2", "--1", "+-1", "1 2", "١", "\u00a01"]


def test_fast_and_reference_text_readers_agree():
    """Whenever NumPy's reader accepts a chunk, the reference reader gives the same rows."""
    rng = np.random.default_rng(9)
    for _ in range(4000):
        lines = []
        for _ in range(rng.integers(1, 4)):
            fields = [TOKENS[i] + TOKENS[j] * int(rng.integers(0, 2)) for i, j in rng.integers(0, len(TOKENS), size=(rng.integers(1, 4), 2))]
            lines.append(",".join(fields))
        ascii = all(line.isascii() for line in lines)
        fast, fast_error = inputs._parse_chunk(lines, ",", 2, "s", 1, ascii)
        slow, slow_error = inputs._scan_lines(lines, ",", 2, "s", 1)
        assert (fast_error is None) == (slow_error is None), lines
        assert fast.shape == slow.shape and np.array_equal(fast, slow) and (np.signbit(fast) == np.signbit(slow)).all(), lines
        if fast_error is not None:
            assert (fast_error.line, fast_error.message) == (slow_error.line, slow_error.message)


def test_fast_and_reference_ndjson_readers_agree():
    rng = np.random.default_rng(10)
    parts = TOKENS + ["[", "]", "[1", "2]", "[]", "true", "null", '"a"', ", ", "{}"]
    for _ in range(4000):
        lines = []
        for _ in range(rng.integers(1, 4)):
            inner = ",".join(parts[i] for i in rng.integers(0, len(parts), size=rng.integers(0, 4)))
            lines.append(inner if rng.random() < 0.2 else f"[{inner}]")
        fast = inputs._ndjson_fast(lines, 2) if all(line.isascii() for line in lines) else None
        slow, slow_error = inputs._ndjson_scan(lines, 2, "s", 1)
        if fast is not None:
            assert slow_error is None, lines
            assert np.array_equal(fast, slow) and (np.signbit(fast) == np.signbit(slow)).all(), lines


# -- wrong containers: input .npy files


def _npy_claiming(shape: tuple[int, ...], data: bytes) -> bytes:
    """A .npy header declaring ``shape`` of float64, followed by ``data``."""
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"
    header += " " * (-(10 + len(header) + 1) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode("latin-1") + data


def _zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


NPZ = _zip_bytes({"a.npy": npy_bytes(np.ones((2, 2)))})

BAD_NPY = {
    "empty": (b"", "not a .npy file (it is empty)"),
    "npz": (NPZ, "not a .npy file (it is a zip archive: .npz?)"),
    "text": (b"1,2\n3,4\n", "not a .npy file (it is text)"),
    "pickle": (b"\x80\x04\x95", "not a .npy file (it is a Python pickle)"),
    "terabytes": (_npy_claiming((10**12, 2), b"\0" * 48), "is truncated: its header declares shape (1000000000000, 2) of float64 (16.0 TB), but the file holds 48 bytes of data"),
    "truncated": (npy_bytes(np.ones((3, 2)))[:-5], "is truncated: its header declares shape (3, 2) of float64 (48 bytes), but the file holds 43 bytes"),
    "two arrays": (npy_bytes(np.ones((3, 2))) * 2, "holds 176 bytes more than its header declares (shape (3, 2) of float64 (48 bytes)); was more than one array saved into it?"),
    "objects": (None, "holds Python objects, which nncalc refuses to load"),
    "complex": (npy_bytes(np.ones((2, 2), dtype=complex)), "holds complex128 values; expected real numbers"),
    "bool": (npy_bytes(np.ones((2, 2), dtype=bool)), "holds bool values; expected real numbers"),
    "strings": (npy_bytes(np.array([["a", "b"]])), "holds str32 values; expected real numbers"),
    "records": (npy_bytes(np.zeros(2, dtype=[("a", "<f8"), ("b", "<f8")])), "holds structured records"),
    "3-D": (npy_bytes(np.ones((2, 2, 2))), "has shape (2, 2, 2); expected (rows, 2)"),
    "header length": (b"\x93NUMPY\x02\x00" + (2**31).to_bytes(4, "little"), "has a .npy header of 2,147,483,648 bytes"),
    "header text": (b"\x93NUMPY\x01\x00\x10\x00__import__('os')", "has a .npy header that is not valid"),
    "header keys": (b"\x93NUMPY\x01\x00\x09\x00{'a': 1}\n", "has a .npy header that is not valid (expected the keys descr, fortran_order, shape)"),
    "negative shape": (_npy_claiming((-1, 2), b""), "has a .npy header with an invalid shape"),
    "version": (b"\x93NUMPY\x09\x00", "uses .npy format version 9.0"),
    "magic only": (b"\x93NUMPY", "is truncated inside its .npy header"),
    "magic and a byte": (b"\x93NUMPY\x01", "is truncated inside its .npy header"),
    "nan": (npy_bytes(np.array([[1.0, 2.0], [np.nan, 1.0]])), "row 2, value 1 is not a finite number"),
}


def _bad_npy(tmp_path, case: str, name: str) -> str:
    content, _ = BAD_NPY[case]
    if content is None:
        np.save(tmp_path / name, np.array([[1, "a"]], dtype=object), allow_pickle=True)
        return str(tmp_path / name)
    return write(tmp_path, name, content)


@pytest.mark.parametrize("case", BAD_NPY)
def test_bad_npy_inputs(run, tmp_path, case):
    path = _bad_npy(tmp_path, case, "in.npy")
    result = forward(run, path, "--csv")
    if case == "nan":  # the good row before the bad one is output
        assert result.exit_code == 1 and len(result.stdout.splitlines()) == 2
        assert result.stderr == f"error: {path}: {BAD_NPY[case][1]}\n"
    else:
        assert_one_error(result, f"error: {path}: {BAD_NPY[case][1]}")


@pytest.mark.parametrize("case", ["npz", "truncated", "objects", "terabytes"])
def test_bad_npy_on_stdin(run, tmp_path, case):
    content = open(_bad_npy(tmp_path, case, "in.npy"), "rb").read()
    result = run("forward", "two-layer", "--inputs", "-", "--input-format", "npy", "--csv", input=content)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: <stdin>: ")
    if case == "terabytes":  # a stream has no size to compare: the data ends after 3 rows
        assert "the data ends after 3 rows" in line


def test_a_zip_on_stdin_is_named(run):
    assert_one_error(run("forward", "two-layer", "--inputs", "-", input=NPZ), "error: <stdin>: is a zip archive: .npz?; expected inputs as CSV, TSV, JSON, NDJSON or .npy")
    assert_one_error(run("forward", "two-layer", "--inputs", "-", "--input-format", "json", input=NPZ), "error: <stdin>: not a JSON file (it is a zip archive: .npz?)")


def test_npy_layouts_read_in_chunks_give_the_same_rows(run, tmp_path, monkeypatch):
    X = np.random.default_rng(3).normal(size=(1000, 2))
    monkeypatch.setattr(inputs, "CHUNK_BYTES", 16 * 7)  # 7 rows a chunk
    for name, a in [("c.npy", X), ("f.npy", np.asfortranarray(X)), ("be.npy", X.astype(">f8")), ("f32.npy", X.astype(np.float32)), ("i.npy", (X * 100).astype(np.int16))]:
        path = tmp_path / name
        np.save(path, a)
        np.testing.assert_array_equal(rows_of(path), a.astype(np.float64))
        with open(path, "rb") as f:
            stdin = run("forward", "two-layer", "--inputs", "-", "--csv", input=f.read())
        np.testing.assert_array_equal(csv_out(stdin), two_layer(a.astype(np.float64)))


def test_npy_read_in_the_callers_chunks(tmp_path, monkeypatch):
    """A .npy is read in the chunks the caller computes; values and bad-row numbers are
    those of the file, and finite values whose sum overflows are not taken for bad ones."""
    from nncalc import batches

    X = np.random.default_rng(5).normal(size=(1000, 2))
    X[600] = [1e308, 1e308]  # finite: only their sum is not
    np.save(tmp_path / "x.npy", X)
    monkeypatch.setattr(batches, "chunk_rows", lambda net, keep="trace": 64)
    chunks = list(batches.batches(NET, None, [str(tmp_path / "x.npy")]))
    assert [len(c) for c in chunks] == [64] * 15 + [40]
    np.testing.assert_array_equal(np.concatenate(chunks), X)
    X[777, 1] = np.inf
    np.save(tmp_path / "bad.npy", X)
    rows = []
    with pytest.raises(InputError, match="row 778, value 2 is not a finite number"):
        for chunk in batches.batches(NET, None, [str(tmp_path / "bad.npy")]):
            rows.append(chunk)
    np.testing.assert_array_equal(np.concatenate(rows), X[:777])


class _Trickle:
    """A stream that hands out at most 5 bytes a call, by read() or also by readinto()."""

    def __init__(self, data: bytes, into: bool) -> None:
        self.data = data
        if into:
            self.readinto = self._readinto

    def read(self, n: int = -1) -> bytes:
        n = min(5, len(self.data) if n < 0 else n)
        out, self.data = self.data[:n], self.data[n:]
        return out

    def _readinto(self, buffer) -> int:
        out = self.read(len(buffer))
        buffer[: len(out)] = out
        return len(out)


@pytest.mark.parametrize("into", [True, False])
def test_read_into_fills_from_partial_reads(into):
    data = bytes(range(256)) * 3
    buffer = np.zeros(700, np.uint8)
    assert files.read_into(files.Prefixed(data[:9], _Trickle(data[9:], into)), memoryview(buffer)) == 700
    assert buffer.tobytes() == data[:700]
    rest = np.zeros(100, np.uint8)
    assert files.read_into(_Trickle(data[700:], into), memoryview(rest)) == 68  # the end of the data
    assert rest[:68].tobytes() == data[700:]


def _nonblocking_stdin(args: list[str], data: bytes) -> subprocess.CompletedProcess:
    """nncalc with ``data`` on a standard input left non-blocking, written in two parts
    with a pause between them (so that a read finds the pipe empty)."""
    import fcntl
    import threading
    import time

    read, write = os.pipe()
    fcntl.fcntl(read, fcntl.F_SETFL, fcntl.fcntl(read, fcntl.F_GETFL) | os.O_NONBLOCK)

    def feed() -> None:
        with os.fdopen(write, "wb") as f:
            f.write(data[:100])
            f.flush()
            time.sleep(0.3)
            f.write(data[100:])

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        return subprocess.run([sys.executable, "-m", "nncalc", *args], stdin=read, capture_output=True, cwd=ROOT)
    finally:
        os.close(read)
        feeder.join()


@pytest.mark.parametrize("fmt", ["npy", "csv", "json", "ndjson"])
def test_a_nonblocking_stdin_is_read_whole(tmp_path, fmt):
    X = np.random.default_rng(6).normal(size=(20_000, 2))
    if fmt == "npy":
        data = npy_bytes(X)
    elif fmt == "csv":
        data = "".join(f"{a!r},{b!r}\n" for a, b in X.tolist()).encode()
    elif fmt == "json":
        data = json.dumps(X.tolist()).encode()
    else:
        data = "".join(json.dumps(row) + "\n" for row in X.tolist()).encode()
    result = _nonblocking_stdin(["forward", "two-layer", "--inputs", "-", "--input-format", fmt, "--csv"], data)
    assert result.returncode == 0 and result.stderr == b""
    np.testing.assert_array_equal(np.loadtxt(io.BytesIO(result.stdout), delimiter=",", skiprows=1), two_layer(X)[:, 0])


@pytest.mark.parametrize("command", [["forward", "-", "--input", "1,2"], ["validate", "-"], ["collapse", "-"], ["graph", "-"]])
def test_a_spec_from_a_closed_stdin_is_one_error(command):
    proc = subprocess.run(
        " ".join([sys.executable, "-m", "nncalc", *command]) + " <&-", shell=True, executable="/bin/bash", capture_output=True, cwd=ROOT
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, b"", b"error: <stdin>: standard input is closed\n")


def test_a_nonblocking_stdout_is_written_whole(tmp_path):
    """Standard output left non-blocking by the program before: a command that does not
    stream (init) and a stream both write everything, however slowly it is read."""
    import fcntl
    import time

    np.save(tmp_path / "x.npy", np.random.default_rng(9).normal(size=(50_000, 2)))
    for args in (["init", "784,512,256,10", "--seed", "3"], ["forward", "two-layer", "--inputs", str(tmp_path / "x.npy"), "--json"]):
        whole = subprocess.run([sys.executable, "-m", "nncalc", *args], capture_output=True, cwd=ROOT).stdout
        read, write = os.pipe()
        fcntl.fcntl(write, fcntl.F_SETFL, fcntl.fcntl(write, fcntl.F_GETFL) | os.O_NONBLOCK)
        proc = subprocess.Popen([sys.executable, "-m", "nncalc", *args], stdout=write, stderr=subprocess.PIPE, cwd=ROOT)
        os.close(write)
        time.sleep(0.5)  # the pipe fills while nobody reads
        with os.fdopen(read, "rb") as f:
            got = f.read()
        assert proc.wait() == 0 and proc.stderr.read() == b""
        assert len(whole) > 1 << 20 and got == whole


def test_a_spec_on_a_nonblocking_stdin_is_read_whole():
    spec = "layers:\n" + "".join(f"  - {{name: l{k}, weights: [[1.0]], bias: [{k}.0]}}\n" for k in range(40))
    result = _nonblocking_stdin(["forward", "-", "--input", "0.5", "--json"], spec.encode())
    assert result.returncode == 0 and result.stderr == b""
    assert json.loads(result.stdout)["output"] == [0.5 + sum(range(40))]


def _outputs(stdout: str) -> np.ndarray:
    """The values of a --csv output of two-layer (one column, under its header)."""
    lines = stdout.splitlines()
    assert lines[0] == "output_1"
    return np.array([float(v) for v in lines[1:]])


def test_values_float64_cannot_hold(run, tmp_path):
    """A signalling NaN of float32 and a long double beyond float64: one line each, no
    NumPy warning, the rows before them out, and the second named as too large."""
    a = np.array([[1, 2], [3, 4], [5, 6]], dtype=np.float32)
    a.view(np.uint32)[1, 0] = 0x7F800001  # a signalling NaN
    np.save(tmp_path / "snan.npy", a)
    np.save(tmp_path / "ld.npy", np.array([[1, 2], [1, np.longdouble("1e400")]], dtype=np.longdouble))
    for name, problem in (("snan.npy", "row 2, value 1 is not a finite number"), ("ld.npy", "row 2, value 2 is too large for float64")):
        result = forward(run, str(tmp_path / name), "--csv")
        assert result.exit_code == 1 and result.stderr == f"error: {tmp_path / name}: {problem}\n"
        np.testing.assert_array_equal(_outputs(result.stdout), two_layer(np.array([[1.0, 2.0]]))[:, 0])
    proc = subprocess.run([sys.executable, "-W", "error", "-m", "nncalc", "forward", "two-layer", "--inputs", str(tmp_path / "snan.npy"), "--csv"], capture_output=True, cwd=ROOT)
    assert proc.returncode == 1 and proc.stderr.decode().splitlines() == [f"error: {tmp_path / 'snan.npy'}: row 2, value 1 is not a finite number"]


def test_a_truncated_npy_on_stdin_gives_its_whole_rows_first(run):
    X = np.random.default_rng(8).normal(size=(130_000, 2))
    result = run("forward", "two-layer", "--inputs", "-", "--input-format", "npy", "--csv", input=npy_bytes(X)[:-5])
    assert result.exit_code == 1
    assert result.stderr == "error: <stdin>: is truncated: its header declares shape (130000, 2) of float64 (2.1 MB), but the data ends after 129,999 rows\n"
    np.testing.assert_array_equal(_outputs(result.stdout), two_layer(X[:129_999])[:, 0])


def test_reads_ask_for_what_may_come_not_for_a_limit():
    """A spec is read up to 512 MiB and a header may claim gigabytes: a read asks for at
    most READ_PIECE bytes at a time, so memory grows with what is there."""
    asked = []

    class Stream:
        def __init__(self, data):
            self.data = data

        def read(self, n):
            asked.append(n)
            out, self.data = self.data[:n], self.data[n:]
            return out

    data = bytes(range(256)) * 300_000  # 76.8 MB
    assert files.read_exact(Stream(data), 1 << 40) == data
    assert max(asked) == files.READ_PIECE


def test_a_1d_npy_is_one_input(tmp_path):
    np.save(tmp_path / "v.npy", np.array([1.0, 2.0]))
    np.testing.assert_array_equal(rows_of(tmp_path / "v.npy"), [[1.0, 2.0]])


# -- wrong containers and empty matrices: weight files


WEIGHTS_SPEC = "input: [1, 2]\nlayers:\n  - name: hidden\n    weights: {file: FILE}\n"


def _weights(tmp_path, name: str, content: bytes | None = None) -> str:
    if content is not None:
        (tmp_path / name).write_bytes(content)
    return write(tmp_path, "net.yaml", WEIGHTS_SPEC.replace("FILE", name))


def _object_npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([[1, "a"]], dtype=object), allow_pickle=True)
    return buf.getvalue()


def _forged_npz() -> bytes:
    """A zip whose member's .npy header declares a million times the data it holds."""
    return _zip_bytes({"w.npy": _npy_claiming((10**6, 1000), b"\0" * 16)})


BAD_WEIGHTS = [
    ("w.npy", b"", "w.npy: not a .npy file (it is empty)"),
    ("w.npy", NPZ, "w.npy: not a .npy file (it is a zip archive: .npz?)"),
    ("w.npz", npy_bytes(np.ones((2, 2))), "w.npz: not a .npz file (it is a .npy file: name it .npy)"),
    ("w.npz", b"1,2\n", "w.npz: not a .npz file (it is text)"),
    ("w.npz", b"PK\x03\x04" + b"\0" * 100, "w.npz: is a damaged zip archive"),
    ("w.npz", _zip_bytes({}), "w.npz: the archive is empty"),
    ("w.npz", _zip_bytes({"w.npy": b"hello"}), "w.npz[w]: is not an array (it is text)"),
    ("w.npz", _zip_bytes({"notes.txt": b"\x00\x01"}), "w.npz[notes.txt]: is not an array (it is binary data)"),
    ("w.npz", _forged_npz(), "w.npz[w]: is damaged: its header declares shape (1000000, 1000) of float64 (8.0 GB)"),
    ("w.npz", _zip_bytes({"w.npy": _object_npy()}), "w.npz[w]: holds Python objects, which nncalc refuses to load"),
    ("w.npy", _npy_claiming((10**12, 2), b"\0" * 16), "w.npy: is truncated: its header declares shape (1000000000000, 2)"),
    ("w.npy", npy_bytes(np.ones((3, 2))) + b"\0", "w.npy: holds 1 byte more than its header declares"),
    ("w.npy", npy_bytes(np.zeros((0, 2))), "w.npy: is empty (shape (0, 2)); expected at least one number"),
    ("w.npy", npy_bytes(np.zeros((3, 0))), "w.npy: is empty (shape (3, 0))"),
    ("w.npy", npy_bytes(np.array([[1.0, np.inf]])), "w.npy: has a value that is not finite at index (0, 1)"),
    ("w.npy", npy_bytes(np.ones((2, 2), dtype=complex)), "w.npy: holds complex128 values"),
]


@pytest.mark.parametrize("name, content, message", BAD_WEIGHTS, ids=[m[:48] for _, _, m in BAD_WEIGHTS])
def test_bad_weight_files(run, tmp_path, name, content, message):
    spec = _weights(tmp_path, name, content)
    assert_one_error(run("forward", spec), f"error: {spec}:4:", f"layer 'hidden' weights: {message}")


@pytest.mark.parametrize("name, content, message", BAD_WEIGHTS, ids=[m[:48] for _, _, m in BAD_WEIGHTS])
def test_load_array_refuses(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError) as e:
        files.load_array(tmp_path / name, None, name)
    assert message in str(e.value)


def test_load_array_reads_every_kind(tmp_path):
    W = np.array([[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]])
    np.save(tmp_path / "w.npy", W)
    np.save(tmp_path / "f.npy", np.asfortranarray(W.astype(">f4")))
    np.savez_compressed(tmp_path / "m.npz", w=W, b=np.zeros(3))
    (tmp_path / "w.csv").write_text("0.2,-0.1\n0.4,0.3\n-0.5,0.6\n")
    (tmp_path / "w.tsv").write_text("0.2\t-0.1\n0.4\t0.3\n-0.5\t0.6\n")
    for name, key, want in [("w.npy", None, W), ("f.npy", None, W.astype(">f4").astype(float)), ("m.npz", "w", W),
                            ("w.csv", None, W), ("w.tsv", None, W)]:
        np.testing.assert_array_equal(files.load_array(tmp_path / name, key, name), want)


def test_an_npz_beyond_the_budget_is_refused_before_it_is_read(run, tmp_path, monkeypatch):
    # 8 MB of zeros, compressed to a few kB: the zip's declared size is checked first.
    (tmp_path / "w.npz").write_bytes(_zip_bytes({"w.npy": npy_bytes(np.zeros((1000, 1000)))}, zipfile.ZIP_DEFLATED))
    assert (tmp_path / "w.npz").stat().st_size < 100_000
    monkeypatch.setattr(files, "MAX_ARRAY_BYTES", 1_000_000)
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("a member was opened"))
    with pytest.raises(InputError, match=r"w.npz\[w\]: is too large: it decompresses to 8.0 MB"):
        files.load_array(tmp_path / "w.npz", None, "w.npz")


def test_an_npy_beyond_the_budget_is_refused_before_it_is_read(tmp_path, monkeypatch):
    np.save(tmp_path / "w.npy", np.zeros((100, 100), dtype=np.float32))
    monkeypatch.setattr(files, "MAX_ARRAY_BYTES", 40_000)  # the float64 copy would take 80,000
    monkeypatch.setattr(files, "read_npy_data", lambda *a: pytest.fail("the data was read"))
    with pytest.raises(InputError, match="is too large: shape .100, 100. of float32"):
        files.load_array(tmp_path / "w.npy", None, "w.npy")


def test_empty_weights_csv(run, tmp_path):
    spec = _weights(tmp_path, "w.csv", b"# no rows\n")
    assert_one_error(run("forward", spec), "w.csv", "holds no numbers")


def test_npz_key_did_you_mean(tmp_path):
    np.savez(tmp_path / "m.npz", **{"fc1.weight": np.ones((2, 2)), "fc1.bias": np.ones(2)})
    with pytest.raises(InputError, match=r"has no array 'fc1.wieght'; did you mean 'fc1.weight'\? its arrays: fc1.weight, fc1.bias"):
        files.load_array(tmp_path / "m.npz", "fc1.wieght", "m.npz")


# -- paths that are not regular files: refused before they are opened


@pytest.fixture
def odd_paths(tmp_path):
    os.mkfifo(tmp_path / "fifo.csv")
    os.mkfifo(tmp_path / "fifo.npy")
    (tmp_path / "dir.csv").mkdir()
    (tmp_path / "dir.npy").mkdir()
    for suffix in ("csv", "npy"):
        os.symlink(f"loop2.{suffix}", tmp_path / f"loop1.{suffix}")
        os.symlink(f"loop1.{suffix}", tmp_path / f"loop2.{suffix}")
        os.symlink("/dev/zero", tmp_path / f"zero.{suffix}")
        os.symlink("nowhere", tmp_path / f"dangling.{suffix}")
    return tmp_path


ODD = [
    ("fifo", "is a named pipe (FIFO), not a regular file"),
    ("dir", "is a folder, not a file"),
    ("loop1", "is a symbolic link loop"),
    ("zero", "is a device, not a regular file"),
    ("dangling", "no such file"),
]


@pytest.mark.parametrize("stem, message", ODD)
@pytest.mark.parametrize("suffix", ["csv", "npy"])
def test_odd_input_paths(run, odd_paths, stem, message, suffix):
    path = odd_paths / f"{stem}.{suffix}"
    assert_one_error(forward(run, path, "--csv"), f"error: {path}: {message}")


@pytest.mark.parametrize("stem, message", ODD)
def test_odd_weight_paths_csv(run, odd_paths, stem, message):
    spec = _weights(odd_paths, f"{stem}.csv")
    assert_one_error(run("forward", spec, "--allow-outside-paths"), f"{stem}.csv", message)


@pytest.mark.parametrize("stem, message", ODD)
def test_odd_weight_paths_load_array(odd_paths, stem, message):
    for suffix in ("npy", "npz", "csv"):
        path = odd_paths / f"{stem}.{suffix}"
        if not os.path.lexists(path):
            continue
        with pytest.raises(InputError, match=re.escape(message)):
            files.load_array(path, None, path.name)


@pytest.mark.parametrize("stem, message", [o for o in ODD if o[0] != "fifo"])
def test_odd_weight_paths_npy(run, odd_paths, stem, message):
    spec = _weights(odd_paths, f"{stem}.npy")
    assert_one_error(run("forward", spec, "--allow-outside-paths"), f"layer 'hidden' weights: {stem}.npy: {message}")


def test_a_nul_in_a_path(tmp_path):
    with pytest.raises(InputError, match="the file name contains a NUL character"):
        error_of_nul = list(inputs.read_inputs(str(tmp_path / "a\0b.csv"), NET))  # noqa: F841
    with pytest.raises(InputError, match="the file name contains a NUL character"):
        files.load_array(tmp_path / "w\0.npy", None, "w\0.npy")


def test_a_nul_in_a_weight_file_name(run, tmp_path):
    spec = write(tmp_path, "net.yaml", 'input: [1, 2]\nlayers:\n  - weights: {file: "w\\0.npy"}\n')
    line = assert_one_error(run("forward", spec, "--allow-outside-paths"), "the file name contains a NUL character")
    assert "\0" not in line


def test_open_regular_never_blocks_on_a_fifo_swapped_in(tmp_path, monkeypatch):
    """Between the look and the open, a path may become a FIFO: the open does not block."""
    os.mkfifo(tmp_path / "p")
    monkeypatch.setattr(files, "stat_regular", lambda path, source: None)
    with pytest.raises(InputError, match="is a named pipe"):
        files.open_regular(tmp_path / "p", "p")


# -- standard input is read once; an input is never the output


def test_stdin_twice_is_refused_cleanly(run):
    result = run("forward", "two-layer", "--inputs", "-", "--inputs", "-", "--csv", input="1,2\n")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()[-1:]
    assert line.startswith("error: ") and "standard input" in line and "once" in line


def test_stdin_twice_leaves_stdout_empty(run):
    assert_one_error(
        run("forward", "two-layer", "--inputs", "-", "--inputs", "-", "--csv", input="1,2\n"),
        "standard input is named twice; it can be read once",
    )


def test_a_bad_second_file_is_found_before_anything_is_printed(run, tmp_path):
    good = write(tmp_path, "good.csv", "1,2\n")
    assert_one_error(run("forward", "two-layer", "--inputs", good, "--inputs", str(tmp_path / "nope.csv"), "--csv"), "nope.csv: no such file")


def test_read_inputs_reads_a_stdin_once(monkeypatch):
    class Stdin:
        buffer = io.BytesIO(b"1,2\n")

    monkeypatch.setattr(sys, "stdin", Stdin())
    assert rows_of("-").tolist() == [[1.0, 2.0]]
    with pytest.raises(InputError, match="standard input was read already"):
        rows_of("-")


def test_check_sources(tmp_path):
    good = write(tmp_path, "a.csv", "1,2\n")
    inputs.check_sources([good, "-", good])
    with pytest.raises(InputError, match="standard input is named twice; it can be read once"):
        inputs.check_sources(["-", good, "-"])
    with pytest.raises(InputError, match="is a folder"):
        inputs.check_sources([good, str(tmp_path)])


def _nncalc(args, cwd, stdin=None, stdout=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "nncalc", *args], cwd=cwd, env=env, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120)


@pytest.mark.parametrize("via_stdin", [False, True])
def test_an_input_that_is_the_output_file(tmp_path, via_stdin):
    out = tmp_path / "out.csv"
    out.write_text("1,2\n3,4\n")
    with open(out, "a") as sink, open(out) as source:
        args = ["forward", "two-layer", "--inputs", "-" if via_stdin else "out.csv", "--csv", "--no-header"]
        proc = _nncalc(args, tmp_path, stdin=source if via_stdin else subprocess.DEVNULL, stdout=sink)
    assert proc.returncode == 1
    name = "<stdin>" if via_stdin else "out.csv"
    assert proc.stderr == f"error: {name}: input file is output file: standard output writes to this file\n"
    assert out.read_text() == "1,2\n3,4\n"


def test_an_output_file_given_second_is_refused_before_writing(tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("1,2\n")
    (tmp_path / "a.csv").write_text("5,6\n")
    with open(out, "a") as sink:
        proc = _nncalc(["forward", "two-layer", "--inputs", "a.csv", "--inputs", "out.csv", "--csv"], tmp_path, stdout=sink)
    assert proc.returncode == 1 and "input file is output file" in proc.stderr
    assert out.read_text() == "1,2\n"


# -- flat memory: every format is read as it streams


class CountingReader(io.BytesIO):
    """A byte stream that remembers how much was read from it."""

    def read(self, n=-1):
        data = super().read(n)
        self.taken = getattr(self, "taken", 0) + len(data)
        return data


def _first_chunk_after(monkeypatch, data: bytes, fmt: str) -> tuple[int, int]:
    """(bytes read when the first rows come out, rows in all) for data on stdin."""
    stream = CountingReader(data)

    class Stdin:
        buffer = stream

    monkeypatch.setattr(sys, "stdin", Stdin())
    chunks = inputs.read_inputs("-", NET, fmt)
    first = next(chunks)
    taken = stream.taken
    return taken, len(first) + sum(len(c) for c in chunks)


@pytest.mark.parametrize("fmt", ["json", "npy", "csv", "ndjson"])
def test_every_format_streams(monkeypatch, fmt):
    # Small blocks and chunks, so a modest input spans many of them.
    monkeypatch.setattr(files, "BLOCK", 1 << 16)
    monkeypatch.setattr(inputs, "CHUNK_BYTES", 1 << 16)
    X = np.random.default_rng(4).normal(size=(40_000, 2))
    if fmt == "json":
        data = json.dumps(X.tolist()).encode()
    elif fmt == "npy":
        data = npy_bytes(X)
    elif fmt == "csv":
        data = "".join(f"{a!r},{b!r}\n" for a, b in X.tolist()).encode()
    else:
        data = "".join(json.dumps(r) + "\n" for r in X.tolist()).encode()
    taken, n = _first_chunk_after(monkeypatch, data, fmt)
    assert n == len(X)
    assert taken <= 2 * files.BLOCK + 4096 < len(data) / 2


# -- JSON documents: read as they stream, errors with their line


def test_json_errors_name_the_line_and_column(run, tmp_path):
    rows = [[i, -i] for i in range(1000)]
    rows[700][1] = None
    text = json.dumps(rows, indent=1)
    path = write(tmp_path, "in.json", text)
    before = text[: text.index("null")]
    start = before.rindex("[")  # the row holding null
    line, col = text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start)
    result = forward(run, path, "--csv", "--no-header")
    assert result.exit_code == 1 and len(result.stdout.splitlines()) == 700
    assert result.stderr == f"error: {path}:{line}:{col}: input 701: value 2: null is not a number\n"


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"a": 1}', ":1:1: expected a list of inputs, like [[1, 2], [3, 4]], got an object"),
        ('"text"', ":1:1: expected a list of inputs, like [[1, 2], [3, 4]], got a string"),
        ("[[1, 2]\n\n  [3, 4]]", ":3:3: not JSON: expected ',' or ']' after input 1"),
        ("[[1, 2],\n [3, 4],]", ":2:9: not JSON: Expecting value"),
        ("[[1, 2]] [", ":1:10: not JSON: more text after the list of inputs"),
        ("[[1, 2], [3, 4]", ":1:16: not JSON: the document ends before its list is closed"),
        ("[[1, 2], 5]", ":1:10: input 2: expected a list of 2 numbers, got a number"),
        ('[[1, 2], ["1", 2]]', ":1:10: input 2: value 1: the string '1' is not a number"),
        ("[[1, 2], [NaN, 2]]", ":1:10: input 2: value 1: NaN is not a finite number"),
        ("[[1, 2], [1, -Infinity]]", ":1:10: input 2: value 2: -Infinity is not a finite number"),
        ("[[1, 2], [1, true]]", ":1:10: input 2: value 2: true is not a number"),
        ("[[1, 2], [[1], 2]]", ":1:10: input 2: value 1: a list is not a number"),
        ("[[1, 2], [1, 2, 3]]", ":1:10: input 2: expected 2 values, got 3"),
        ("[1, 2, 3]", ":1:1: the input has more than 2 values; expected 2"),
        ("\n[1]", ":2:1: the input has 1 value; expected 2"),
        ("[1, null]", ":1:5: value 2: null is not a number; expected 2 numbers"),
        ("[" * 100_000, "not JSON"),
    ],
)
def test_json_document_errors(run, tmp_path, text, message):
    path = write(tmp_path, "in.json", text)
    result = forward(run, path, "--csv")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith(f"error: {path}{message}" if message.startswith(":") else "error: ")
    assert message in result.stderr


def _reference_json_rows(text: str) -> np.ndarray:
    """The rows a JSON document holds, by the json module and float() (as the spec says)."""
    doc = json.loads(text, parse_int=float, parse_float=float)
    return np.array(doc if doc and isinstance(doc[0], list) else [doc], dtype=np.float64).reshape(-1, 2)


@pytest.mark.parametrize("block", [1, 7, 64, 4096])
def test_json_read_across_any_block_boundary(tmp_path, monkeypatch, block):
    monkeypatch.setattr(files, "BLOCK", block)
    monkeypatch.setattr(inputs._JsonStream, "LOOKAHEAD", max(block // 2, 1))
    rng = np.random.default_rng(block)
    X = rng.normal(size=(300, 2)) * 10.0 ** rng.integers(-20, 20, size=(300, 1))
    rows = [[float(a), int(b * 1000)] if i % 3 == 0 else [float(a), float(b)] for i, (a, b) in enumerate(X)]
    rows[5] = [-0.0, 0]
    for text in [json.dumps(rows), json.dumps(rows, indent=2), "\ufeff" + json.dumps(rows, separators=(",", ":")), "[1.5, -2e3]", " [ 1 , 2 ] \n"]:
        path = write(tmp_path, "in.json", text)
        got, want = rows_of(path), _reference_json_rows(text.lstrip("\ufeff"))
        assert np.array_equal(got, want) and (np.signbit(got) == np.signbit(want)).all()
    bad = json.dumps(rows[:200]) [:-1] + ', [1, "x"]]'
    e = error_of(write(tmp_path, "bad.json", bad))
    assert (e.line, e.column, e.message) == (1, bad.index('[1, "x"]') + 1, "input 201: value 2: the string 'x' is not a number")


@pytest.mark.parametrize("block", [1, 3, 64])
def test_text_lines_across_any_block_boundary(tmp_path, monkeypatch, block):
    monkeypatch.setattr(files, "BLOCK", block)
    text = "\ufeffx,y\r\n1,2\r\n\r\n# c\r3,4\n5,6"
    path = write(tmp_path, "in.csv", "")
    (tmp_path / "in.csv").write_bytes(text.encode("utf-8"))
    assert rows_of(path).tolist() == [[1, 2], [3, 4], [5, 6]]
    (tmp_path / "in.csv").write_bytes("1,2\r\n3,4\r\n5,x\r\n".encode())
    assert error_of(path).line == 3


@pytest.mark.parametrize("block", [16, 64, 256, 1 << 20])
@pytest.mark.parametrize("seed", range(4))
def test_line_numbers_through_fast_and_slow_blocks(tmp_path, monkeypatch, block, seed):
    """Blocks of plain rows (read in one call, their lines counted by the reader) and
    blocks with blank lines, comments, a header or \r\n line ends (read line by line):
    a bad line far on is named by its number, counted here line by line."""
    monkeypatch.setattr(files, "BLOCK", block)
    rng = np.random.default_rng(seed)
    lines = ["x1,x2"] if seed % 2 else []
    want = []
    for _ in range(400):
        kind = rng.integers(20)
        if kind == 0:
            lines.append("")
        elif kind == 1:
            lines.append("# a comment, 1,2")
        else:
            row = rng.normal(size=2).round(rng.integers(1, 9)).tolist()
            want.append(row)
            lines.append(f"{row[0]!r},{row[1]!r}")
    end = "\r\n" if seed == 3 else "\n"
    path = tmp_path / "in.csv"
    path.write_bytes((end.join(lines) + end).encode())
    assert rows_of(path).tolist() == want
    bad = len(lines) - int(rng.integers(1, 50))
    while not lines[bad] or lines[bad][0] == "#":
        bad -= 1
    lines[bad] = lines[bad].replace(",", ";")
    path.write_bytes((end.join(lines) + end).encode())
    assert error_of(path).line == bad + 1


# -- text that is not what it should be


def test_not_utf8_names_the_line(run, tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b"1,2\n3,4\n5,\xe96\n")
    result = forward(run, path, "--csv", "--no-header")
    assert result.exit_code == 1 and len(result.stdout.splitlines()) == 0
    assert result.stderr == f"error: {path}:3: not UTF-8 text (byte 0xe9)\n"


def test_utf16_is_named(run, tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes("1,2\n".encode("utf-16"))
    assert_one_error(forward(run, path, "--csv"), f"error: {path}: not a CSV file (it is UTF-16 text)")


@pytest.mark.parametrize("name", ["in.csv", "in.ndjson"])
def test_an_endless_line_is_refused_with_bounded_reading(run, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"1" * (3 << 20))
    assert_one_error(forward(run, path, "--csv"), f"error: {path}:1: line 1 is longer than 1.0 MB")


def test_an_endless_json_value_is_refused(run, tmp_path):
    path = write(tmp_path, "in.json", "[[" + "1" * (3 << 20) + "]]")
    assert_one_error(forward(run, path, "--csv"), f"error: {path}:1:2: a value longer than 1.0 MB")


def test_zeros_on_stdin(run):
    result = run("forward", "two-layer", "--inputs", "-", input=b"\0" * (3 << 20))
    assert_one_error(result, "error: <stdin>: is binary data; expected inputs as")
    result = run("forward", "two-layer", "--inputs", "-", "--input-format", "ndjson", input=b"\0" * (3 << 20))
    assert_one_error(result, "error: <stdin>: not an NDJSON file (it is binary data)")


def test_control_characters_are_shown_escaped(run, tmp_path):
    path = write(tmp_path, "in.csv", "1,\x1b[2J\n")
    line = assert_one_error(forward(run, path, "--csv"), f"{path}:1:3: '\\x1b[2J' is not a number")
    assert "\x1b" not in line


# -- files.py on its own


def test_describe():
    assert files.describe(b"") == "empty"
    assert files.describe(npy_bytes(np.ones(1))[:64]) == "a .npy file"
    assert files.describe(NPZ[:64]) == "a zip archive: .npz?"
    assert files.describe(b"\x1f\x8b\x08") == "gzip-compressed data"
    assert files.describe(b"\x89HDF\r\n\x1a\n") == "an HDF5 file"
    assert files.describe("größe,1\n".encode()[:2]) == "text"  # a cut character is still text
    assert files.describe(b"\x00\x01\x02") == "binary data"


def test_read_npy_header_reads_only_the_header():
    data = npy_bytes(np.zeros((5, 3), dtype=np.float32))
    stream = CountingReader(data)
    h = files.read_npy_header(stream, "x.npy")
    assert (h.shape, h.fortran, h.dtype, h.offset) == ((5, 3), False, np.dtype(np.float32), len(data) - 60)
    assert stream.taken == h.offset


def test_size_text():
    assert [files.size_text(n) for n in (0, 1, 999, 1000, 16 * 10**12)] == ["0 bytes", "1 byte", "999 bytes", "1.0 kB", "16.0 TB"]
