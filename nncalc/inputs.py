"""Numbers and input vectors, read the way people write them.

``1``, ``-0.5``, ``.5``, ``1e-3``, ``2E2`` are numbers; ``nan``, ``inf``, ``yes``, ``0x10``,
``1_000``, digits other than 0-9 and empty strings are not. The same rule serves the
spec's plain YAML scalars, ``--input`` and every text input or weight file.
"""

from __future__ import annotations

import math
import re
import sys
import warnings
import weakref
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from nncalc import files
from nncalc.errors import InputError
from nncalc.files import shown
from nncalc.network import Network, length_problem

from nncalc.numbers import parse_number


def parse_vector(text: str, net: Network, what: str | None = None, output: bool = False) -> np.ndarray:
    """One input vector from text such as ``1,2``, ``1 2`` or ``[1, 2]``.

    ``what`` names the text in messages (default: ``input '1,x'``); the command line
    passes its flag's words. With ``output``, the vector is a target: one value per unit
    of the output layer.

    >>> from nncalc.network import build_network
    >>> net = build_network([{"name": "hidden", "weights": np.ones((3, 2))}])
    >>> parse_vector("-1, 2e-1", net).tolist()
    [-1.0, 0.2]
    >>> parse_vector("1,x", net)
    Traceback (most recent call last):
    ...
    nncalc.errors.InputError: input '1,x': value 2 of 2: 'x' is not a number; expected 2 numbers separated by commas
    """
    what = what or f"input {shown(text)}"
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    items = body.split(",") if "," in body else body.split()
    n = net.nout if output else net.nin
    if not items:
        raise InputError(f"{what} is empty; expected {n} number{'s' if n != 1 else ''} separated by commas")
    values = []
    for i, item in enumerate(items, 1):
        try:
            values.append(parse_number(item))
        except ValueError as e:
            raise InputError(
                f"{what}: value {i} of {len(items)}: {e}; expected {n} number{'s' if n != 1 else ''} separated by commas",
                hint="input",
            ) from None
    problem = length_problem(len(values), net, what, output=output)
    if problem:
        raise InputError(problem)
    return np.array(values, dtype=np.float64)


def parse_option_number(text: str, option: str) -> float:
    """A number given to a command-line option, or InputError naming the option."""
    try:
        return parse_number(text)
    except ValueError as e:
        raise InputError(f"{option} {shown(text)}: {e}") from None


def parse_range(text: str, option: str = "--range") -> tuple[float, float]:
    """``-5,5`` -> (-5.0, 5.0); the first number must be the smaller.

    >>> parse_range("-3, 3")
    (-3.0, 3.0)
    """
    parts = text.split(",")
    if len(parts) != 2:
        raise InputError(f"{option} {shown(text)}: expected two numbers, like {option} -5,5")
    lo, hi = (parse_option_number(p, option) for p in parts)
    if not lo < hi:
        raise InputError(f"{option} {shown(text)}: the first number must be smaller than the second")
    return lo, hi


# ------------------------------------------------------------------------ input files
#
# Inputs stream through in chunks, so memory stays flat however long the file is. Text
# is read in blocks of whole lines (files.text_blocks). A block whose lines are all plainly
# JSON numbers between delimiters (digits, signs, points, exponents, spaces) is parsed in
# one call by orjson (_fast_rows), which rounds every number correctly, as float() does.
# Any other block is decoded and parsed by NumPy's C reader (np.loadtxt) when it is ASCII;
# when that fails, or the block is not ASCII, it is read again line by line by the
# reference reader (parse_number per field), which yields the rows before a bad line and
# reports that line. Each fast reader only ever accepts a subset of what the reference
# reader accepts, with the same values, so they cannot disagree: the reference reader
# decides.

CHUNK_ROWS = 65536
CHUNK_BYTES = 8 << 20  # a chunk of .npy rows holds at most this many bytes
MAX_MATRIX_LINE = 64 << 20  # a line of a weight file (one row of a matrix)
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
_SEPARATORS = {",": "commas", "\t": "tabs"}
# Words that read as values, not as column names, in a first line.
_LITERALS = {"nan", "inf", "infinity", "true", "false", "null", "none"}


def _max_line(width: int) -> int:
    """The longest line read for rows of ``width`` numbers: far more than they need."""
    return max(1 << 20, 64 * width)


def _row_values(line: str, delimiter: str | None) -> list[str] | None:
    """The fields of one text line, or None for a blank or comment line."""
    body = line.split("#", 1)[0].strip()
    if not body:
        return None
    return [f.strip() for f in body.split(delimiter)] if delimiter else body.split()


