"""Opening the files nncalc reads, and looking at them before reading them.

A path must name a regular file: a FIFO blocks, a device such as /dev/zero never ends,
a directory is not data. Containers declare their sizes (a .npy header, a zip directory);
those are checked against the real size of the file and against a budget before a byte of
data is read. Everything wrong with a file is an :class:`InputError` naming it.

>>> import io
>>> describe(b"PK\\x03\\x04...")
'a zip archive: .npz?'
>>> h = read_npy_header(io.BytesIO(npy_bytes(np.zeros((3, 2)))), "x.npy")
>>> h.shape, h.dtype.name, h.nbytes
((3, 2), 'float64', 48)
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO, Iterator, NamedTuple, Protocol

import numpy as np

from nncalc.errors import InputError, did_you_mean

# The largest array read whole (a weight matrix), counted as the float64 array it becomes.
MAX_ARRAY_BYTES = 2_000_000_000
# NumPy's own limit on a .npy header (numpy.lib.format): a header is a short dict literal.
MAX_NPY_HEADER = 10_000
# Text is read in blocks of this many bytes, split into whole lines.
BLOCK = 1 << 20

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # an archive with members / an empty archive
WEIGHT_SUFFIXES = (".npy", ".npz", ".csv", ".tsv", ".tab", ".txt")


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


def shown(text: str, limit: int = 40) -> str:
    """``text`` quoted for a message: control characters made visible, long text cut.

    >>> shown("a\\x1b[2J"), shown("1" * 400)
    ("'a\\\\x1b[2J'", "'111111111111111111111111111111…' (400 characters)")
    """
    cut = len(text) > limit
    body = text[: limit - 10] if cut else text
    body = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in body)
    return f"'{body}…' ({len(text):,} characters)" if cut else f"'{body}'"


def size_text(n: int) -> str:
    """Bytes as people say them: ``16.0 TB``, ``512 bytes``."""
    if n < 1000:
        return f"{n} byte{'s' if n != 1 else ''}"
    for unit in ("kB", "MB", "GB", "TB", "PB", "EB"):
        n /= 1000
        if n < 1000:
            break
    return f"{n:.1f} {unit}"


def container(head: bytes) -> str | None:
    """What a file is when its first bytes say it plainly is not text (magic numbers, NUL
    bytes), in words for a message ("it is ..."); None for anything that may be text."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    return "binary data" if b"\0" in head else None


_MAGIC = (
    (NPY_MAGIC, "a .npy file"),
    (ZIP_MAGIC[0], "a zip archive: .npz?"),
    (ZIP_MAGIC[1], "a zip archive: .npz?"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x89HDF", "an HDF5 file"),
    (codecs.BOM_UTF16_LE, "UTF-16 text"),
    (codecs.BOM_UTF16_BE, "UTF-16 text"),
    (b"\x80", "a Python pickle"),
)


def describe(head: bytes) -> str:
    """What a file is, from its first bytes, in words for a message ("it is ...")."""
    if not head:
        return "empty"
    what = container(head)
    if what:
        return what
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head)  # a cut last character is fine
    except UnicodeDecodeError:
        return "binary data"
    return "text" if all(c.isprintable() or c in "\t\n\r\f\ufeff" for c in text) else "binary data"


# ------------------------------------------------------------------ opening a path


def _os_problem(e: OSError) -> str:
    known = {
        errno.ENOENT: "no such file",
        errno.ENOTDIR: "no such file (a part of the path is not a folder)",
        errno.ELOOP: "is a symbolic link loop (too many levels of symbolic links)",
        errno.ENAMETOOLONG: "the file name is too long",
        errno.EACCES: "cannot read it: permission denied",
    }
    return known.get(e.errno, f"cannot read it: {e.strerror or e}")


