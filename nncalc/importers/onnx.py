"""ONNX models, read as protobuf with the ``onnx`` package; nothing in them is executed.

The dense feed-forward graphs that exporters write (PyTorch's TorchScript-based and
dynamo exporters, skl2onnx, tf2onnx) are walked back from the output: each ``Gemm``, or
``MatMul`` with the ``Add`` of its bias, is one nncalc layer named after its node, and the
nodes between it and the next layer must compute one of nncalc's activations, either as
one op (``Relu``, ``Gelu``, ``Softplus``, ...) or in a form exporters decompose it into
(``x * Sigmoid(x)`` for SiLU, the ``Div``/``Erf``/``Add``/``Mul`` chain of GELU, the
``Softplus``/``Greater``/``Where`` of PyTorch's softplus threshold, ...). ``Identity``,
``Dropout``, ``Cast`` to float and ``Flatten``/``Reshape`` to 2-D pass values through.

Constants are kept as the file stores them: a float32 attribute or initializer becomes
its exact float64 value, which is what ONNX Runtime computes with. Anything else (a
convolution, a branch, a residual add, a second input) is one error naming the node.
"""

from __future__ import annotations

import itertools
import math
import mmap
from pathlib import Path
from typing import Any

import numpy as np

from nncalc.errors import SpecError
from nncalc.importers import Model, check_file, plural, printable
from nncalc.network import handover

# ONNX's Softplus, like Keras', is ln(1 + e^z) with no threshold. Past beta·z = 40,
# ln(1 + e^(βz))/β rounds to z in float64 (the rest is below 1e-17 of it), so nncalc's
# softplus with this threshold is that function, exactly as float64 can hold it.
NO_THRESHOLD = 40.0

MAX_PROTOBUF = 2 * 1024**3  # protobuf's own limit; larger models keep weights outside
MAX_REGION = 512  # expression nodes between two layers (a real activation needs < 30)
MAX_DEPTH = 64

# TensorProto.DataType codes
FLOAT, UINT8, INT8, UINT16, INT16, INT32, INT64, BOOL, FLOAT16, DOUBLE, UINT32, UINT64, BFLOAT16 = (
    1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 16,
)
FLOAT_STORAGE = {FLOAT: "<f4", FLOAT16: "<f2", DOUBLE: "<f8", BFLOAT16: "<u2"}
INT_STORAGE = {INT64: "<i8", INT32: "<i4", INT16: "<i2", INT8: "i1", UINT8: "u1", UINT16: "<u2", UINT32: "<u4", UINT64: "<u8", BOOL: "u1"}
TYPE_NAMES = {
    0: "undefined", 1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32",
    7: "int64", 8: "string", 9: "bool", 10: "float16", 11: "float64", 12: "uint32",
    13: "uint64", 14: "complex64", 15: "complex128", 16: "bfloat16",
}

PASS_THROUGH = ("Identity", "Dropout", "Cast", "Flatten", "Reshape")
ACTIVATION_OPS = (
    "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Elu", "Selu", "Gelu",
    "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Mish", "Clip",
)
# Elementwise ops that appear in the decomposed forms of activations.
PIECES = ("Add", "Sub", "Mul", "Div", "Pow", "Erf", "Abs", "Neg", "Exp", "Log", "Sqrt", "Greater", "Less", "Where", "Max", "Min")
SUPPORTED = (
    "Gemm, MatMul + Add, Flatten/Reshape to 2-D at the input, Identity, Dropout, Cast to float, "
    "and the activations Relu, LeakyRelu, Sigmoid, Tanh, Softmax, LogSoftmax, Elu, Selu, Gelu, "
    "HardSigmoid, HardSwish, Softplus, Softsign, Mish, Clip (as single ops or as exporters decompose them)"
)

_SQRT2 = math.sqrt(2.0)
_GELU_TANH_K = math.sqrt(2.0 / math.pi)
_FLT_MAX = float(np.finfo(np.float32).max)


class _E:
    """A node of the expression between two layers: ``x`` (the layer's z), a scalar
    constant, or an op applied to expressions."""

    __slots__ = ("op", "args", "node", "value", "dtype", "cols")

    def __init__(self, op: str, args: list["_E"] | None = None, node: Any = None, value: float = 0.0, dtype: int = DOUBLE, cols: bool = False) -> None:
        self.op, self.args, self.node, self.value, self.dtype, self.cols = op, args or [], node, value, dtype, cols


def read(path: Path, source: str, *, size: int, allow_outside: bool = False) -> Model:
    try:
        import onnx
        from google.protobuf.message import DecodeError
    except ImportError:
        raise SpecError("opening .onnx files needs the onnx package: pip install 'nncalc[onnx]'", source=source) from None
    if size > MAX_PROTOBUF:
        raise SpecError(
            f"the file has {size:,} bytes, more than protobuf reads ({MAX_PROTOBUF:,}); "
            "save large models with their weights as external data",
            source=source,
        )
    model = onnx.ModelProto()
    raw: list[tuple[int, int]] = []
    buf: Any = None
    try:
        with path.open("rb") as f:
            buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        try:
            skeleton, raw = _without_raw_data(buf)
        except _Damaged:
            skeleton, raw = bytes(buf), []  # protobuf's own parser gives the verdict
        model.ParseFromString(skeleton)
    except OSError as e:
        raise SpecError(f"cannot read the file: {e.strerror or e}", source=source) from None
    except (DecodeError, RecursionError, ValueError):
        raise SpecError("not a valid ONNX file: its protobuf is truncated or damaged", source=source) from None
    if not model.HasField("graph") or not model.graph.node:
        raise SpecError("not an ONNX model with a graph: it holds no nodes", source=source)
    if raw and len(raw) != len(model.graph.initializer):
        raise SpecError("not a valid ONNX file: its initializers could not be told apart", source=source)
    graph = _Graph(model, path, source, allow_outside, buf, raw)
    layers = graph.layers()
    return Model(layers, graph.about())