def _is_name(field: str) -> bool:
    """A column name: printable text starting with a letter or _, not a word like nan or true."""
    f = field.strip().strip("\"'")
    return bool(f) and (f[0].isalpha() or f[0] == "_") and f.isprintable() and f.lower() not in _LITERALS


def _is_header(fields: list[str], width: int, source: str, line: int) -> bool:
    """Whether a file's first row is a header: every field a name. Anything else is data
    (and an error if it is not numbers); a header of the wrong width is an error too."""
    if not all(map(_is_name, fields)):
        return False
    if len(fields) != width:
        n = len(fields)
        raise InputError(
            f"the header has {n} name{'s' if n != 1 else ''}; expected {width}, one per input",
            source=source,
            line=line,
        )
    return True


def _width_problem(fields: list[str], width: int, delimiter: str | None) -> str:
    problem = f"expected {width} value{'s' if width != 1 else ''}, got {len(fields)}"
    if delimiter in _SEPARATORS and len(fields) < width and any(c in f for f in fields for c in ";|, \t"):
        problem += f"; values are separated by {_SEPARATORS[delimiter]}"
    elif len(fields) > width and fields[-1] == "":
        problem += " (the last is empty)"
    return problem


def _rows(rows: list[list[float]], width: int) -> np.ndarray:
    return np.array(rows, dtype=np.float64).reshape(len(rows), width)


def _scan_lines(
    lines: list[str], delimiter: str | None, width: int, source: str, first_line: int
) -> tuple[np.ndarray, InputError | None]:
    """The reference reader: the rows up to the first bad line, and that line's error."""
    good: list[list[float]] = []
    for i, line in enumerate(lines):
        fields = _row_values(line, delimiter)
        if fields is None:
            continue
        where = dict(source=source, line=first_line + i)
        if len(fields) != width:
            return _rows(good, width), InputError(_width_problem(fields, width, delimiter), **where)
        numbers = []
        for k, f in enumerate(fields):
            try:
                numbers.append(parse_number(f))
            except ValueError as e:
                error = InputError(f"{e}; expected {width} numbers", column=_field_column(line, delimiter, k), **where)
                return _rows(good, width), error
        good.append(numbers)
    return _rows(good, width), None


def _field_column(line: str, delimiter: str | None, k: int) -> int:
    """The column (from 1, in characters) where field ``k`` of a line starts, past the
    spaces before it: as :func:`_row_values` splits the line."""
    start = len(line) - len(line.lstrip())  # as the line is stripped before it is split
    for _ in range(k):
        start = line.index(delimiter, start) + 1 if delimiter else _next_word(line, start)
    while start < len(line) and line[start].isspace():
        start += 1
    return start + 1


def _next_word(line: str, start: int) -> int:
    """Where the word after the one at ``start`` begins (fields split by white space)."""
    while start < len(line) and line[start].isspace():
        start += 1
    while start < len(line) and not line[start].isspace():
        start += 1
    return start


def _loadtxt(lines: list[str], delimiter: str | None, comments: str | None) -> np.ndarray | None:
    """NumPy's C reader on ASCII lines, or None where it fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data", for a chunk of comments
            return np.loadtxt(lines, delimiter=delimiter, comments=comments, ndmin=2, dtype=np.float64)
    except ValueError:
        return None


def _parse_chunk(
    lines: list[str], delimiter: str | None, width: int, source: str, first_line: int, ascii: bool = True
) -> tuple[np.ndarray, InputError | None]:
    """Parse a chunk of text lines: (rows, None), or (rows before the bad line, error)."""
    if ascii:  # other scripts' digits and spaces are for the reference reader to judge
        rows = _loadtxt(lines, delimiter, "#")
        if rows is not None:
            if rows.size == 0:
                return rows.reshape(0, width), None
            if rows.shape[1] == width and np.isfinite(rows).all():
                return rows, None
    return _scan_lines(lines, delimiter, width, source, first_line)


def _text_chunks(f: files.Readable, delimiter: str, width: int, source: str) -> Iterator[np.ndarray]:
    """Rows of CSV or TSV text, a block at a time; a first line of names is skipped."""
    header_pending = True
    blocks = files.TextBlocks(f, source, _max_line(width))
    for start, part in blocks:
        first_line = start
        if header_pending:
            first_line, part, header_pending = _after_header(part, first_line, delimiter, width, source)
        rows = _fast_rows(part, delimiter, width)
        if rows is not None:
            blocks.counted(first_line - start + len(rows))  # a line per row
            yield rows
            continue
        yield from _line_chunks(part, delimiter, width, source, first_line)


def _line_chunks(part: bytes, delimiter: str, width: int, source: str, first_line: int) -> Iterator[np.ndarray]:
    """The rows of a block of text lines read by np.loadtxt, else by the reference reader."""
    lines, ascii = files.decode_lines(part, source, first_line)
    for start in range(0, len(lines), CHUNK_ROWS):
        rows, error = _parse_chunk(lines[start : start + CHUNK_ROWS], delimiter, width, source, first_line + start, ascii)
        if len(rows):
            yield rows
        if error is not None:
            raise error


def _after_header(
    part: bytes, line: int, delimiter: str, width: int, source: str
) -> tuple[int, bytes, bool]:
    """The text from a file's first row of data on: ``(its line's number, the rest of the
    block, whether the first row is still to come)``. Blank and comment lines before it
    are passed over; a first row of names (a header) is skipped."""
    pos = 0
    while pos < len(part):
        end = part.find(b"\n", pos) + 1 or len(part)
        try:
            fields = _row_values(part[pos:end].decode("utf-8"), delimiter)
        except UnicodeDecodeError:
            return line, part[pos:], False  # for the line reader to report
        if fields is not None:
            if _is_header(fields, width, source, line):
                return line + 1, part[end:], False
            return line, part[pos:], False
        pos = end
        line += 1
    return line, b"", True


def _orjson():  # type: ignore[no-untyped-def]
    """The orjson module, or None where it is not installed."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency
        return None
    return orjson


