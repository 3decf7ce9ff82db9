"""Numbers and input vectors, read the way people write them.

``1``, ``-0.5``, ``.5``, ``1e-3``, ``2E2`` are numbers; ``nan``, ``inf``, ``yes`` and empty
strings are not. The same rule serves the spec's plain YAML scalars and ``--input``.
"""

from __future__ import annotations

import math
import re
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from nncalc.errors import InputError
from nncalc.network import Network

# A decimal number: digits with an optional fraction, or a bare fraction, then an
# optional exponent. Python's float() would also take "nan", "inf" and "1_0"; we do not.
NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?", re.ASCII)
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


# ------------------------------------------------------------------------ input files
#
# Inputs stream through in chunks of CHUNK_ROWS rows, so memory stays flat however long
# the file is. Each chunk is parsed by NumPy's C reader (np.loadtxt); only when that fails
# is the chunk read again line by line, to yield the rows before the bad one and report it
# with its line number.

CHUNK_ROWS = 65536
FORMATS = ("csv", "tsv", "npy", "json", "ndjson")
_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".npy": "npy",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}
_DELIMITERS = {"csv": ",", "tsv": "\t"}


def _row_values(line: str, delimiter: str | None) -> list[str] | None:
    """The fields of one text line, or None for a blank or comment line."""
    body = line.split("#", 1)[0].strip()
    if not body:
        return None
    return [f.strip() for f in body.split(delimiter)] if delimiter else body.split()


def _looks_like_header(line: str, delimiter: str | None) -> bool:
    fields = _row_values(line, delimiter)
    if fields is None:
        return False
    try:
        for f in fields:
            parse_number(f)
    except ValueError:
        return True
    return False


def _scan_lines(
    lines: list[str], delimiter: str | None, width: int, source: str, first_line: int
) -> tuple[np.ndarray, InputError]:
    """The rows before the first bad line, and the error that line deserves."""
    good: list[list[float]] = []
    for i, line in enumerate(lines):
        fields = _row_values(line, delimiter)
        if fields is None:
            continue
        where = dict(source=source, line=first_line + i)
        if len(fields) != width:
            return _rows(good, width), InputError(f"expected {width} values, got {len(fields)}", **where)
        try:
            good.append([parse_number(f) for f in fields])
        except ValueError as e:
            return _rows(good, width), InputError(f"{e}; expected {width} numbers", **where)
    raise AssertionError("the fast reader failed on lines the slow one accepts")  # pragma: no cover


def _rows(rows: list[list[float]], width: int) -> np.ndarray:
    return np.array(rows, dtype=np.float64).reshape(len(rows), width)


def _parse_chunk(
    lines: list[str], delimiter: str | None, width: int, source: str, first_line: int
) -> tuple[np.ndarray, InputError | None]:
    """Parse a chunk of text lines: (rows, None), or (rows before the bad line, error)."""
    try:
        rows = np.loadtxt(lines, delimiter=delimiter, comments="#", ndmin=2, dtype=np.float64)
        if rows.size == 0:
            return rows.reshape(0, width), None
        if rows.shape[1] == width and np.isfinite(rows).all():
            return rows, None
    except ValueError:
        pass
    return _scan_lines(lines, delimiter, width, source, first_line)


def _text_chunks(
    f: Iterator[str], delimiter: str | None, width: int, source: str, strip: str = ""
) -> Iterator[np.ndarray]:
    """Rows of a delimited text file, a chunk at a time; a first line of names is skipped.

    ``strip`` lists characters removed from every line first (the brackets of NDJSON).
    """
    table = str.maketrans("", "", strip) if strip else None
    line_no = 1
    first = True
    while True:
        lines = list(islice(f, CHUNK_ROWS))
        if not lines:
            return
        if table is not None:
            lines = [line.translate(table) for line in lines]
        if first:
            first = False
            k = next((i for i, line in enumerate(lines) if _row_values(line, delimiter)), None)
            if k is not None and _looks_like_header(lines[k], delimiter):
                lines[k] = "\n"  # keep line numbers right
        rows, error = _parse_chunk(lines, delimiter, width, source, line_no)
        if len(rows):
            yield rows
        if error is not None:
            raise error
        line_no += len(lines)


def _ndjson_chunks(f: Iterator[str], width: int, source: str) -> Iterator[np.ndarray]:
    """JSON Lines of number lists. Fast path: check each line is one flat list, drop the
    brackets and read the rest as CSV (whose checks then catch true, null, "1" and NaN)."""
    lines = _FlatLists(f, source)
    # One iterator for all chunks: each chunk goes on where the last stopped, and none
    # goes past the bad line.
    yield from _text_chunks(iter(lines), ",", width, source, strip="[]")
    if lines.error is not None:  # raised after the rows before the bad line were yielded
        raise lines.error


class _FlatLists:
    """The lines of an NDJSON file up to the first that is not one flat [...] list."""

    def __init__(self, f: Iterator[str], source: str) -> None:
        self.f, self.source, self.error = f, source, None

    def __iter__(self) -> Iterator[str]:
        import json

        for line_no, line in enumerate(self.f, 1):
            body = line.strip()
            if body and not (body[0] == "[" and body[-1] == "]" and body.count("[") == body.count("]") == 1):
                try:
                    value = json.loads(body)
                    got = f"{type(value).__name__} {body[:40]}"
                except ValueError:
                    got = f"'{body[:40]}', which is not JSON"
                self.error = InputError(f"expected a list of numbers, like [1, 2], got {got}", self.source, line_no)
                return
            yield line