def _kind_problem(mode: int) -> str | None:
    """Why a file of this mode is not read, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file; to read a pipe, give it on standard input"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def stat_regular(path: str | os.PathLike[str], source: str) -> os.stat_result:
    """The stat of a path that names a regular file, or InputError saying what it is.

    Looks only: nothing is opened, so a FIFO cannot block and a device cannot be read.
    """
    if "\0" in os.fspath(path):
        raise InputError("the file name contains a NUL character", source=shown(source)[1:-1])
    try:
        st = os.stat(path)
    except OSError as e:
        raise InputError(_os_problem(e), source=source) from None
    problem = _kind_problem(st.st_mode)
    if problem:
        raise InputError(problem, source=source)
    return st


def open_regular(path: str | os.PathLike[str], source: str) -> tuple[BinaryIO, os.stat_result]:
    """Open a regular file for reading bytes; refuse anything else before opening it.

    Opening is non-blocking and the kind is checked again on the open descriptor, so a
    path swapped for a FIFO between the two looks cannot block either.
    """
    stat_regular(path, source)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise InputError(_os_problem(e), source=source) from None
    try:
        st = os.fstat(fd)
        problem = _kind_problem(st.st_mode)
        if problem:
            raise InputError(problem, source=source)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb"), st


def _stdout_stat() -> os.stat_result | None:
    """The stat of the file standard output writes to, when it is a regular file."""
    try:
        st = os.fstat(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # no stdout, or not a real file (tests)
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def refuse_output_file(st: os.stat_result, source: str) -> None:
    """Refuse to read the file standard output is writing to, as ``cat`` does.

    ``nncalc forward net.yaml --inputs out.csv --csv >> out.csv`` would read its own output
    for ever.
    """
    out = _stdout_stat()
    if out is not None and stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) == (out.st_dev, out.st_ino):
        raise InputError("input file is output file: standard output writes to this file", source=source)


def stdin_stat() -> os.stat_result | None:
    try:
        return os.fstat(sys.stdin.fileno())
    except (AttributeError, OSError, ValueError):
        return None


# ------------------------------------------------------------------------ reading


# The most read_exact asks a stream for at once: a read of n bytes first takes memory
# for all n, and n may be a limit (512 MiB for a spec) or a size a header only claims.
READ_PIECE = 16 << 20


def read_exact(f: Readable, n: int) -> bytes:
    """``n`` bytes, or fewer only at the end of the file; the memory taken grows with
    what is read, not with ``n``."""
    data = f.read(min(n, READ_PIECE))
    if len(data) == n or not data:
        return data
    parts = [data]
    got = len(data)
    while got < n:
        more = f.read(min(n - got, READ_PIECE))
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def read_into(f: Readable, buffer: memoryview) -> int:
    """Fill ``buffer`` from ``f``; the bytes read (fewer only at the end of the file).

    Where ``f`` reads into a buffer itself (a file), the bytes go straight into
    ``buffer`` (an array's memory): no bytes object is made and copied again."""
    readinto = getattr(f, "readinto", None)
    got = 0
    while got < len(buffer):
        if readinto is not None:
            n = readinto(buffer[got:])
        else:
            data = f.read(len(buffer) - got)
            n = len(data)
            buffer[got : got + n] = data
        if not n:
            break
        got += n
    return got


def as_blocking(raw: BinaryIO) -> Readable:
    """``raw`` (standard input), read as a blocking stream even where it is not."""
    try:
        blocking = os.get_blocking(raw.fileno())
    except (AttributeError, OSError, ValueError):  # a stream in memory
        blocking = True
    return raw if blocking else Waiting(raw)


class Waiting:
    """A non-blocking byte stream (standard input left so by the program before) read as
    a blocking one: where nothing is there yet, a read waits for it rather than return
    None, and ``read()`` reads to the end."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f

    def _wait(self) -> None:
        import select

        select.select([self.f], [], [])

    def read(self, n: int = -1, /) -> bytes:
        if n < 0:
            parts = []
            while data := self.read(1 << 20):
                parts.append(data)
            return b"".join(parts)
        while (data := self.f.read(n)) is None:
            self._wait()
        return data

    def readinto(self, buffer: memoryview, /) -> int:
        while (n := self.f.readinto(buffer)) is None:
            self._wait()
        return n


class Prefixed:
    """A byte stream with bytes already read from it put back in front."""

    def __init__(self, head: bytes, f: Readable) -> None:
        self.head, self.f = head, f

    def read(self, n: int = -1, /) -> bytes:
        if not self.head:
            return self.f.read(n)
        if n < 0:
            data, self.head = self.head + self.f.read(), b""
            return data
        data, self.head = self.head[:n], self.head[n:]
        return data + self.f.read(n - len(data)) if len(data) < n else data

    def readinto(self, buffer: memoryview, /) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        return read_into(self.f, buffer)


def _cut(data: bytes, eof: bool) -> int:
    """Where the last whole line of ``data`` ends (0: none yet)."""
    if eof:
        return len(data)
    i = data.rfind(b"\n")
    if i >= 0:
        return i + 1
    # Old Mac line ends: a final \r may be the first half of a \r\n, so cut before it.
    return data.rfind(b"\r", 0, len(data) - 1) + 1


def _newlines(data: bytes) -> int:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n")


def text_blocks(f: Readable, source: str, max_line: int) -> Iterator[tuple[int, bytes]]:
    """The bytes of a text file a block of whole lines at a time: ``(first line's number,
    bytes)``, not decoded (:func:`text_lines` decodes them); see :class:`TextBlocks`."""
    return iter(TextBlocks(f, source, max_line))


class TextBlocks:
    """The bytes of a text file a block of whole lines at a time: iterate for ``(first
    line's number, bytes)``, not decoded (:func:`text_lines` decodes them).

    Line ends \\r\\n and \\r become \\n (each byte of a UTF-8 character is 0x80 or more,
    so this is safe before decoding); a UTF-8 byte-order mark is dropped, UTF-16 refused.
    Memory is bounded: a line longer than ``max_line`` bytes is an error, not a reason to
    read on. A reader that counted the lines of the block it was just given says so with
    :meth:`counted`, which spares counting them again.
    """

    def __init__(self, f: Readable, source: str, max_line: int) -> None:
        self.f, self.source, self.max_line = f, source, max_line
        self._lines: int | None = None

    def counted(self, lines: int) -> None:
        """The number of lines of the block just handed out (the last one, without a
        line end, counted too)."""
        self._lines = lines

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        f, source, max_line = self.f, self.source, self.max_line
        line_no = 1
        tail = b""
        first = True
        while True:
            block = f.read(BLOCK)
            eof = not block
            data = tail + block if tail else block
            if not data:
                return
            cut = _cut(data, eof)
            if len(data) - cut > max_line:
                at = line_no + _newlines(data[:cut])
                raise InputError(
                    f"line {at:,} is longer than {size_text(max_line)}; expected lines of numbers",
                    source=source,
                    line=at,
                )
            if cut == 0:
                tail = data
                continue
            part, tail = data[:cut], data[cut:]
            if first:
                first = False
                if part.startswith(codecs.BOM_UTF8):
                    part = part[len(codecs.BOM_UTF8) :]
                elif part.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    raise InputError("is UTF-16 text; expected UTF-8 (save it as UTF-8)", source=source, line=1)
            if b"\r" in part:
                part = part.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            self._lines = None
            yield line_no, part
            lines = self._lines
            line_no += part.count(b"\n") + (not part.endswith(b"\n")) if lines is None else lines
            if eof:
                return


def decode_lines(part: bytes, source: str, line_no: int) -> tuple[list[str], bool]:
    """The lines of a block of :func:`text_blocks`, and whether it is ASCII; InputError
    naming the line of a byte that is not UTF-8."""
    ascii = part.isascii()
    try:
        text = part.decode("ascii" if ascii else "utf-8")
    except UnicodeDecodeError as e:
        at = line_no + part.count(b"\n", 0, e.start)
        raise InputError(f"not UTF-8 text (byte 0x{part[e.start]:02x})", source=source, line=at) from None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the part ends with a line end
    return lines, ascii


def text_lines(f: Readable, source: str, max_line: int) -> Iterator[tuple[int, list[str], bool]]:
    """The lines of UTF-8 text, a block at a time: ``(first line's number, lines, ASCII?)``.

    Line ends are \\n, \\r\\n or \\r; a UTF-8 byte-order mark is dropped. Memory is bounded:
    a line longer than ``max_line`` bytes is an error, not a reason to read on.
    """
    for line_no, part in text_blocks(f, source, max_line):
        lines, ascii = decode_lines(part, source, line_no)
        yield line_no, lines, ascii


# ------------------------------------------------------------------------ .npy


class NpyHeader(NamedTuple):
    """What a .npy header declares: the array's shape, order and dtype, and where data starts."""

    shape: tuple[int, ...]
    fortran: bool
    dtype: np.dtype
    offset: int

    @property
    def values(self) -> int:
        """How many values the array declares."""
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        return self.values * self.dtype.itemsize

    def describe(self) -> str:
        return f"shape {self.shape} of {self.dtype.name} ({size_text(self.nbytes)})"


def npy_bytes(a: np.ndarray) -> bytes:
    """``a`` written as a .npy file (for tests and examples)."""
    import io

    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def read_npy_header(f: Readable, source: str, not_npy: str = "not a .npy file") -> NpyHeader:
    """Parse a .npy header from a stream, reading only the header.

    The header is a short Python dict literal, read with ``ast.literal_eval`` (never
    pickle), at most MAX_NPY_HEADER characters. Object, structured and non-numeric dtypes
    are refused here, before any data is read.
    """
    import ast

    magic = read_exact(f, 8)
    if not magic.startswith(NPY_MAGIC):
        head = magic + read_exact(f, 56)
        raise InputError(f"{not_npy} (it is {describe(head)})", source=source)
    if len(magic) < 8:
        raise InputError("is truncated inside its .npy header", source=source)
    version = (magic[6], magic[7])
    if version not in ((1, 0), (2, 0), (3, 0)):
        raise InputError(f"uses .npy format version {version[0]}.{version[1]}, which nncalc does not read", source=source)
    size_len = 2 if version == (1, 0) else 4
    raw = read_exact(f, size_len)
    if len(raw) < size_len:
        raise InputError("is truncated inside its .npy header", source=source)
    length = int.from_bytes(raw, "little")
    if length > MAX_NPY_HEADER:
        raise InputError(f"has a .npy header of {length:,} bytes; a valid header is a few hundred", source=source)
    text = read_exact(f, length)
    if len(text) < length:
        raise InputError("is truncated inside its .npy header", source=source)
    try:
        d = ast.literal_eval(text.decode("utf-8" if version == (3, 0) else "latin-1"))
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError, UnicodeDecodeError):
        raise InputError("has a .npy header that is not valid", source=source) from None
    if not (isinstance(d, dict) and set(d) == {"descr", "fortran_order", "shape"}):
        raise InputError("has a .npy header that is not valid (expected the keys descr, fortran_order, shape)", source=source)
    shape, fortran, descr = d["shape"], d["fortran_order"], d["descr"]
    if not (isinstance(shape, tuple) and all(type(n) is int and n >= 0 for n in shape)):
        raise InputError(f"has a .npy header with an invalid shape {shown(repr(shape))}", source=source)
    if not isinstance(fortran, bool):
        raise InputError("has a .npy header that is not valid (fortran_order)", source=source)
    if not isinstance(descr, str):
        raise InputError("holds structured records; expected an array of plain numbers", source=source)
    try:
        dtype = np.dtype(descr)
    except (TypeError, ValueError):
        raise InputError(f"has a .npy header with an unknown dtype {shown(descr)}", source=source) from None
    if dtype.hasobject:
        raise InputError("holds Python objects, which nncalc refuses to load (reading them would run pickle)", source=source)
    if dtype.kind not in "fiu" or dtype.fields is not None or dtype.subdtype is not None:
        raise InputError(f"holds {dtype.name} values; expected real numbers", source=source)
    return NpyHeader(shape, fortran, dtype, 8 + size_len + length)


def check_npy_size(header: NpyHeader, real: int, source: str) -> None:
    """Compare the data a header declares with the bytes the file holds."""
    held = real - header.offset
    if held < header.nbytes:
        raise InputError(
            f"is truncated: its header declares {header.describe()}, but the file holds "
            f"{size_text(max(held, 0))} of data",
            source=source,
        )
    if held > header.nbytes:
        raise InputError(
            f"holds {size_text(held - header.nbytes)} more than its header declares "
            f"({header.describe()}); was more than one array saved into it?",
            source=source,
        )


def check_budget(header: NpyHeader, source: str) -> None:
    need = header.values * 8  # as float64
    if need > MAX_ARRAY_BYTES:
        raise InputError(
            f"is too large: {header.describe()}, {size_text(need)} as float64; "
            f"nncalc reads arrays up to {size_text(MAX_ARRAY_BYTES)}",
            source=source,
        )


def read_npy_data(f: Readable, header: NpyHeader, source: str) -> np.ndarray:
    """The whole array a header declares, as float64 (the caller checked the budget)."""
    return as_float64(read_npy_values(f, header, source))


def read_npy_values(f: Readable, header: NpyHeader, source: str) -> np.ndarray:
    """The whole array a header declares, in its own dtype (the caller checked the budget)."""
    data = read_exact(f, header.nbytes)
    if len(data) < header.nbytes:
        raise InputError(
            f"is truncated: its header declares {header.describe()}, but the data ends after "
            f"{size_text(len(data))}",
            source=source,
        )
    flat = np.frombuffer(data, dtype=header.dtype, count=header.values)
    return flat.reshape(header.shape, order="F" if header.fortran else "C")


def as_float64(values: np.ndarray) -> np.ndarray:
    """``values`` as float64, without NumPy's warnings for a cast that gives NaN or an
    infinity (a signalling NaN, a long double beyond float64): the caller's finite check
    finds those and says which (:func:`not_finite_problem`)."""
    with np.errstate(all="ignore"):
        return values.astype(np.float64, copy=False)


def not_finite_problem(original: np.ndarray, index: tuple[int, ...]) -> str:
    """Why the float64 value at ``index`` of ``original`` (values of any real dtype) is
    not finite: ``is too large for float64`` where it was finite as written, else ``is
    not a finite number``."""
    value = original[index]
    with np.errstate(all="ignore"):
        finite = bool(np.isfinite(value))
    return "is too large for float64" if finite else "is not a finite number"


# ------------------------------------------------------------------------ weights


def load_array(path: Path, key: str | None, name: str) -> np.ndarray:
    """The array of a weight file (.npy, .npz member, CSV/TSV text) as finite float64.

    ``name`` is the file as the user wrote it; messages name it (``m.npz[fc1.weight]``
    for a member). Every problem is an InputError: the kind of file, a container that is
    not what its name says, sizes against the file and MAX_ARRAY_BYTES, objects, empty
    or non-finite arrays.
    """
    suffix = path.suffix.lower()
    if suffix not in WEIGHT_SUFFIXES:
        raise InputError("weight files must be .npy, .npz, .csv or .tsv", source=name)
    if key is not None and suffix != ".npz":
        raise InputError(f"'key' picks an array of an .npz file, and {name} is not one", source=name)
    label = name
    try:
        stat_regular(path, name)
    except InputError as e:
        if e.message == "no such file" and str(path) != name:
            raise InputError(f"no such file (looked for {path})", source=name) from None
        raise
    if suffix in (".csv", ".tsv", ".tab", ".txt"):
        from nncalc.inputs import read_matrix

        arr = read_matrix(path, name)
    else:
        f, st = open_regular(path, name)
        with f:
            if suffix == ".npy":
                header = read_npy_header(f, name)
                check_npy_size(header, st.st_size, name)
                check_budget(header, name)
                arr = read_npy_data(f, header, name)
            else:
                arr, label = _npz_member(f, key, name)
    if arr.size == 0:
        raise InputError(f"is empty (shape {arr.shape}); expected at least one number", source=label)
    bad = ~np.isfinite(arr)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"has a value that is not finite at index {index}", source=label)
    return arr


def _npz_member(f: BinaryIO, key: str | None, name: str) -> tuple[np.ndarray, str]:
    """One array of an .npz archive, its declared sizes checked before it is decompressed."""
    import zipfile
    import zlib

    head = read_exact(f, 8)
    if not head.startswith(ZIP_MAGIC):
        what = describe(head + read_exact(f, 56))
        hint = ": name it .npy" if what == "a .npy file" else ""
        raise InputError(f"not a .npz file (it is {what}{hint})", source=name)
    f.seek(0)
    label = name
    try:
        with zipfile.ZipFile(f) as zf:
            infos = {i.filename[:-4] if i.filename.endswith(".npy") else i.filename: i for i in zf.infolist()}
            if not infos:
                raise InputError("the archive is empty; expected arrays saved with numpy.savez", source=name)
            arrays = ", ".join(infos)
            if key is None:
                if len(infos) > 1:
                    raise InputError(f"holds several arrays; pick one with 'key'; its arrays: {arrays}", source=name)
                key = next(iter(infos))
            elif key not in infos:
                hint = did_you_mean(key, infos)
                raise InputError(f"has no array '{key}'; {hint}its arrays: {arrays}", source=name)
            label = f"{name}[{key}]"
            info = infos[key]
            if info.flag_bits & 0x1:
                raise InputError("is encrypted", source=label)
            if info.file_size > MAX_ARRAY_BYTES + MAX_NPY_HEADER + 16:
                raise InputError(
                    f"is too large: it decompresses to {size_text(info.file_size)}; nncalc reads "
                    f"arrays up to {size_text(MAX_ARRAY_BYTES)}",
                    source=label,
                )
            with zf.open(info) as member:
                header = read_npy_header(member, label, not_npy="is not an array")
                if header.offset + header.nbytes != info.file_size:
                    raise InputError(
                        f"is damaged: its header declares {header.describe()}, but the archive "
                        f"says the member holds {size_text(info.file_size)}",
                        source=label,
                    )
                check_budget(header, label)
                arr = read_npy_data(member, header, label)
                member.read(1)  # reach the end, where zipfile checks the CRC
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise InputError(f"is a damaged zip archive: {e}", source=label) from None
    except NotImplementedError as e:  # a compression method zipfile does not have
        raise InputError(f"cannot be read: {e}", source=label) from None
    except RuntimeError as e:  # zipfile's "File is encrypted" and similar
        raise InputError(f"cannot be read: {e}", source=label) from None
    except OSError as e:
        raise InputError(f"cannot be read: {e.strerror or e}", source=label) from None
    return arr, label