# What a field of plain rows may hold besides its delimiters and line ends: digits, signs,
# points, exponents and spaces. Anything else (#, letters, quotes, other scripts' digits)
# goes to the line reader.
_NUMBER_BYTES = b"0123456789.eE+- \t"
_TAB_TO_COMMA = bytes.maketrans(b"\t", b",")
# -0 without a point or exponent is an integer to JSON, and orjson drops its sign.
_INTEGER_MINUS_ZERO = re.compile(rb"-0(?![0-9.eE])")


def _fast_rows(part: bytes, delimiter: str, width: int) -> np.ndarray | None:
    """The rows of a block of lines when every line is ``width`` JSON numbers
    separated by ``delimiter`` (spaces around them allowed), else None.

    Taking away every byte a number or a space may hold must leave exactly ``width - 1``
    delimiters and a line end per line (so a stray letter, quote or '#', a blank line or
    a missing field refuses the block). The numbers are then one JSON list for orjson,
    which refuses anything that is not a JSON number (JSON numbers are a subset of what
    parse_number reads: no '+1', '.5' or '1.') and rounds each correctly, as float() does.
    """
    if _orjson() is None or not part:
        return None
    if delimiter == "\t":
        if b"," in part:
            return None
        part = part.translate(_TAB_TO_COMMA)
    if not part.endswith(b"\n"):
        part += b"\n"
    separators = part.translate(None, _NUMBER_BYTES)
    n, extra = divmod(len(separators), width)
    if extra or separators != (b"," * (width - 1) + b"\n") * n:
        return None
    numbers = _json_numbers(part.replace(b"\n", b","), n * width)
    return None if numbers is None else numbers.reshape(n, width)


def _json_numbers(text: bytes, count: int) -> np.ndarray | None:
    """The ``count`` numbers of ``text`` (bytes a number or a space may hold, and
    commas; perhaps a comma after the last), read as one JSON list by orjson; None where
    that is not exactly ``count`` finite JSON numbers, or where a -0 might have lost its
    sign."""
    orjson = _orjson()
    tail = b"0]" if text.endswith(b",") else b"]"  # a 0 after a last comma, not a copy
    try:
        values = orjson.loads(b"".join((b"[", text, tail)))
    except orjson.JSONDecodeError:
        return None
    if len(values) != count + (len(tail) == 2):
        return None
    numbers = np.fromiter(values, np.float64, count)
    if not np.isfinite(numbers).all():
        return None
    zeros = numbers == 0
    if zeros.any() and not np.signbit(numbers[zeros]).all() and _INTEGER_MINUS_ZERO.search(text):
        return None  # a -0 that orjson read as the integer 0
    return numbers


def _plain_json_rows(span: bytes, width: int) -> np.ndarray | None:
    """The rows of ``[n, n], [n, n], ...`` (JSON numbers and white space between the
    brackets) read by orjson in one call, else None: taking away every byte a number or
    white space may hold must leave exactly ``[`` ``width - 1`` commas ``]`` per row."""
    if _orjson() is None:
        return None
    n = span.count(b"[")
    row = b"[" + b"," * (width - 1) + b"]"
    if n == 0 or span.translate(None, _NUMBER_BYTES + b"\n\r") != (row + b",") * (n - 1) + row:
        return None
    numbers = _json_numbers(span.translate(None, b"[]"), n * width)
    return None if numbers is None else numbers.reshape(n, width)