# ------------------------------------------------------------------ protobuf, by hand
#
# Parsing copies every initializer's raw_data into protobuf's memory, and reading it
# copies it again. Instead the file is memory-mapped, the raw_data fields of the
# initializers are cut out of a skeleton that protobuf parses (small), and the values are
# read straight from the map. Only the wire format is read here: tags, varints, lengths.


class _Damaged(Exception):
    pass


def _varint(buf: Any, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise _Damaged
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf: Any, start: int, end: int) -> Any:
    """(field number, wire type, start of value, end of value, start of tag) of each
    field of the message in ``buf[start:end]``."""
    pos = start
    while pos < end:
        tag_start = pos
        key, pos = _varint(buf, pos, end)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, stop = _varint(buf, pos, end)
        elif wire == 1:
            stop = pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos, end)
            stop = pos + n
        elif wire == 5:
            stop = pos + 4
        else:
            raise _Damaged
        if stop > end or field == 0:
            raise _Damaged
        yield field, wire, pos, stop, tag_start
        pos = stop


def _encode_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _without_raw_data(buf: Any) -> tuple[bytes, list[tuple[int, int]]]:
    """A ModelProto's bytes without its initializers' raw_data, and where each
    initializer's raw_data is (offset, length; length -1 when it has none)."""
    spans: list[tuple[int, int]] = []

    def tensor(start: int, end: int) -> bytes:
        parts, span = [], (0, -1)
        for field, wire, p, stop, tag in _fields(buf, start, end):
            if field == 9 and wire == 2:  # raw_data: the last one counts
                span = (p, stop - p)
            else:
                parts.append(buf[tag:stop])
        spans.append(span)
        return b"".join(parts)

    def rebuilt(start: int, end: int, field_no: int, inner: Any) -> bytes:
        parts = []
        for field, wire, p, stop, tag in _fields(buf, start, end):
            if field == field_no and wire == 2:
                body = inner(p, stop)
                parts.append(_encode_varint(field << 3 | 2))
                parts.append(_encode_varint(len(body)))
                parts.append(body)
            else:
                parts.append(buf[tag:stop])
        return b"".join(parts)

    graph = lambda start, end: rebuilt(start, end, 5, tensor)  # noqa: E731 - GraphProto.initializer
    return rebuilt(0, len(buf), 7, graph), spans  # ModelProto.graph


# The attributes nncalc reads, with their AttributeProto types (1 float, 2 int, 3 string,
# 4 tensor, 6 floats, 7 ints); any other attribute is left alone.
_ATTRIBUTE_TYPES = {
    "value": 4, "value_float": 1, "value_floats": 6, "value_int": 2, "value_ints": 7,
    "to": 2, "perm": 7, "axis": 2, "start": 2, "end": 2, "transA": 2, "transB": 2,
    "alpha": 1, "beta": 1, "gamma": 1, "approximate": 3, "min": 1, "max": 1,
}
_TYPE_WORDS = {1: "a float", 2: "an integer", 3: "text", 4: "a tensor", 5: "a graph", 6: "floats", 7: "integers", 8: "strings"}


def _attrs(node: Any) -> dict[str, Any]:
    """The attributes of a node that nncalc reads, as Python values; an attribute of the
    wrong type raises ValueError with what it is."""
    out: dict[str, Any] = {}
    for a in node.attribute:
        want = _ATTRIBUTE_TYPES.get(a.name)
        if want is None:
            continue
        if a.type != want:
            raise ValueError(f"its attribute '{a.name}' is {_TYPE_WORDS.get(a.type, f'of type {a.type}')}, not {_TYPE_WORDS[want]}")
        out[a.name] = {1: lambda: a.f, 2: lambda: a.i, 3: lambda: a.s.decode("utf-8", "replace"), 4: lambda: a.t, 6: lambda: list(a.floats), 7: lambda: list(a.ints)}[want]()
    return out


def _round_to(x: float, dtype: int) -> float:
    """``x`` rounded to the precision a constant of ``dtype`` is stored in."""
    if dtype == FLOAT:
        return float(np.float32(x))
    if dtype == FLOAT16:
        return float(np.float16(x))
    if dtype == BFLOAT16:
        bits = int(np.array(x, dtype=np.float32).view(np.uint32))
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000  # round to nearest even
        return float(np.array(bits, dtype=np.uint32).view(np.float32))
    return float(x)