def _json_rows(text: str, width: int, source: str) -> Iterator[np.ndarray]:
    """A JSON document holding a list of number lists (or one list: one input)."""
    import json

    try:
        doc = json.loads(text)
    except ValueError as e:
        raise InputError(f"not JSON: {e}", source=source) from None
    if isinstance(doc, list) and doc and not isinstance(doc[0], list):
        doc = [doc]
    if not isinstance(doc, list):
        raise InputError("expected a list of inputs, like [[1, 2], [3, 4]]", source=source)
    for i, row in enumerate(doc, 1):
        if not isinstance(row, list) or len(row) != width:
            got = f"{len(row)} values" if isinstance(row, list) else type(row).__name__
            raise InputError(f"input {i}: expected {width} values, got {got}", source=source)
        for v in row:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise InputError(f"input {i}: {json.dumps(v)} is not a finite number", source=source)
    for start in range(0, len(doc), CHUNK_ROWS):
        yield np.array(doc[start : start + CHUNK_ROWS], dtype=np.float64).reshape(-1, width)


def _npy_chunks(load: Callable[[], np.ndarray], width: int, source: str) -> Iterator[np.ndarray]:
    """Rows of a .npy array, read without pickle (an object array is refused)."""
    try:
        data = load()
    except ValueError as e:
        if "allow_pickle" in str(e) or "object" in str(e).lower():
            raise InputError("holds Python objects (pickled data), which nncalc refuses to load", source=source) from None
        raise InputError(f"not a valid .npy file: {e}", source=source) from None
    if data.dtype.kind not in "fiu":
        raise InputError(f"holds {data.dtype} values; expected real numbers", source=source)
    if data.ndim == 1:
        data = data.reshape(-1, 1) if width == 1 else data.reshape(1, -1)
    if data.ndim != 2 or data.shape[1] != width:
        raise InputError(f"has shape {data.shape}; expected (rows, {width})", source=source)
    for start in range(0, len(data), CHUNK_ROWS):
        rows = np.asarray(data[start : start + CHUNK_ROWS], dtype=np.float64)
        bad = ~np.isfinite(rows)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            if r:
                yield rows[:r]
            raise InputError(f"row {start + r + 1}, value {c + 1} is not a finite number", source=source)
        yield rows


def sniff_format(head: bytes) -> str:
    """Guess an input format from its first bytes: npy, json, ndjson, tsv or csv."""
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    text = head.decode("utf-8", "replace")
    content = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    first = content[0].strip() if content else ""
    if first.startswith("[["):
        return "json"
    if first.startswith("["):
        return "ndjson" if first.endswith("]") else "json"
    return "tsv" if "\t" in first else "csv"


def read_inputs(path: str, net: Network, fmt: str | None = None) -> Iterator[np.ndarray]:
    """Stream the inputs of a file (or ``-``, standard input) as chunks of rows.

    The format comes from ``fmt``, else the file's suffix, else its first bytes. A bad row
    raises InputError naming the file and line, after the rows before it were yielded.
    """
    import io
    import sys

    width = net.nin
    source = "<stdin>" if path == "-" else path
    if path == "-":
        raw = sys.stdin.buffer
        stream = raw if hasattr(raw, "peek") else io.BufferedReader(raw)  # type: ignore[arg-type]
        fmt = fmt or sniff_format(stream.peek(4096)[:4096])
        if fmt == "npy":
            yield from _npy_chunks(lambda: np.load(io.BytesIO(stream.read()), allow_pickle=False), width, source)
            return
        text = io.TextIOWrapper(stream, encoding="utf-8-sig")
    else:
        p = Path(path)
        if not p.is_file():
            raise InputError("no such file" if not p.exists() else "not a file", source=source)
        if fmt is None:
            fmt = _SUFFIXES.get(p.suffix.lower())
        if fmt is None:
            with p.open("rb") as fb:
                fmt = sniff_format(fb.read(4096))
        if fmt == "npy":
            yield from _npy_chunks(lambda: np.load(p, mmap_mode="r", allow_pickle=False), width, source)
            return
        text = p.open(encoding="utf-8-sig")
    try:
        if fmt == "json":
            yield from _json_rows(text.read(), width, source)
        elif fmt == "ndjson":
            yield from _ndjson_chunks(text, width, source)
        else:
            yield from _text_chunks(text, _DELIMITERS[fmt], width, source)
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=source) from None
    finally:
        if path != "-":
            text.close()


def read_matrix(path: Path, source: str) -> np.ndarray:
    """A whole delimited text file (CSV, or TSV by suffix) as one 2-D array of numbers."""
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    with path.open(encoding="utf-8-sig") as f:
        lines = f.readlines()
    first = next((fields for fields in (_row_values(ln, delimiter) for ln in lines) if fields), None)
    if first is None:
        raise InputError("holds no numbers", source=source)
    rows, error = _parse_chunk(lines, delimiter, len(first), source, 1)
    if error is not None:
        raise error
    return rows