def _ndjson_chunks(f: files.Readable, width: int, source: str) -> Iterator[np.ndarray]:
    """JSON Lines, one flat list of numbers per line; no header, no comments."""
    for first_line, part in files.text_blocks(f, source, _max_line(width)):
        rows = _ndjson_plain(part, width)
        if rows is not None:
            yield rows
            continue
        lines, ascii = files.decode_lines(part, source, first_line)
        for start in range(0, len(lines), CHUNK_ROWS):
            chunk = lines[start : start + CHUNK_ROWS]
            rows = _ndjson_fast(chunk, width) if ascii else None
            error = None
            if rows is None:
                rows, error = _ndjson_scan(chunk, width, source, first_line + start)
            if len(rows):
                yield rows
            if error is not None:
                raise error


def _ndjson_plain(part: bytes, width: int) -> np.ndarray | None:
    """The rows of a block of lines that are each exactly ``[n, n, ...]`` (no space
    before the '[' or after the ']', no blank line), read as CSV by _fast_rows; else None.

    Counting brackets checks that every line starts with its only '[' and ends with its
    only ']'.
    """
    if not part.endswith(b"\n"):
        part += b"\n"
    n = part.count(b"\n")
    if not (
        part.startswith(b"[")
        and part.count(b"[") == part.count(b"]") == n
        and part.count(b"\n[") == n - 1
        and part.count(b"]\n") == n
    ):
        return None
    return _fast_rows(part.translate(None, b"[]"), ",", width)


# A JSON number (RFC 8259): what NDJSON lines hold, as JSON documents do; '+1', '.5',
# '1.' and '1/3' are numbers elsewhere (a spec, --input, CSV) but not JSON.
_JSON_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"


@lru_cache(maxsize=None)
def _json_number_pattern() -> re.Pattern[str]:
    return re.compile(_JSON_NUMBER)


@lru_cache(maxsize=None)
def _json_row() -> re.Pattern[str]:
    return re.compile(rf"\[[ \t]*{_JSON_NUMBER}(?:[ \t]*,[ \t]*{_JSON_NUMBER})*[ \t]*\]")


def _ndjson_fast(lines: list[str], width: int) -> np.ndarray | None:
    """The rows of lines that are all plainly ``[n, n, ...]`` of JSON numbers, else None.

    Counting brackets over the joined chunk checks, in C, that every non-blank line starts
    with its only '[' and ends with its only ']'; the rest is CSV for np.loadtxt.
    """
    stripped = list(map(str.strip, lines))
    n = len(stripped) - stripped.count("")
    if n == 0:
        return np.empty((0, width))
    text = "\n".join(stripped)
    if not (
        text.count("[") == text.count("]") == n
        and ("\n" + text).count("\n[") == n
        and (text + "\n").count("]\n") == n
    ):
        return None
    row = _json_row().fullmatch
    if not all(row(line) for line in stripped if line):
        return None
    rows = _loadtxt(text.replace("[", "").replace("]", "").split("\n"), ",", None)
    if rows is None or rows.shape != (n, width) or not np.isfinite(rows).all():
        return None
    return rows


def _ndjson_scan(
    lines: list[str], width: int, source: str, first_line: int
) -> tuple[np.ndarray, InputError | None]:
    """The reference NDJSON reader: rows up to the first bad line, and its error."""
    good: list[list[float]] = []
    for i, line in enumerate(lines):
        body = line.strip()
        if not body:
            continue
        where = dict(source=source, line=first_line + i)
        if not (body[0] == "[" and body[-1] == "]" and body.count("[") == body.count("]") == 1):
            return _rows(good, width), InputError(_not_a_flat_list(body, width), **where)
        fields = [f.strip() for f in body[1:-1].split(",")]
        if fields == [""]:
            return _rows(good, width), InputError(f"expected a list of {width} numbers, got an empty list", **where)
        if len(fields) != width:
            return _rows(good, width), InputError(_width_problem(fields, width, None), **where)
        try:
            good.append([parse_number(f) for f in fields])
        except ValueError as e:
            return _rows(good, width), InputError(f"{e}; expected {width} numbers", **where)
        for k, f in enumerate(fields):
            if not _json_number_pattern().fullmatch(f):
                good.pop()
                problem = f"value {k + 1}: {shown(f)} is a number, but not as JSON writes one (like 0.5, -2, 1e-3)"
                return _rows(good, width), InputError(problem, **where)
    return _rows(good, width), None


def _not_a_flat_list(body: str, width: int) -> str:
    try:
        value = _json_decoder().decode(body)
    except (ValueError, RecursionError):
        got = f"{shown(body)}, which is not JSON"
    else:
        got = "a list of lists" if isinstance(value, list) else f"{_json_kind(value)}: {shown(body)}"
    return f"expected a list of {width} numbers, like {_example(width)}, got {got}"


