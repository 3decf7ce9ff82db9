"""Model files a framework wrote, opened as nncalc networks.

Each format has its own module, which maps the file onto a list of layer mappings
(``name``, ``weights`` as units × inputs, ``bias``, ``activation``, ``weights_from``,
``bias_from``) and nothing more: :func:`nncalc.network.build_network` checks every shape
rule, so a model whose weights do not fit each other gets the same words as a YAML spec,
naming the node or tensor instead of a line.

============  =====================================  ==========================
format        what is read                           needs
============  =====================================  ==========================
onnx          dense graphs of Gemm / MatMul + Add    the ``onnx`` package
safetensors   an ``nn.Sequential`` state dict        NumPy alone
keras         a Keras 3 ``.keras`` zip               ``h5py``
torch         a ``.pt``/``.pth`` state dict          PyTorch (weights only)
============  =====================================  ==========================

Nothing in a file is ever executed: ONNX is read as protobuf, Keras' config as JSON (its
own loader is never called), PyTorch files only through ``torch.load(weights_only=True)``.
Optional packages are imported only when a file of their format is opened.

>>> detect("model.onnx"), detect("net.yaml"), detect("two-layer")
('onnx', None, None)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from nncalc.errors import SpecError
from nncalc.errors import plural  # noqa: F401  (the readers import it from here)

if TYPE_CHECKING:
    from nncalc.network import Network

FORMATS = ("onnx", "safetensors", "keras", "torch")

# Formats that hold weights but no activations: every layer is linear unless the caller
# names the activations.
WEIGHTS_ONLY = ("safetensors", "torch")

SUFFIXES = {
    ".onnx": "onnx",
    ".safetensors": "safetensors",
    ".keras": "keras",
    ".pt": "torch",
    ".pth": "torch",
}
# Suffixes that are surely specs: no need to open the file to tell.
SPEC_SUFFIXES = (".yaml", ".yml", ".json")

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_ZIP_MAGIC = b"PK\x03\x04"


# ---------------------------------------------------------------------------- detect


def detect(path: str | os.PathLike[str]) -> str | None:
    """The model format of ``path``: from its suffix, else from its first bytes.

    None for a spec (YAML or JSON), standard input (``-``), a bundled example's name, or
    anything else that is not a model file nncalc reads; the spec loader reports those.
    ``"hdf5"`` for a Keras 2 ``.h5`` file, which :func:`load_model` refuses with advice.
    """
    text = os.fspath(path)
    if text == "-":
        return None
    p = Path(text)
    suffix = p.suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    if suffix in SPEC_SUFFIXES:
        return None
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            return None
        with p.open("rb") as f:
            head = f.read(64)
    except OSError:
        return None
    return sniff(head, st.st_size, p)


def sniff(head: bytes, size: int, path: Path | None = None) -> str | None:
    """The format of a file from its first bytes (at least 16) and its size.

    >>> sniff(b"\\x08\\x08\\x12\\x07pytorch", 100)
    'onnx'
    >>> sniff((40).to_bytes(8, "little") + b'{"0.weight": ', 100)
    'safetensors'
    >>> sniff(b"layers:\\n  - weights: [[1]]", 100) is None
    True
    """
    if head.startswith(_ZIP_MAGIC) and path is not None:
        return _sniff_zip(path)
    if head.startswith(_HDF5_MAGIC):
        return "hdf5"
    if head.startswith(b"\x80\x02\x8a\x0a"):  # torch.save's legacy pickle: a magic number
        return "torch"
    if len(head) >= 9 and head[8:9] == b"{":
        n = int.from_bytes(head[:8], "little")
        if 2 <= n <= size - 8:
            return "safetensors"
    if _looks_like_onnx(head):
        return "onnx"
    return None


def _looks_like_onnx(head: bytes) -> bool:
    """A ModelProto starts with ``ir_version`` (field 1, a small varint) and then a
    length-delimited field (producer name, graph, opset import...)."""
    if len(head) < 3 or head[0] != 0x08 or not 1 <= head[1] <= 0x7F:
        return False
    tag = head[2]
    return tag & 0x07 == 2 and 2 <= tag >> 3 <= 20


def _sniff_zip(path: Path) -> str | None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None
    if "config.json" in names and "model.weights.h5" in names:
        return "keras"
    if any(n.endswith("/data.pkl") or n == "data.pkl" for n in names):
        return "torch"
    return None


# ---------------------------------------------------------------------------- load


def load_model(
    path: str | os.PathLike[str],
    *,
    activations: str | Sequence[Any] | None = None,
    allow_outside: bool = False,
) -> Network:
    """A network from a model file: ONNX, safetensors, Keras ``.keras`` or a PyTorch
    state dict.

    ``activations`` gives the activations of a weights-only file (safetensors, a state
    dict), one per layer: ``"relu,relu,softmax"`` or a list of names and mappings such as
    ``{"name": "leaky_relu", "alpha": 0.1}``. Without it every layer of such a file is
    linear. Files that carry their own activations (ONNX, Keras) refuse it. External
    files (ONNX external data) are read only from the model's folder unless
    ``allow_outside``. Raises :class:`SpecError` naming the file and the node, tensor or
    layer at fault.
    """
    from nncalc.network import build_network

    source = os.fspath(path)
    p = Path(source)
    fmt = detect(p)
    if fmt is None:
        raise SpecError(
            "not a model file nncalc reads (ONNX, safetensors, Keras .keras or a PyTorch state dict)",
            source=source,
        )
    if fmt == "hdf5":
        raise SpecError(
            "an HDF5 file (Keras 2's .h5 format), which nncalc does not read; re-save the "
            "model with Keras 3 as model.save('model.keras'), or export it to ONNX",
            source=source,
        )
    size = check_file(p, source)
    if fmt == "onnx":
        from nncalc.importers import onnx as reader
    elif fmt == "safetensors":
        from nncalc.importers import safetensors as reader  # type: ignore[no-redef]
    elif fmt == "keras":
        from nncalc.importers import keras as reader  # type: ignore[no-redef]
    else:
        from nncalc.importers import torch as reader  # type: ignore[no-redef]
    model = reader.read(p, source, size=size, allow_outside=allow_outside)
    layers = model.layers
    description = model.description
    if fmt in WEIGHTS_ONLY:
        if activations is not None:
            for layer, act in zip(layers, parse_activations(activations, layers, source)):
                layer["activation"] = act
        else:
            note = "the file holds weights only, so every layer is linear"
            description = f"{description}; {note}" if description else note
    elif activations is not None:
        e = SpecError(
            f"{'an ONNX' if fmt == 'onnx' else 'a Keras'} model names its own activations; "
            "activations are given only for weights-only files (safetensors, PyTorch state dicts)",
            source=source,
        )
        e.hint = "activations_option"
        raise e
    return build_network(layers, description=printable(description) if description else None, source=source)


def parse_activations(given: str | Sequence[Any], layers: Sequence[Mapping[str, Any]], source: str) -> list[Any]:
    """One activation per layer, from ``"relu,relu,softmax"`` or a list."""
    if isinstance(given, str):
        names: list[Any] = [name.strip() for name in given.split(",")]
        if any(not name for name in names):
            raise SpecError(f"the activations '{given}' hold an empty name; give names separated by commas", source=source)
    elif isinstance(given, Sequence):
        names = list(given)
    else:
        raise SpecError(f"activations must be names separated by commas or a list, got {type(given).__name__}", source=source)
    if len(names) != len(layers):
        which = ", ".join(f"'{layer['name']}'" for layer in layers)
        raise SpecError(
            f"{len(names)} activation{'s' if len(names) != 1 else ''} given, but the file holds "
            f"{len(layers)} layer{'s' if len(layers) != 1 else ''} ({which}); give one per layer, in order",
            source=source,
        )
    return names


# ---------------------------------------------------------------------------- helpers


class Model:
    """What a format's reader hands back: layer mappings and a line about the file."""

    __slots__ = ("layers", "description")

    def __init__(self, layers: list[dict[str, Any]], description: str | None = None) -> None:
        self.layers = layers
        self.description = description


def check_file(p: Path, source: str, what: str = "") -> int:
    """The size of a regular file; a clear error for anything else (look before reading)."""
    try:
        st = p.stat()
    except FileNotFoundError:
        raise SpecError(f"{what}no such file", source=source) from None
    except OSError as e:
        raise SpecError(f"{what}cannot read the file: {e.strerror or e}", source=source) from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file (a pipe or a device)"
        raise SpecError(f"{what}{kind}; expected a model file", source=source)
    return st.st_size


def printable(text: str | bytes, limit: int = 200) -> str:
    """Text from a file as it may appear in a message or a name: control characters
    shown as escapes, whitespace runs as one space, and at most ``limit`` characters.
    Bytes (protobuf hands back a text field that is not UTF-8 as bytes) are decoded
    with replacement characters.

    >>> printable("fc\\x1b[31m1"), printable(b"fc\\xff")
    ('fc\\\\x1b[31m1', 'fc�')
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    elif not isinstance(text, str):
        text = str(text)
    import unicodedata

    out = []
    for c in text:
        if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            out.append(" " if c in "\t\n\r" else c.encode("unicode_escape").decode("ascii"))
        else:
            out.append(c)
    shown = " ".join("".join(out).split())
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


