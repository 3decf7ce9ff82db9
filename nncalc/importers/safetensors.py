"""safetensors files, read with NumPy alone.

The format: 8 bytes giving the header's length N (little-endian), N bytes of JSON
(``{"0.weight": {"dtype": "F32", "shape": [3, 2], "data_offsets": [0, 24]}, ...}``, and
an optional ``"__metadata__"`` of text), then the tensors' bytes. Every field is checked
against the file's size before a byte of data is read; the data is memory-mapped, so
opening reads only the tensors asked for.

The tensors of an ``nn.Sequential`` state dict (``0.weight``, ``0.bias``, ``2.weight``, …)
become layers in the numeric order of their prefixes (see :mod:`nncalc.importers.statedict`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nncalc.errors import InputError, SpecError
from nncalc.importers import Model, check_file, plural, printable
from nncalc.network import handover

MAX_HEADER = 100 * 1024 * 1024  # the safetensors library's own limit

# dtype -> bytes per value; the float ones map to NumPy below.
ITEMSIZE = {
    "F64": 8, "F32": 4, "F16": 2, "BF16": 2,
    "I64": 8, "I32": 4, "I16": 2, "I8": 1,
    "U64": 8, "U32": 4, "U16": 2, "U8": 1,
    "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1, "C64": 8,
}
FLOATS = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2"}


class Entry:
    """One tensor of the header: where its bytes are, checked against the file."""

    __slots__ = ("key", "dtype", "shape", "start", "end")

    def __init__(self, key: str, dtype: str, shape: tuple[int, ...], start: int, end: int) -> None:
        self.key, self.dtype, self.shape, self.start, self.end = key, dtype, shape, start, end


def read_header(path: Path, source: str, size: int | None = None) -> tuple[dict[str, Entry], int, dict[str, str]]:
    """The tensors of a safetensors file, the offset their data starts at, and the
    metadata. Raises SpecError for any header that does not fit the file."""
    if size is None:
        size = check_file(path, source)

    def bad(message: str) -> SpecError:
        return SpecError(f"not a valid safetensors file: {message}", source=source)

    if size < 8:
        raise bad(f"it has {plural(size, 'byte')}, fewer than the 8 that give the header's length")
    try:
        with path.open("rb") as f:
            n = int.from_bytes(f.read(8), "little")
            if n > size - 8:
                raise bad(f"the header is {n:,} bytes long, but the file has only {size - 8:,} bytes after its length")
            if n > MAX_HEADER:
                raise bad(f"the header is {n:,} bytes long; at most {MAX_HEADER:,} are allowed")
            raw = f.read(n)
    except OSError as e:
        raise SpecError(f"cannot read the file: {e.strerror or e}", source=source) from None
    if len(raw) != n:
        raise bad("the file ended while its header was read")
    try:
        header = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise bad(f"the header is not UTF-8 text (byte {e.start + 9})") from None
    except json.JSONDecodeError as e:
        raise bad(f"the header is not valid JSON ({e.msg} at byte {e.pos + 9})") from None
    except RecursionError:
        raise bad("the header's JSON nests too deeply") from None
    if not isinstance(header, dict):
        raise bad("the header must be a JSON object of tensors")
    data_start = 8 + n
    data_size = size - data_start
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise bad("'__metadata__' must map names to text")
    entries: dict[str, Entry] = {}
    for key, info in header.items():
        name = printable(key)
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise bad(f"tensor '{name}' must have exactly 'dtype', 'shape' and 'data_offsets'")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if not isinstance(dtype, str) or dtype not in ITEMSIZE:
            raise bad(f"tensor '{name}' has the unknown dtype {printable(str(dtype))!r}")
        if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
            raise bad(f"tensor '{name}' has the shape {printable(str(shape))}; expected a list of sizes")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(type(o) is int and o >= 0 for o in offsets)
        ):
            raise bad(f"tensor '{name}' has the data_offsets {printable(str(offsets))}; expected [begin, end]")
        start, end = offsets
        if start > end or end > data_size:
            raise bad(
                f"tensor '{name}' has data_offsets [{start}, {end}], outside the "
                f"{data_size:,} bytes of data the file holds"
            )
        count = 1
        for d in shape:
            count *= d
        if count * ITEMSIZE[dtype] != end - start:
            raise bad(
                f"tensor '{name}' of shape {tuple(shape)} and dtype {dtype} needs "
                f"{count * ITEMSIZE[dtype]:,} bytes, but its data_offsets span {end - start:,}"
            )
        entries[key] = Entry(key, dtype, tuple(shape), start, end)
    ordered = sorted((e for e in entries.values() if e.end > e.start), key=lambda e: e.start)
    for a, b in zip(ordered, ordered[1:]):
        if b.start < a.end:
            raise bad(
                f"tensors '{printable(a.key)}' (bytes {a.start}-{a.end}) and "
                f"'{printable(b.key)}' (bytes {b.start}-{b.end}) overlap"
            )
    return entries, data_start, metadata


def _to_float64(data: np.ndarray | None, entry: Entry) -> np.ndarray:
    """The tensor's values as float64, exactly (every float dtype here widens exactly).

    ``data`` is the file's data section, memory-mapped. A float64 tensor comes back as a
    read-only view of the map (the network copies what it keeps), the others converted.
    """
    count = 1
    for d in entry.shape:
        count *= d
    if count == 0 or data is None:
        return np.zeros(entry.shape)
    raw = data[entry.start : entry.end].view(FLOATS[entry.dtype]).reshape(entry.shape)
    if entry.dtype == "F64":
        return raw
    # A signalling NaN warns as it widens; the network refuses it with its place.
    with np.errstate(invalid="ignore"):
        if entry.dtype == "BF16":  # the top half of a float32
            return handover((raw.astype(np.uint32) << 16).view(np.float32).astype(np.float64))
        return handover(raw.astype(np.float64))


class Reader:
    """An open safetensors file: its checked header and its data, memory-mapped."""

    def __init__(self, path: Path, source: str, size: int | None = None) -> None:
        self.path, self.source = path, source
        self.entries, self.data_start, self.metadata = read_header(path, source, size)
        self.data: np.ndarray | None = None
        if any(e.end > e.start for e in self.entries.values()):
            try:
                # The map closes when the last array viewing it is gone.
                self.data = np.memmap(path, dtype=np.uint8, mode="r", offset=self.data_start)
            except (OSError, ValueError) as e:
                raise SpecError(f"cannot map the file: {e}", source=source) from None

    def array(self, key: str) -> np.ndarray:
        entry = self.entries[key]
        if entry.dtype not in FLOATS:
            raise SpecError(
                f"tensor '{printable(key)}' holds {entry.dtype} values; nncalc reads "
                "weights stored as F64, F32, F16 or BF16",
                source=self.source,
            )
        return _to_float64(self.data, entry)


def read(path: Path, source: str, *, size: int, allow_outside: bool = False) -> Model:
    """The layers of an ``nn.Sequential`` state dict saved as safetensors."""
    from nncalc.importers.statedict import layers_from_state_dict

    r = Reader(path, source, size)
    shapes = {key: (e.shape, e.dtype) for key, e in r.entries.items()}
    return Model(layers_from_state_dict(shapes, r.array, source, path.name), None)


def read_tensor(path: str | Path, key: str | None = None) -> np.ndarray:
    """One tensor of a safetensors file, as float64: what a spec's
    ``weights: {file: model.safetensors, key: 0.weight}`` reads. Without ``key``, the
    file's only tensor.

    Raises :class:`InputError` naming the file and what is wrong with it.
    """
    p = Path(path)
    source = str(path)
    try:
        r = Reader(p, source)
        if key is None and len(r.entries) == 1:
            key = next(iter(r.entries))
        if key is None or key not in r.entries:
            keys = ", ".join(printable(k) for k in list(r.entries)[:20])
            more = f" and {len(r.entries) - 20} more" if len(r.entries) > 20 else ""
            problem = f"has no tensor '{printable(key)}'" if key is not None else "holds several tensors; pick one with 'key'"
            raise InputError(f"{problem}; its tensors: {keys or 'none'}{more}", source=source)
        return np.array(r.array(key))  # a copy of its own, not a view of the map
    except SpecError as e:
        raise InputError(e.message, source=source) from None
    except OSError as e:
        raise InputError(f"cannot read the file: {e.strerror or e}", source=source) from None