def _example(width: int) -> str:
    """``[1, 2]`` for two inputs, ``[1, 2, …]`` for many."""
    shown = [str(i) for i in range(1, min(width, 3) + 1)] + (["…"] if width > 3 else [])
    return "[" + ", ".join(shown) + "]"


# -- JSON documents, read a row at a time


class _JsonBad:
    """A JSON number nncalc refuses (NaN, Infinity, beyond float64), kept for its message."""

    def __init__(self, message: str) -> None:
        self.message = message


def _json_number(text: str) -> float | _JsonBad:
    value = float(text)  # never int(): no limit on digits, no OverflowError
    return value if math.isfinite(value) else _JsonBad(f"{shown(text)} is too large for float64")


def _json_constant(name: str) -> _JsonBad:
    return _JsonBad(f"{name} is not a finite number")


def _json_decoder():  # type: ignore[no-untyped-def]
    import json

    return json.JSONDecoder(parse_int=_json_number, parse_float=_json_number, parse_constant=_json_constant)


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, _JsonBad):
        return "a number that is not finite"
    return {str: "a string", list: "a list", dict: "an object"}.get(type(value), "a value")


def _value_problem(value: object) -> str:
    if isinstance(value, _JsonBad):
        return value.message
    if isinstance(value, str):
        return f"the string {shown(value)} is not a number"
    return f"{_json_kind(value)} is not a number"


def _row_problem(value: object, width: int) -> str:
    if not isinstance(value, list):
        return f"expected a list of {width} numbers, got {_json_kind(value)}"
    if len(value) != width:
        return f"expected {width} value{'s' if width != 1 else ''}, got {len(value)}"
    j, v = next((j, v) for j, v in enumerate(value, 1) if type(v) is not float)
    return f"value {j}: {_value_problem(v)}"


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NOT_NUMBERS = re.compile(r"[^-+0-9.eE,\[\] \t\n\r]")


class _JsonStream:
    """A JSON document read a block at a time, its values decoded one by one.

    Keeps the line and column of the buffer's start, so every message can say where.
    """

    LOOKAHEAD = 1 << 16  # decode a value only with this much text after it (or the end)

    def __init__(self, f: files.Readable, source: str, max_value: int) -> None:
        import codecs
        import json

        self.f, self.source, self.max_value = f, source, max_value
        self.decoder = _json_decoder()
        self.error_type = json.JSONDecodeError
        self.text = codecs.getincrementaldecoder("utf-8")()
        self.buf, self.pos, self.eof, self.first = "", 0, False, True
        self.line, self.col = 1, 1  # of buf[0]
        self.base = 0  # characters before buf[0]

    def fill(self) -> None:
        n = self.buf.count("\n", 0, self.pos)
        if n:
            self.line += n
            self.col = self.pos - self.buf.rfind("\n", 0, self.pos)
        else:
            self.col += self.pos
        self.base += self.pos
        block = self.f.read(files.BLOCK)
        try:
            text = self.text.decode(block, final=not block)
        except UnicodeDecodeError as e:
            line = self.line + self.buf.count("\n", self.pos) + block[: e.start].count(b"\n")
            raise InputError("not UTF-8 text", source=self.source, line=line) from None
        if self.first and text:
            self.first = False
            text = text.removeprefix("\ufeff")
        self.buf = self.buf[self.pos :] + text
        self.pos = 0
        self.eof = not block

    def where(self, pos: int) -> tuple[int, int]:
        n = self.buf.count("\n", 0, pos)
        if n:
            return self.line + n, pos - self.buf.rfind("\n", 0, pos)
        return self.line, self.col + pos

    def error(self, message: str, pos: int | tuple[int, int]) -> InputError:
        """An InputError at a position of the buffer, or at a (line, column) noted before."""
        line, col = self.where(pos) if isinstance(pos, int) else pos
        return InputError(message, source=self.source, line=line, column=col)

    def peek(self) -> str:
        """Skip white space; the next character, or "" at the end of the document."""
        while True:
            self.pos = _WHITESPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.eof:
                return ""
            self.fill()

    def value(self) -> tuple[object, int]:
        """The value after any white space, and where it starts."""
        if not self.peek():
            raise self.error("not JSON: the document ends before its list is closed", self.pos)
        window = self.LOOKAHEAD
        while True:
            if not self.eof and len(self.buf) - self.pos < window:
                self.fill()
                continue
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except self.error_type as e:
                # Near the end of the buffer the value may only be cut short: read on.
                if self.eof or e.pos < len(self.buf) - 64 and not e.msg.startswith("Unterminated"):
                    raise self.error(f"not JSON: {e.msg}", e.pos) from None
                end = None
            except RecursionError:
                raise self.error("not JSON: lists nested too deeply", self.pos) from None
            if end is not None and (end < len(self.buf) or self.eof):
                start, self.pos = self.pos, end
                return value, start
            if len(self.buf) - self.pos >= self.max_value:
                raise self.error(f"a value longer than {files.size_text(self.max_value)}; expected numbers", self.pos)
            window = 2 * (len(self.buf) - self.pos) + 1

    def bulk_rows(self, width: int) -> tuple[np.ndarray | None, int]:
        """The whole rows ahead in the buffer, decoded in one call when they are plainly
        lists of ``width`` finite numbers: (rows, 0), or (None, where the span to read row
        by row ends, counted from the document's start).

        The span ends at a ']' followed by ','. Holding only digits, signs, points,
        exponents, commas and brackets, it decodes as the very rows the row-by-row reader
        would read, with the same values (every number through float()); anything else
        (true, null, strings, nesting, NaN, a number too large) is left to that reader,
        which names the problem and its line.
        """
        import json

        if not self.eof and len(self.buf) - self.pos < self.LOOKAHEAD:
            self.fill()
            self.peek()
        start = self.pos
        k = self.buf.rfind("]", start)
        while k > start:
            j = _WHITESPACE.match(self.buf, k + 1).end()  # type: ignore[union-attr]
            if j < len(self.buf) and self.buf[j] == ",":
                break
            k = self.buf.rfind("]", start, k)
        if k <= start:
            return None, 0
        span = self.buf[start : k + 1]
        if _NOT_NUMBERS.search(span) is None:
            rows = _plain_json_rows(span.encode("ascii"), width)  # ASCII: checked just now
            if rows is not None:
                self.pos = k + 1
                return rows, 0
            try:
                rows = np.array(json.loads("[" + span + "]", parse_int=float), dtype=np.float64)
            except (ValueError, TypeError, OverflowError, RecursionError):
                pass
            else:
                if rows.ndim == 2 and rows.shape[1] == width and np.isfinite(rows).all():
                    self.pos = k + 1
                    return rows, 0
        return None, self.base + k + 1

    def expect_end(self) -> None:
        if self.peek():
            raise self.error("not JSON: more text after the list of inputs", self.pos)