class _Graph:
    def __init__(self, model: Any, path: Path, source: str, allow_outside: bool, buf: Any = None, raw: list[tuple[int, int]] | None = None) -> None:
        self.model, self.g = model, model.graph
        # Where each initializer's raw_data is in the file (cut out of the parsed copy).
        self.buf = buf
        self.raw_spans = {t.name: span for t, span in zip(self.g.initializer, raw or []) if span[1] >= 0}
        self.path, self.source, self.allow_outside = path, source, allow_outside
        self.filename = path.name
        self.opset = None
        for o in model.opset_import:
            if o.domain in ("", "ai.onnx"):
                self.opset = o.version
        if self.opset is None:
            raise self.fail("the model imports no version of the standard ONNX operators (opset)")
        if self.opset < 7:
            raise self.fail(f"opset {self.opset} is older than nncalc reads (7 and later)")
        self.inits = {t.name: t for t in self.g.initializer}
        if len(self.inits) != len(self.g.initializer):
            raise self.fail("two initializers have the same name")
        self.producer: dict[str, Any] = {}
        for node in self.g.node:
            for out in node.output:
                if not out:
                    continue
                if out in self.producer or out in self.inits:
                    raise self.fail(f"the tensor '{printable(out, 80)}' is written twice")
                self.producer[out] = node
        self.consts: dict[str, tuple[np.ndarray, int] | None] = {}
        inputs = [i for i in self.g.input if i.name not in self.inits]
        if len(inputs) != 1:
            names = ", ".join(f"'{printable(i.name, 40)}'" for i in inputs) or "none"
            raise self.fail(
                f"the graph has {plural(len(inputs), 'input')} ({names}); nncalc reads networks with one input"
                if inputs
                else "the graph has no input"
            )
        self.input = inputs[0]
        self.other_outputs: list[str] = []
        self.u_cols = False  # the layout wanted where the current walk started

    def fail(self, message: str) -> SpecError:
        return SpecError(message, source=self.source)

    def attrs(self, node: Any) -> dict[str, Any]:
        try:
            return _attrs(node)
        except ValueError as e:
            raise self.fail(f"{self.label(node)}: {e}") from None

    @staticmethod
    def label(node: Any) -> str:
        name = printable(node.name, 80) if node.name else ""
        return f"node '{name}' ({node.op_type})" if name else f"the {node.op_type} node writing '{printable(node.output[0], 60) if node.output else '?'}'"

    def about(self) -> str:
        m = self.model
        who = " ".join(x for x in (printable(m.producer_name, 40), printable(m.producer_version, 20)) if x)
        text = f"ONNX model{' from ' + who if who else ''}, opset {self.opset}"
        if self.other_outputs:
            text += f"; its other outputs ({', '.join(self.other_outputs)}) are not part of the network"
        return text

    # -- tensors

    def tensor(self, t: Any, what: str) -> tuple[np.ndarray, int]:
        """An initializer's values (float64 for floats, int64 for integers) and its type."""
        dt = t.data_type
        shape = tuple(int(d) for d in t.dims)
        if any(d < 0 for d in shape):
            raise self.fail(f"{what} has the shape {shape}")
        count = math.prod(shape)
        storage = FLOAT_STORAGE.get(dt) or INT_STORAGE.get(dt)
        if storage is None:
            raise self.fail(f"{what} holds {TYPE_NAMES.get(dt, f'type {dt}')} values; nncalc reads float16, bfloat16, float32 and float64 weights")
        itemsize = np.dtype(storage).itemsize
        if t.data_location == 1:  # EXTERNAL
            raw = self.external(t, what, count * itemsize, storage)
        elif t.name in self.raw_spans and self.inits.get(t.name) is t:
            start, length = self.raw_spans[t.name]
            if length != count * itemsize:
                raise self.fail(f"{what} holds {length:,} bytes, but its shape {shape} needs {count * itemsize:,}")
            raw = np.frombuffer(self.buf, dtype=storage, count=count, offset=start) if count else np.zeros(0, storage)
        elif t.HasField("raw_data"):
            if len(t.raw_data) != count * itemsize:
                raise self.fail(f"{what} holds {len(t.raw_data):,} bytes, but its shape {shape} needs {count * itemsize:,}")
            raw = np.frombuffer(t.raw_data, dtype=storage, count=count)
        else:
            field = {FLOAT: t.float_data, DOUBLE: t.double_data, INT64: t.int64_data, UINT32: t.uint64_data, UINT64: t.uint64_data}.get(dt, t.int32_data)
            if len(field) != count:
                raise self.fail(f"{what} holds {len(field):,} values, but its shape {shape} needs {count:,}")
            if dt in (FLOAT16, BFLOAT16):
                raw = np.array(field, dtype=np.int64).astype(np.uint16)
                raw = raw.view(np.float16) if dt == FLOAT16 else raw
            else:
                raw = np.array(field, dtype=np.float64 if dt in FLOAT_STORAGE else np.int64)
        # A signalling NaN warns as it widens; the network refuses it with its place.
        with np.errstate(invalid="ignore"):
            if dt == BFLOAT16:  # the top half of a float32
                values = handover((raw.astype(np.uint32) << 16).view(np.float32).astype(np.float64))
            elif dt == DOUBLE:
                values = raw  # already float64; the network copies what it keeps
            elif dt in FLOAT_STORAGE:
                values = handover(raw.astype(np.float64))
            else:
                values = raw.astype(np.int64)
        return values.reshape(shape), dt

    def external(self, t: Any, what: str, nbytes: int, storage: str) -> np.ndarray:
        """Values kept in a file beside the model: only in its folder, and only within
        that file's size."""
        info = {e.key: e.value for e in t.external_data}
        location = info.get("location", "")
        try:
            offset = int(info.get("offset", "0") or 0)
            length = int(info.get("length", str(nbytes)) or nbytes)
        except ValueError:
            raise self.fail(f"{what} has an external-data offset or length that is not a number") from None
        if not location:
            raise self.fail(f"{what} is stored outside the model, but names no file")
        p = Path(location)
        base = self.path.parent
        full = p if p.is_absolute() else base / p
        if not self.allow_outside:
            inside = not p.is_absolute() and full.resolve().is_relative_to(base.resolve())
            if not inside:
                how = "is an absolute path" if p.is_absolute() else "leaves the model's folder"
                e = self.fail(f"{what}: its external data '{printable(location, 80)}' {how}; external data must be in the model's folder")
                e.hint = "outside_paths"
                raise e
        size = check_file(full, self.source, f"{what}: external data '{printable(location, 80)}': ")
        if offset < 0 or length != nbytes or offset + length > size:
            raise self.fail(
                f"{what}: its external data '{printable(location, 80)}' is {length:,} bytes at offset {offset:,}; "
                f"the tensor needs {nbytes:,} bytes, and the file has {size:,}"
            )
        try:
            with full.open("rb") as f:
                return np.fromfile(f, dtype=storage, count=nbytes // np.dtype(storage).itemsize, offset=offset)
        except OSError as e:
            raise self.fail(f"{what}: cannot read its external data: {e.strerror or e}") from None

    def const(self, name: str) -> tuple[np.ndarray, int] | None:
        """The value of a tensor the graph holds as a constant (an initializer, a Constant
        node, or one of those moved by Identity, Cast, Transpose or Reshape), else None."""
        if name in self.consts:
            return self.consts[name]
        self.consts[name] = None  # a cycle finds no constant
        found: tuple[np.ndarray, int] | None = None
        if name in self.inits:
            found = self.tensor(self.inits[name], f"initializer '{printable(name, 80)}'")
        elif name in self.producer:
            node = self.producer[name]
            attrs = self.attrs(node)
            op = node.op_type
            if op == "Constant":
                if "value" in attrs:
                    found = self.tensor(attrs["value"], self.label(node))
                elif "value_float" in attrs:
                    found = (np.array(attrs["value_float"]), FLOAT)
                elif "value_floats" in attrs:
                    found = (np.array(attrs["value_floats"], dtype=np.float64), FLOAT)
                elif "value_int" in attrs:
                    found = (np.array(attrs["value_int"], dtype=np.int64), INT64)
                elif "value_ints" in attrs:
                    found = (np.array(attrs["value_ints"], dtype=np.int64), INT64)
                else:
                    raise self.fail(f"{self.label(node)} holds a kind of constant nncalc does not read")
            elif op in ("Identity", "Cast", "Transpose", "Reshape") and node.input:
                inner = self.const(node.input[0])
                if inner is not None:
                    value, dt = inner
                    if op == "Cast":
                        to = attrs.get("to")
                        with np.errstate(invalid="ignore"):  # NaN to int: refused where used
                            if to in FLOAT_STORAGE:
                                found = (value.astype(np.float64), to)
                            elif to in INT_STORAGE:
                                found = (value.astype(np.int64), to)
                    elif op == "Transpose":
                        try:
                            found = (np.transpose(value, attrs.get("perm") or None), dt)
                        except (ValueError, IndexError):
                            raise self.fail(f"{self.label(node)} permutes a constant of shape {value.shape} by {attrs.get('perm')}") from None
                    elif op == "Reshape" and len(node.input) > 1:
                        shape = self.const(node.input[1])
                        if shape is not None:
                            dims = [value.shape[i] if d == 0 and i < value.ndim else int(d) for i, d in enumerate(shape[0].reshape(-1))]
                            try:
                                found = (value.reshape(dims), dt)
                            except ValueError:
                                raise self.fail(f"{self.label(node)} reshapes a constant of shape {value.shape} to {tuple(dims)}") from None
                    else:
                        found = inner
        self.consts[name] = found
        return found

    # -- the walk, from the output back to the input

    def output(self) -> str:
        outs = list(self.g.output)
        # An output without a type is taken to be a tensor; an ill-typed one fails later.
        floats = [
            o for o in outs
            if not o.type.ListFields()
            or o.type.HasField("tensor_type") and o.type.tensor_type.elem_type in FLOAT_STORAGE
        ]
        if len(floats) == 1:
            self.other_outputs = [printable(o.name, 40) for o in outs if o is not floats[0]]
            return floats[0].name
        listed = ", ".join(f"'{printable(o.name, 40)}'" for o in outs) or "none"
        if floats:
            raise self.fail(f"the graph has {len(floats)} float outputs ({listed}); nncalc reads networks with one")
        hint = ""
        if any(n.op_type == "ZipMap" for n in self.g.node):
            hint = "; a scikit-learn classifier must be converted with options={'zipmap': False}"
        raise self.fail(f"the graph has no output of float values (its outputs: {listed}){hint}")

    def layers(self) -> list[dict[str, Any]]:
        u = self.output()
        cols = False  # the layout wanted at u: (batch, units), or transposed
        found: list[dict[str, Any]] = []
        seen: set[int] = set()
        while True:
            expr, leaf, parity, region = self.expression(u, found[-1]["name"] if found else None)
            self.u_cols = cols
            if leaf is None:  # reached the graph's input
                if any(n.op_type not in PASS_THROUGH and n.op_type != "Transpose" for n in region):
                    node = next(n for n in region if n.op_type not in PASS_THROUGH)
                    raise self.fail(f"{self.label(node)} acts on the graph's input before any layer; a layer starts with a weighted sum")
                if cols ^ parity:
                    raise self.fail("the graph's input is used transposed (features × batch); nncalc reads inputs with one row per example")
                if not found:
                    raise self.fail("the graph has no Gemm or MatMul layer between its input and its output")
                self.check_input(region, found[-1])
                break
            out_cols = cols ^ parity
            layer, data, data_cols, node = self.linear(leaf, out_cols)
            if id(node) in seen:
                raise self.fail(f"{self.label(node)} is reached twice: the graph has a cycle")
            seen.add(id(node))
            layer["activation"] = self.identify(expr, region, layer["name"], found[-1]["name"] if found else None)
            self.check_shapes(region, layer)
            found.append(layer)
            u, cols = data, data_cols
        found.reverse()
        return found

    def expression(self, u: str, above: str | None) -> tuple[_E, str | None, bool, list[Any]]:
        """The expression that computes ``u`` from the output of the layer below it (or
        from the graph's input), that layer's output tensor (None for the input), the
        parity of the transposes between them, and the nodes on the way."""
        leaves: set[str | None] = set()
        parities: set[bool] = set()
        region: list[Any] = []
        in_region: set[int] = set()
        budget = [MAX_REGION]
        where = f"before layer '{above}'" if above else "before the graph's output"

        def walk(name: str, flip: bool, depth: int) -> _E:
            budget[0] -= 1
            if budget[0] < 0 or depth > MAX_DEPTH:
                raise self.fail(f"the nodes {where} nest too deeply to be an activation")
            if name == self.input.name:
                leaves.add(None)
                parities.add(flip)
                return _E("x")
            c = self.const(name)
            if c is not None:
                value, dt = c
                if value.size != 1:
                    return _E("tensor", dtype=dt)
                return _E("const", value=float(value.reshape(-1)[0]), dtype=dt)
            node = self.producer.get(name)
            if node is None:
                raise self.fail(f"the tensor '{printable(name, 80)}' is read, but no node writes it and it is no initializer")
            op = node.op_type
            if node.domain not in ("", "ai.onnx"):
                raise self.fail(
                    f"{self.label(node)} is an op of the domain '{printable(node.domain, 40)}', not part of a dense "
                    f"feed-forward network; nncalc reads {SUPPORTED}"
                )
            if self.is_linear(node):
                leaves.add(name)
                parities.add(flip)
                return _E("x")
            if id(node) not in in_region:
                in_region.add(id(node))
                region.append(node)
            if op in PASS_THROUGH:
                self.check_pass(node, name)
                return walk(node.input[0], flip, depth + 1)
            if op == "Transpose":
                perm = self.attrs(node).get("perm")
                if perm not in (None, [1, 0]):
                    raise self.fail(f"{self.label(node)} permutes axes {perm}; nncalc reads 2-D tensors")
                return walk(node.input[0], not flip, depth + 1)
            if op not in ACTIVATION_OPS and op not in PIECES:
                raise self.fail(f"{self.label(node)} is not part of a dense feed-forward network; nncalc reads {SUPPORTED}")
            args = [walk(i, flip, depth + 1) if i else _E("none") for i in node.input]
            return _E(op, args, node, cols=flip)

        expr = walk(u, False, 0)
        if len(leaves) > 1:
            join = next((n for n in region if n.op_type not in PASS_THROUGH), region[0] if region else None)
            at = f" at {self.label(join)}" if join is not None else ""
            raise self.fail(
                f"the nodes {where} combine two different tensors{at} (a branch or a residual "
                "connection), which a feed-forward network does not have"
            )
        if len(parities) > 1:
            raise self.fail(f"the nodes {where} combine a tensor with its own transpose")
        leaf = next(iter(leaves)) if leaves else None
        if not leaves:
            raise self.fail(f"the nodes {where} compute a constant; they do not depend on the input")
        return expr, leaf, next(iter(parities)), region

    def is_linear(self, node: Any) -> bool:
        return node.op_type in ("Gemm", "MatMul") or node.op_type == "Add" and self.bias_add(node) is not None

    def bias_add(self, node: Any) -> tuple[str, str] | None:
        """The MatMul output and the constant of ``Add(MatMul(...), bias)``, else None."""
        if len(node.input) != 2:
            return None
        for a, b in (tuple(node.input), tuple(reversed(node.input))):
            p = self.producer.get(a)
            if p is not None and p.op_type == "MatMul" and p.domain in ("", "ai.onnx") and self.const(b) is not None:
                return a, b
        return None

    def check_pass(self, node: Any, name: str) -> None:
        op, attrs = node.op_type, self.attrs(node)
        if op == "Dropout":
            if name != node.output[0]:
                raise self.fail(f"{self.label(node)}: its mask is used; nncalc runs networks for inference, where dropout passes values through")
            if len(node.input) > 2 and node.input[2]:
                mode = self.const(node.input[2])
                if mode is None or bool(mode[0].reshape(-1)[0]):
                    raise self.fail(f"{self.label(node)} runs in training mode; nncalc computes inference, where dropout passes values through")
        elif op == "Cast" and attrs.get("to") not in FLOAT_STORAGE:
            raise self.fail(f"{self.label(node)} casts to {TYPE_NAMES.get(attrs.get('to'), '?')}; nncalc passes only casts to float through")

    def check_shapes(self, region: list[Any], layer: dict[str, Any]) -> None:
        """Flatten and Reshape between two layers must leave (batch, units) as it is."""
        n = np.shape(layer["weights"])[0]
        for node in region:
            if node.op_type == "Flatten" and self.attrs(node).get("axis", 1) not in (1, -1):
                raise self.fail(f"{self.label(node)} flattens from axis {self.attrs(node)['axis']}; between layers only axis 1 keeps one row per example")
            if node.op_type == "Reshape":
                dims = self.reshape_target(node)
                if len(dims) != 2 or dims[1] not in (n, -1) or (dims[1] == -1 and dims[0] == -1):
                    raise self.fail(
                        f"{self.label(node)} reshapes layer '{layer['name']}' ({plural(n, 'unit')}) to {tuple(dims)}; "
                        "between layers only (batch, units) is a dense network"
                    )

    def reshape_target(self, node: Any) -> list[int]:
        """A Reshape's target shape; 0 keeps the batch size (also when the graph computes
        it, as ``x.view(x.size(0), -1)`` exports: Shape, Gather, Unsqueeze, Concat)."""
        target = self.shape_value(node.input[1], 0) if len(node.input) > 1 else None
        if target is None or any(d is None for d in target):
            raise self.fail(
                f"{self.label(node)} computes its target shape in a way nncalc does not follow; "
                "nncalc reads reshapes to a constant shape, or to (batch size, n)"
            )
        return [0 if d == "N" else int(d) for d in target]

    def shape_value(self, name: str, depth: int) -> list[Any] | None:
        """The value of a small integer tensor the graph computes from shapes: a list of
        ints, ``"N"`` for the batch size and None for what is not known."""
        c = self.const(name)
        if c is not None:
            return [int(v) for v in c[0].reshape(-1)] if c[1] in INT_STORAGE else None
        node = self.producer.get(name)
        if node is None or depth > 16:
            return None
        op, attrs = node.op_type, self.attrs(node)
        if op == "Shape":
            dims: list[Any] = ["N", None]
            if node.input[0] == self.input.name and self.input.type.tensor_type.HasField("shape"):
                dims = ["N"] + [d.dim_value if d.HasField("dim_value") else None for d in self.input.type.tensor_type.shape.dim[1:]]
            return dims[attrs.get("start", 0) : attrs.get("end", len(dims))]
        inputs = [self.shape_value(i, depth + 1) if i else None for i in node.input]
        if op in ("Cast", "Identity", "Squeeze", "Unsqueeze") and inputs and inputs[0] is not None:
            return inputs[0] if op in ("Cast", "Identity") or len(inputs[0]) == 1 else None
        if op == "Gather" and attrs.get("axis", 0) == 0 and len(inputs) == 2 and inputs[0] is not None and inputs[1] is not None:
            try:
                return [inputs[0][i] for i in inputs[1]]
            except IndexError:
                return None
        if op == "Concat" and attrs.get("axis", 0) in (0, -1) and all(v is not None for v in inputs):
            return [d for v in inputs for d in v]  # type: ignore[union-attr]
        return None

    def check_input(self, region: list[Any], first: dict[str, Any]) -> None:
        """The graph's input, through Flatten/Reshape, must give the first layer's inputs."""
        t = self.input.type.tensor_type
        dims: list[int | None] | None = None
        if self.input.type.HasField("tensor_type") and t.HasField("shape"):
            dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
        nin = np.shape(first["weights"])[1]
        shape = dims
        for node in reversed(region):  # from the input towards the first layer
            if node.op_type == "Flatten":
                axis = self.attrs(node).get("axis", 1)
                if shape is not None:
                    rank = len(shape)
                    if axis < 0:
                        axis += rank
                    if axis != 1:
                        raise self.fail(f"{self.label(node)} flattens the input from axis {axis}; only axis 1 keeps one row per example")
                    rest = shape[1:]
                    shape = [shape[0], math.prod(rest) if all(d is not None for d in rest) else None]
                elif axis != 1:
                    raise self.fail(f"{self.label(node)} flattens the input from axis {axis}; only axis 1 keeps one row per example")
            elif node.op_type == "Reshape":
                t0, t1 = self.input_reshape(node, shape)
                rest = shape[1:] if shape is not None else None
                feats = math.prod(rest) if rest is not None and all(d is not None for d in rest) else None
                if t1 != -1 and feats is not None and feats != t1:
                    raise self.fail(f"{self.label(node)} reshapes the input of shape {tuple(shape or ())} to {(t0, t1)}, which mixes examples")
                shape = [None, feats if t1 == -1 else t1]
        if shape is None:
            return
        if len(shape) != 2:
            raise self.fail(
                f"the graph's input '{printable(self.input.name, 40)}' has {plural(len(shape), 'dimension')}; "
                "nncalc reads inputs of one row per example (flatten them in the model first)"
            )
        if shape[1] is not None and shape[1] != nin:
            raise self.fail(
                f"the graph's input '{printable(self.input.name, 40)}' has {plural(shape[1], 'feature')}, "
                f"but layer '{first['name']}' takes {plural(nin, 'input')} (its weights have {plural(nin, 'column')})"
            )

    def input_reshape(self, node: Any, shape: list[int | None] | None) -> tuple[int, int]:
        target = self.reshape_target(node)
        if len(target) != 2 or target == [-1, -1] or target[0] == -1 and target[1] == 0:
            raise self.fail(f"{self.label(node)} reshapes the input to {tuple(target)}; nncalc reads inputs reshaped to (batch, features)")
        t0, t1 = target
        if t1 == -1 and t0 == -1 or t0 > 0 and shape is not None and shape[0] not in (None, t0):
            raise self.fail(f"{self.label(node)} reshapes the input of shape {tuple(shape or ())} to {(t0, t1)}, which mixes examples")
        return t0, t1

    def linear(self, leaf: str, cols: bool) -> tuple[dict[str, Any], str, bool, Any]:
        """The layer a Gemm, MatMul or MatMul + Add computes: its mapping, the tensor it
        reads, and whether that tensor must be transposed (features × batch)."""
        node = self.producer[leaf]
        bias_name = None
        if node.op_type == "Add":
            mm, bias_name = self.bias_add(node)  # type: ignore[misc]
            node = self.producer[mm]
        attrs = self.attrs(node)
        label = self.label(node)
        if node.op_type == "Gemm":
            a, b = node.input[0], node.input[1]
            trans_a, trans_b = attrs.get("transA", 0), attrs.get("transB", 0)
            alpha, beta = attrs.get("alpha", 1.0), attrs.get("beta", 1.0)
            if len(node.input) > 2 and node.input[2]:
                bias_name = node.input[2]
        else:
            a, b = node.input[0], node.input[1]
            trans_a = trans_b = 0
            alpha = beta = 1.0
        ca, cb = self.const(a), self.const(b)
        if ca is not None and cb is not None:
            raise self.fail(f"{label} multiplies two constants; nncalc needs one side to be the layer's input")
        if ca is None and cb is None:
            raise self.fail(f"{label} multiplies two computed tensors; nncalc needs one side to be the layer's weights (an initializer)")
        if cb is not None:  # y = x' · B', one row per example
            if cols:
                raise self.fail(f"{label} gives (batch, units), but the layer after it reads it transposed")
            weights, wname, wflag = cb, b, trans_b
            data, data_cols = a, bool(trans_a)
            w = weights[0].T if not wflag else weights[0]  # (units, inputs)
        else:  # y = A' · x', one column per example
            if not cols:
                raise self.fail(f"{label} gives (units, batch), one column per example; nncalc reads networks with one row per example")
            weights, wname, wflag = ca, a, trans_a
            data, data_cols = b, not trans_b
            w = weights[0] if not wflag else weights[0].T
        what = f"{label}: its weights '{printable(wname, 80)}'"
        if weights[1] not in FLOAT_STORAGE:
            raise self.fail(f"{what} hold {TYPE_NAMES.get(weights[1], '?')} values; nncalc reads float16, bfloat16, float32 and float64 weights")
        if w.ndim != 2:
            raise self.fail(f"{what} have shape {w.shape}; a dense layer's weights are a matrix")
        if alpha != 1.0:
            w = np.float64(alpha) * w
        name = printable(node.name, 80) or printable(node.output[0], 80) or node.op_type
        layer: dict[str, Any] = {
            "name": name,
            "weights": w,
            "weights_from": f"{self.filename}[{printable(wname, 80)}]" + ("" if (cb is not None) == bool(wflag) else "ᵀ"),
        }
        if bias_name:
            c = self.const(bias_name)
            if c is None:
                raise self.fail(f"{label}: its bias '{printable(bias_name, 80)}' is computed in the graph; nncalc needs it to be a constant")
            bias, bt = c
            if bt not in FLOAT_STORAGE:
                raise self.fail(f"{label}: its bias '{printable(bias_name, 80)}' holds {TYPE_NAMES.get(bt, '?')} values; expected floats")
            # ONNX broadcasts the bias over (batch, units), or (units, batch) transposed.
            if bias.size == 1:
                bias = np.full(w.shape[0], bias.reshape(-1)[0])
            elif not cols and bias.ndim == 2 and bias.shape[0] == 1 or cols and bias.ndim == 2 and bias.shape[1] == 1:
                bias = bias.reshape(-1)
            elif cols or bias.ndim != 1:
                raise self.fail(f"{label}: its bias '{printable(bias_name, 80)}' has shape {bias.shape}, which does not give one value per unit")
            if beta != 1.0:
                bias = np.float64(beta) * bias
            layer["bias"] = bias
            layer["bias_from"] = f"{self.filename}[{printable(bias_name, 80)}]"
        return layer, data, data_cols, node

    # -- which activation the nodes between two layers compute

    def identify(self, expr: _E, region: list[Any], name: str, after: str | None) -> Any:
        e = _canon(expr)
        if e.op == "x":
            return "linear"
        act = self.single(e)
        if act is None:
            act = self.decomposed(e)
        if act is not None:
            return act
        ops = ", ".join(f"{n.op_type} '{printable(n.name, 40)}'" if n.name else n.op_type for n in reversed(region) if n.op_type not in PASS_THROUGH)
        raise self.fail(
            f"the nodes after layer '{name}' ({ops}) compute a function that is not one of nncalc's "
            f"activations; nncalc reads {SUPPORTED}"
        )

    def single(self, e: _E) -> Any:
        """An activation that is one ONNX op on z."""
        if e.op not in ACTIVATION_OPS or not e.args or e.args[0].op != "x":
            return None
        node, op = e.node, e.op
        attrs = self.attrs(node)
        label = self.label(node)
        if op in ("Relu", "Sigmoid", "Tanh", "Softsign", "Mish", "HardSwish"):
            return {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softsign": "softsign", "Mish": "mish", "HardSwish": "hard_swish"}[op]
        if op == "LeakyRelu":
            return {"name": "leaky_relu", "alpha": attrs.get("alpha", _round_to(0.01, FLOAT))}
        if op == "Elu":
            return {"name": "elu", "alpha": attrs.get("alpha", 1.0)}
        if op == "Selu":
            from nncalc.activations import SELU_ALPHA, SELU_SCALE

            alpha = attrs.get("alpha", _round_to(SELU_ALPHA, FLOAT))
            gamma = attrs.get("gamma", _round_to(SELU_SCALE, FLOAT))
            if _round_to(alpha, FLOAT) == _round_to(SELU_ALPHA, FLOAT) and _round_to(gamma, FLOAT) == _round_to(SELU_SCALE, FLOAT):
                return "selu"
            raise self.fail(f"{label} has alpha {alpha!r} and gamma {gamma!r}; nncalc's selu has the SELU paper's constants only")
        if op in ("Softmax", "LogSoftmax"):
            axis = attrs.get("axis", -1 if self.opset >= 13 else 1)
            ok = (0, -2) if e.cols ^ self.u_cols else (1, -1)
            if axis not in ok:
                raise self.fail(f"{label} works on axis {axis}, across the examples of a batch; nncalc's {op.lower()} is over a layer's units")
            return "softmax" if op == "Softmax" else "log_softmax"
        if op == "Gelu":
            approximate = attrs.get("approximate", "none")
            if approximate not in ("none", "tanh"):
                raise self.fail(f"{label} has approximate='{printable(approximate, 20)}'; expected 'none' or 'tanh'")
            return "gelu" if approximate == "none" else "gelu_tanh"
        if op == "HardSigmoid":
            alpha, beta = _hard_sigmoid_constants(attrs)
            if _pytorch_hard_sigmoid(alpha, beta):
                return "hard_sigmoid"  # PyTorch's, as it exports it
            # the model's own constants, as the file stores them (float32 attributes)
            return {"name": "hard_sigmoid", "alpha": float(alpha), "beta": float(beta)}
        if op == "Softplus":
            return {"name": "softplus", "beta": 1.0, "threshold": NO_THRESHOLD}
        if op == "Clip":
            return self.clip(e, attrs, label)
        return None

    def clip(self, e: _E, attrs: dict[str, Any], label: str) -> Any:
        if self.opset < 11:
            lo, hi = attrs.get("min"), attrs.get("max")
            lo = None if lo is None or lo <= -_FLT_MAX else lo
            hi = None if hi is None or hi >= _FLT_MAX else hi
        else:
            bounds = []
            for arg in e.args[1:3]:
                if arg.op == "none":
                    bounds.append(None)
                elif arg.op == "const":
                    bounds.append(arg.value)
                else:
                    raise self.fail(f"{label} has bounds that are not constants")
            bounds += [None] * (2 - len(bounds))
            lo, hi = bounds
        if lo is None and hi is None:
            return "linear"
        if hi is None and lo == 0.0:
            return "relu"
        if lo is None or hi is None:
            side = "lower" if lo is None else "upper"
            raise self.fail(f"{label} has no {side} bound; nncalc's hard_tanh needs both (or a lower bound of 0, which is relu)")
        return {"name": "hard_tanh", "min_val": lo, "max_val": hi}

    def decomposed(self, e: _E) -> Any:
        """An activation in the form an exporter writes it as several ops."""
        for pattern, make in _PATTERNS:
            cap = _match(pattern, e, {})
            if cap is None:
                continue
            act = make({k: v for k, v in cap.items()})
            if act is not None:
                return act
        return None


# ------------------------------------------------------------------ decomposed forms


def _canon(e: _E) -> _E:
    """Products and sums flattened (``(x·y)·c`` is ``Mul[x, y, c]``), small integer
    powers written as products, so that each form has one shape to match."""
    args = [_canon(a) for a in e.args]
    if e.op == "Pow" and len(args) == 2 and args[1].op == "const" and args[1].value in (2.0, 3.0):
        return _canon(_E("Mul", [args[0]] * int(args[1].value), e.node))
    if e.op in ("Mul", "Add"):
        flat: list[_E] = []
        for a in args:
            flat.extend(a.args if a.op == e.op else [a])
        return _E(e.op, flat, e.node, cols=e.cols)
    return _E(e.op, args, e.node, e.value, e.dtype, e.cols)


def _match(p: Any, e: _E, cap: dict[str, _E]) -> dict[str, _E] | None:
    """Match a pattern: ``"x"``, ``("c", name)`` for a scalar constant (equal wherever
    the name recurs), or ``(op, *patterns)`` (``"op@name"`` captures the node too); the
    arguments of Mul and Add in any order."""
    if p == "x":
        return cap if e.op == "x" else None
    if p[0] == "c":
        if e.op != "const":
            return None
        if p[1] in cap:
            return cap if cap[p[1]].value == e.value else None
        return {**cap, p[1]: e}
    op, _, name = p[0].partition("@")  # "HardSigmoid@h": the node is captured as h
    subs = p[1:]
    if e.op != op or len(e.args) != len(subs):
        return None
    if name:
        cap = {**cap, name: e}
    orders = itertools.permutations(e.args) if op in ("Mul", "Add") else [e.args]
    for args in orders:
        trial: dict[str, _E] | None = cap
        for sp, se in zip(subs, args):
            trial = _match(sp, se, trial)
            if trial is None:
                break
        if trial is not None:
            return trial
    return None


def _is(c: _E, exact: float) -> bool:
    """True when the constant is ``exact`` as precisely as its type can hold it."""
    return c.value == _round_to(exact, c.dtype) or c.value == exact


def _gelu(cap: dict[str, _E]) -> Any:
    if not (_is(cap["one"], 1.0) and _is(cap["half"], 0.5)):
        return None
    if "s" in cap and _is(cap["s"], _SQRT2) or "r" in cap and _is(cap["r"], 1 / _SQRT2):
        return "gelu"
    return None


def _gelu_tanh(cap: dict[str, _E]) -> Any:
    ok = _is(cap["one"], 1.0) and _is(cap["half"], 0.5) and _is(cap["k"], _GELU_TANH_K) and _is(cap["a"], 0.044715)
    return "gelu_tanh" if ok else None


def _softplus(cap: dict[str, _E]) -> Any:
    beta = cap["b"].value if "b" in cap else 1.0
    if beta == 0.0:
        return None
    threshold = cap["t"].value if "t" in cap else NO_THRESHOLD
    return {"name": "softplus", "beta": beta, "threshold": threshold}


def _hard_sigmoid_constants(attrs: dict[str, Any]) -> tuple[float, float]:
    """A HardSigmoid's alpha and beta, ONNX's defaults (0.2, 0.5) where left out."""
    return attrs.get("alpha", _round_to(0.2, FLOAT)), attrs.get("beta", 0.5)


def _pytorch_hard_sigmoid(alpha: float, beta: float) -> bool:
    """Whether they are PyTorch's 1/6 (stored as a float32) and 1/2."""
    return _round_to(alpha, FLOAT) == _round_to(1 / 6, FLOAT) and beta == 0.5


def _hard_swish(cap: dict[str, _E]) -> Any:
    """z HardSigmoid(z) with PyTorch's slope 1/6 and offset 1/2 (its export below opset 14)."""
    try:
        attrs = _attrs(cap["h"].node)
    except ValueError:
        return None
    return "hard_swish" if _pytorch_hard_sigmoid(*_hard_sigmoid_constants(attrs)) else None


_HALF_GELU = ("Mul", "x", ("Add", ("Erf", ("Div", "x", ("c", "s"))), ("c", "one")), ("c", "half"))
_PATTERNS: list[tuple[Any, Any]] = [
    (("Mul", "x", ("Sigmoid", "x")), lambda cap: "silu"),
    (("Mul", "x", ("HardSigmoid@h", "x")), _hard_swish),
    (("Mul", "x", ("Tanh", ("Softplus", "x"))), lambda cap: "mish"),
    (("Div", "x", ("Add", ("Abs", "x"), ("c", "one"))), lambda cap: "softsign" if _is(cap["one"], 1.0) else None),
    (_HALF_GELU, _gelu),
    (("Mul", "x", ("Add", ("Erf", ("Mul", "x", ("c", "r"))), ("c", "one")), ("c", "half")), _gelu),
    (
        ("Mul", "x", ("Add", ("Tanh", ("Mul", ("c", "k"), ("Add", "x", ("Mul", "x", "x", "x", ("c", "a"))))), ("c", "one")), ("c", "half")),
        _gelu_tanh,
    ),
    (("Div", ("Softplus", ("Mul", "x", ("c", "b"))), ("c", "b")), _softplus),
    (("Where", ("Greater", "x", ("c", "t")), "x", ("Softplus", "x")), _softplus),
    (
        ("Where", ("Greater", ("Mul", "x", ("c", "b")), ("c", "t")), "x", ("Div", ("Softplus", ("Mul", "x", ("c", "b"))), ("c", "b"))),
        _softplus,
    ),
]