def _json_chunks(f: files.Readable, width: int, source: str) -> Iterator[np.ndarray]:
    """A JSON document holding a list of number lists (or one list: one input), streamed."""
    doc = _JsonStream(f, source, _max_line(width))
    c = doc.peek()
    if not c:
        return  # empty: no inputs
    if c != "[":
        raise doc.error(f"expected a list of inputs, like [[1, 2], [3, 4]], got {_json_start(c)}", doc.pos)
    doc.pos += 1
    c = doc.peek()
    if c == "]":
        doc.pos += 1
        doc.expect_end()
        return
    if c == "[":
        yield from _json_rows(doc, width)
    else:
        yield _json_one(doc, width)
    doc.expect_end()


def _json_start(c: str) -> str:
    if c == "{":
        return "an object"
    if c == '"':
        return "a string"
    if c in "-0123456789":
        return "a number"
    return "text that is not JSON"


def _after_value(doc: _JsonStream, what: str) -> bool:
    """Past the ',' after a value (True) or the closing ']' (False)."""
    c = doc.peek()
    if c == ",":
        doc.pos += 1
        return True
    if c == "]":
        doc.pos += 1
        return False
    if not c:
        raise doc.error("not JSON: the document ends before its list is closed", doc.pos)
    raise doc.error(f"not JSON: expected ',' or ']' after {what}", doc.pos)


def _json_rows(doc: _JsonStream, width: int) -> Iterator[np.ndarray]:
    rows: list[list[float]] = []
    n = 0
    slow_until = 0  # a span where the bulk reader failed: read it row by row
    more = True
    while more:
        if doc.base + doc.pos >= slow_until:
            doc.peek()
            bulk, slow_until = doc.bulk_rows(width)
            if bulk is not None:
                if rows:
                    yield np.array(rows, dtype=np.float64)
                    rows = []
                n += len(bulk)
                yield bulk
                more = _after_value(doc, f"input {n:,}")
                continue
        row, at = doc.value()
        n += 1
        if not (type(row) is list and len(row) == width and all(type(v) is float for v in row)):
            if rows:
                yield np.array(rows, dtype=np.float64)
            raise doc.error(f"input {n:,}: {_row_problem(row, width)}", at)
        rows.append(row)
        if len(rows) == CHUNK_ROWS:
            yield np.array(rows, dtype=np.float64)
            rows = []
        more = _after_value(doc, f"input {n:,}")
    if rows:
        yield np.array(rows, dtype=np.float64)


def _json_one(doc: _JsonStream, width: int) -> np.ndarray:
    """A flat list: one input. At most width + 1 values are read."""
    values: list[float] = []
    start = doc.where(doc.pos - 1)  # the '[' (noted now: reading on moves the buffer)
    more = True
    while more:
        value, at = doc.value()
        if type(value) is not float:
            raise doc.error(f"value {len(values) + 1}: {_value_problem(value)}; expected {width} numbers", at)
        values.append(value)
        if len(values) > width:
            raise doc.error(f"the input has more than {width} values; expected {width}", start)
        more = _after_value(doc, f"value {len(values)}")
    if len(values) != width:
        raise doc.error(f"the input has {len(values)} value{'s' if len(values) != 1 else ''}; expected {width}", start)
    return np.array([values], dtype=np.float64)


# -- .npy arrays


def _npy_chunks(
    f: files.Readable, width: int, source: str, size: int | None, rows: int | None = None
) -> Iterator[np.ndarray]:
    """Rows of a .npy array, read a chunk at a time (of ``rows`` rows, where given) after
    its header was checked.

    ``size`` is the file's size (None for a stream): the header's declared size must match
    it before anything is read. Never pickle: an object array is refused by its header.
    """
    header = files.read_npy_header(f, source)
    if size is not None:
        files.check_npy_size(header, size, source)
    shape = header.shape
    if header.values == 0 and len(shape) == 1:
        return  # no inputs
    if len(shape) == 1:
        nrows, ncols = (shape[0], 1) if width == 1 else (1, shape[0])
    elif len(shape) == 2:
        nrows, ncols = shape
    else:
        nrows, ncols = -1, -1
    if ncols != width:
        raise InputError(f"has shape {shape}; expected (rows, {width})", source=source)
    if header.fortran and nrows > 1 and ncols > 1:
        # Column-major data has no row chunks: read it whole, within the budget.
        files.check_budget(header, source)
        data = files.read_npy_values(f, header, source)
        chunks = (data[s : s + CHUNK_ROWS] for s in range(0, nrows, CHUNK_ROWS))
    else:
        chunks = _npy_row_chunks(f, header, nrows, ncols, source, rows)
    done = 0
    for values in chunks:  # in the file's own dtype
        chunk = files.as_float64(values)
        # a finite sum: every value is finite (one pass); else the first bad one is found
        with np.errstate(over="ignore", invalid="ignore"):
            total = chunk.sum()
        if not np.isfinite(total):
            bad = ~np.isfinite(chunk)
            if bad.any():
                r, c = np.argwhere(bad)[0]
                if r:
                    yield chunk[:r]
                problem = files.not_finite_problem(values, (r, c))
                raise InputError(f"row {done + r + 1:,}, value {c + 1} {problem}", source=source)
        done += len(chunk)
        yield chunk
    if size is None and f.read(1):
        raise InputError(f"holds more data than its header declares ({header.describe()})", source=source)


def _npy_row_chunks(
    f: files.Readable, header: files.NpyHeader, nrows: int, ncols: int, source: str, rows: int | None = None
) -> Iterator[np.ndarray]:
    row_bytes = ncols * header.dtype.itemsize
    step = rows or max(1, min(CHUNK_ROWS, CHUNK_BYTES // max(row_bytes, 1)))
    for start in range(0, nrows, step):
        n = min(step, nrows - start)
        block = np.empty((n, ncols), dtype=header.dtype)
        got = files.read_into(f, memoryview(block.reshape(-1).view(np.uint8)))
        if got < n * row_bytes:  # (a stream: a file's size was checked against its header)
            if got // row_bytes:
                yield block[: got // row_bytes]  # the whole rows before the end come out first
            raise InputError(
                f"is truncated: its header declares {header.describe()}, but the data ends after {start + got // row_bytes:,} rows",
                source=source,
            )
        yield block


# -- choosing and opening


def sniff_format(head: bytes) -> str:
    """Guess an input format from its first bytes: npy, json, ndjson, tsv or csv."""
    if head.startswith(files.NPY_MAGIC):
        return "npy"
    text = head.decode("utf-8", "replace")
    content = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    first = content[0].strip() if content else ""
    if first.startswith("[["):
        return "json"
    if first.startswith("["):
        return "ndjson" if first.endswith("]") else "json"
    return "tsv" if "\t" in first else "csv"


_NAMES = {"csv": "a CSV file", "tsv": "a TSV file", "json": "a JSON file", "ndjson": "an NDJSON file"}

# Standard input streams already read by read_inputs: a stream can be read once. Keyed
# by the stream object, so a new stdin (as in tests) starts afresh.
_STDIN_READ: weakref.WeakSet = weakref.WeakSet()


def _open_stdin(source: str) -> files.Readable:
    raw = getattr(sys.stdin, "buffer", None) if sys.stdin is not None else None
    if raw is None:
        raise InputError("standard input is closed", source=source)
    if raw in _STDIN_READ:
        raise InputError("standard input was read already; it can be read once", source=source)
    _STDIN_READ.add(raw)
    st = files.stdin_stat()
    if st is not None:
        files.refuse_output_file(st, source)
    return files.as_blocking(raw)


def check_sources(paths: Sequence[str]) -> None:
    """Look at every input source before any is read; raise InputError for the first bad one.

    Refuses '-' given more than once (standard input can be read once), paths that are
    not regular files, and a file standard output is writing to. The CLI calls this
    before it prints anything, so a bad second file leaves stdout empty.
    """
    if list(paths).count("-") > 1:
        raise InputError("standard input is named twice; it can be read once")
    for path in paths:
        if path == "-":
            st = files.stdin_stat()
            if st is not None:
                files.refuse_output_file(st, "<stdin>")
        else:
            files.refuse_output_file(files.stat_regular(path, path), path)


def read_inputs(path: str, net: Network, fmt: str | None = None, rows: int | None = None) -> Iterator[np.ndarray]:
    """Stream the inputs of a file (or ``-``, standard input) as chunks of rows: of
    ``rows`` rows from a .npy file, where given (the chunks a caller computes, which then
    need no copying to regroup); of a size of the reader's own otherwise.

    The format comes from ``fmt``, else the file's suffix, else its first bytes. A bad row
    raises InputError naming the file and line, after the rows before it were yielded. A
    source with no inputs raises InputError before anything is yielded.
    """
    width = net.nin
    if path == "-":
        source, size = "<stdin>", None
        raw = _open_stdin(source)
    else:
        source = path
        raw, st = files.open_regular(path, source)
        size = st.st_size
    try:
        if path != "-":
            files.refuse_output_file(st, source)
        head = files.read_exact(raw, 4096)
        f = files.Prefixed(head, raw)
        named = fmt or (_SUFFIXES.get(Path(path).suffix.lower()) if path != "-" else None)
        fmt = named or sniff_format(head)
        what = files.container(head)
        if what and fmt != "npy":
            if named:
                raise InputError(f"not {_NAMES[fmt]} (it is {what})", source=source)
            raise InputError(f"is {what}; expected inputs as CSV, TSV, JSON, NDJSON or .npy", source=source)
        if fmt == "npy":
            chunks = _npy_chunks(f, width, source, size, rows)
        elif fmt == "json":
            chunks = _json_chunks(f, width, source)
        elif fmt == "ndjson":
            chunks = _ndjson_chunks(f, width, source)
        else:
            chunks = _text_chunks(f, _DELIMITERS[fmt], width, source)
        n = 0
        for rows in chunks:
            n += len(rows)
            yield rows
        if n == 0:
            raise InputError(f"has no inputs; expected rows of {width} number{'s' if width != 1 else ''}", source=source)
    finally:
        if path != "-":
            raw.close()


def read_matrix(path: Path, source: str) -> np.ndarray:
    """A whole delimited text file (CSV, or TSV by suffix) as one 2-D array of numbers.

    Its first row sets the width; there is no header. Read in chunks, within
    files.MAX_ARRAY_BYTES.
    """
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    parts: list[np.ndarray] = []
    width = None
    total = 0
    f, _ = files.open_regular(path, source)
    with f:
        head = files.read_exact(f, 4096)
        what = files.container(head)
        if what:
            raise InputError(f"not a {'TSV' if delimiter == chr(9) else 'CSV'} file (it is {what})", source=source)
        for first_line, lines, ascii in files.text_lines(files.Prefixed(head, f), source, MAX_MATRIX_LINE):
            if width is None:
                first = next((v for v in (_row_values(line, delimiter) for line in lines) if v is not None), None)
                if first is None:
                    continue
                width = len(first)
            for start in range(0, len(lines), CHUNK_ROWS):
                rows, error = _parse_chunk(
                    lines[start : start + CHUNK_ROWS], delimiter, width, source, first_line + start, ascii
                )
                parts.append(rows)
                total += rows.nbytes
                if total > files.MAX_ARRAY_BYTES:
                    raise InputError(
                        f"is too large: nncalc reads arrays up to {files.size_text(files.MAX_ARRAY_BYTES)}",
                        source=source,
                    )
                if error is not None:
                    raise error
    if width is None:
        raise InputError("holds no numbers", source=source)
    return np.concatenate(parts)
