"""Keras 3 ``.keras`` files, read with zipfile, json and h5py: never with Keras' own
loader, which has run code from files (CVE-2025-1550, CVE-2025-9906).

A ``.keras`` file is a zip of ``config.json`` (the model's layers), ``metadata.json``
(the Keras version) and ``model.weights.h5``, where the variables of the k-th layer of
a class live at ``layers/<class in snake case>[_k]/vars/0, 1`` (kernel, bias), and the
group's ``name`` attribute holds the layer's own name. Keras stores a kernel as
(inputs, units): it is transposed into nncalc's one row per unit.

Read: ``InputLayer``, ``Dense`` (with its activation), ``Activation`` and the activation
layers ``ReLU``, ``LeakyReLU``, ``ELU`` and ``Softmax`` (merged into the linear ``Dense``
before them), ``Flatten`` and ``Dropout``. ``Lambda`` and custom layers are refused by
name: their code is in the file, and nncalc never runs it.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from nncalc.errors import SpecError
from nncalc.importers import Model, plural, printable

MAX_MEMBER = 4 * 1024**3  # bytes a member may declare once unpacked
MAX_CONFIG = 64 * 1024**2
MAX_RATIO = 100  # unpacked : packed, beyond which a compressed member is a zip bomb
MAX_MEMBERS = 10_000

# Keras 3's activation functions by name -> nncalc's, with Keras' constants.
ACTIVATIONS: dict[str, Any] = {
    "linear": "linear",
    "relu": "relu",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "softmax": "softmax",
    "log_softmax": "log_softmax",
    "elu": "elu",
    "selu": "selu",
    "gelu": "gelu",  # keras.activations.gelu(x, approximate=False)
    "silu": "silu",
    "swish": "silu",
    # ln(1 + e^z) with no threshold: nncalc's softplus with a threshold past which
    # float64 cannot tell the two apart (see nncalc.importers.onnx.NO_THRESHOLD).
    "softplus": {"name": "softplus", "beta": 1.0, "threshold": 40.0},
    "softsign": "softsign",
    "hard_sigmoid": "hard_sigmoid",  # relu6(z + 3) / 6 in Keras 3
    "hard_silu": "hard_swish",  # z relu6(z + 3) / 6
    "hard_swish": "hard_swish",
    "mish": "mish",
    "leaky_relu": {"name": "leaky_relu", "alpha": 0.2},  # keras.activations.leaky_relu
    "relu6": {"name": "hard_tanh", "min_val": 0.0, "max_val": 6.0},
}
KNOWN_LAYERS = "InputLayer, Dense, Activation, ReLU, LeakyReLU, ELU, Softmax, Flatten, Dropout"
# What a damaged or lying member raises while it is unpacked (bz2 raises OSError).
_DAMAGED: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError, zlib.error,
)
try:
    import lzma

    _DAMAGED += (lzma.LZMAError,)
except ImportError:  # pragma: no cover - Python built without lzma
    pass
PASS_THROUGH = ("Dropout", "GaussianDropout", "GaussianNoise", "AlphaDropout")  # identity at inference


def _snake(name: str) -> str:
    """Keras' own ``to_snake_case``: the stem of a layer's place in the weights file.

    >>> _snake("Dense"), _snake("LeakyReLU"), _snake("InputLayer")
    ('dense', 'leaky_re_lu', 'input_layer')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _members(zf: zipfile.ZipFile, source: str) -> dict[str, zipfile.ZipInfo]:
    """The zip's members, with every declared size checked before anything is unpacked."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise SpecError(f"the .keras zip holds {len(infos):,} members; a model has 3", source=source)
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = printable(info.filename)
        if info.filename in members:
            raise SpecError(f"the .keras zip holds '{name}' twice", source=source)
        if info.flag_bits & 0x1:
            raise SpecError(f"'{name}' in the .keras zip is encrypted", source=source)
        if info.file_size > MAX_MEMBER:
            raise SpecError(
                f"'{name}' in the .keras zip declares {info.file_size:,} bytes unpacked, more "
                f"than the {MAX_MEMBER:,} nncalc accepts",
                source=source,
            )
        if info.compress_type != zipfile.ZIP_STORED and info.file_size > 1024 * 1024:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_RATIO:
                raise SpecError(
                    f"'{name}' in the .keras zip unpacks {ratio:,.0f} times larger than it is "
                    f"packed ({info.compress_size:,} → {info.file_size:,} bytes): a zip bomb; "
                    "refused before unpacking",
                    source=source,
                )
        members[info.filename] = info
    return members


def _unpack(zf: zipfile.ZipFile, info: zipfile.ZipInfo, source: str, limit: int) -> bytes:
    name = printable(info.filename)
    if info.file_size > limit:
        raise SpecError(f"'{name}' in the .keras zip declares {info.file_size:,} bytes; at most {limit:,} are allowed", source=source)
    try:
        # zipfile stops at the declared size and checks the CRC, so a member that lies
        # about its size fails here instead of filling memory.
        with zf.open(info) as f:
            data = f.read(info.file_size + 1)
    except _DAMAGED as e:
        raise SpecError(f"cannot unpack '{name}' from the .keras zip ({printable(str(e), 100) or 'damaged data'})", source=source) from None
    if len(data) > info.file_size:
        raise SpecError(f"'{name}' in the .keras zip is larger than it declares", source=source)
    return data


def read(path: Path, source: str, *, size: int, allow_outside: bool = False) -> Model:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as e:
        raise SpecError(f"not a valid .keras file: {printable(str(e), 100) or 'not a zip archive'}", source=source) from None
    with zf:
        members = _members(zf, source)
        for needed in ("config.json", "model.weights.h5"):
            if needed not in members:
                raise SpecError(
                    f"the .keras zip has no {needed}; a Keras 3 model file holds config.json and model.weights.h5",
                    source=source,
                )
        config = _json(_unpack(zf, members["config.json"], source, MAX_CONFIG), "config.json", source)
        metadata: Any = {}
        if "metadata.json" in members:
            metadata = _json(_unpack(zf, members["metadata.json"], source, MAX_CONFIG), "metadata.json", source)
        version = str(metadata.get("keras_version", "")) if isinstance(metadata, dict) else ""
        plan = _plan(config, version, source)
        weights = _unpack(zf, members["model.weights.h5"], source, MAX_MEMBER)
    layers = _weights(plan, weights, path.name, source)
    about = f"Keras {printable(version, 20)} model" if version else "Keras model"
    return Model(layers, about)


def _json(data: bytes, name: str, source: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise SpecError(f"{name} in the .keras zip is not UTF-8 text", source=source) from None
    except json.JSONDecodeError as e:
        raise SpecError(f"{name} in the .keras zip is not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})", source=source) from None
    except RecursionError:
        raise SpecError(f"{name} in the .keras zip nests too deeply", source=source) from None


class _Dense:
    """One Dense layer of the plan: its config, and where its variables are."""

    def __init__(self, name: str, units: int, use_bias: bool, activation: Any, place: str) -> None:
        self.name, self.units, self.use_bias, self.activation, self.place = name, units, use_bias, activation, place
        self.activation_from: str | None = None  # an Activation layer merged into this one


def _plan(config: Any, version: str, source: str) -> list[_Dense]:
    """The Dense layers in order, with their activations, from config.json."""
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise SpecError("config.json in the .keras zip is not a Keras model config", source=source)
    kind = config.get("class_name")
    if kind not in ("Sequential", "Functional", "Model"):
        raise SpecError(
            f"config.json describes a {printable(str(kind), 60)}; nncalc reads Sequential models "
            "and Functional models that are one chain of layers",
            source=source,
        )
    raw_layers = config["config"].get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise SpecError("config.json in the .keras zip lists no layers", source=source)
    if kind != "Sequential":
        _check_chain(config["config"], raw_layers, source)
    counts: dict[str, int] = {}
    plan: list[_Dense] = []
    rank: int | None = None  # rank of the tensor between layers, batch included
    flat = True
    for i, layer in enumerate(raw_layers, 1):
        if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
            raise SpecError(f"layer {i} in config.json is not a layer config", source=source)
        cls = str(layer.get("class_name"))
        cfg = layer["config"]
        name = printable(str(cfg.get("name", f"layer{i}")), 80)
        stem = _snake(cls)
        place = stem if stem not in counts else f"{stem}_{counts[stem]}"
        counts[stem] = counts.get(stem, 0) + 1
        what = f"layer '{name}' ({printable(cls, 40)})"
        module = str(layer.get("module") or "")
        if cls == "Lambda":
            raise SpecError(f"{what} holds Python code, which nncalc never runs; refused", source=source)
        if layer.get("registered_name") not in (None, cls) or (module and not module.startswith("keras")):
            raise SpecError(
                f"{what} is a custom layer (registered as {printable(str(layer.get('registered_name') or module), 60)!r}), "
                "whose code nncalc never runs; refused",
                source=source,
            )
        if cls == "InputLayer":
            shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
            if isinstance(shape, list):
                rank = len(shape)
                flat = rank == 2
            continue
        if cls == "Flatten":
            if cfg.get("data_format") == "channels_first" and rank is not None and rank > 3:
                raise SpecError(f"{what} flattens channels first, which reorders the inputs; nncalc reads channels_last", source=source)
            flat, rank = True, 2
            continue
        if cls in PASS_THROUGH:
            continue
        if cls == "Dense":
            if not flat:
                raise SpecError(f"{what} acts on a {rank}-D input; nncalc reads Dense layers on flat inputs (add a Flatten)", source=source)
            if cfg.get("lora_rank") or cfg.get("quantization_config"):
                raise SpecError(f"{what} is LoRA-adapted or quantized, which nncalc does not read", source=source)
            units = cfg.get("units")
            if type(units) is not int or units < 1:
                raise SpecError(f"{what} has units {printable(str(units), 40)}; expected a positive whole number", source=source)
            act = _activation(cfg.get("activation", "linear"), what, version, source)
            plan.append(_Dense(name, units, bool(cfg.get("use_bias", True)), act, place))
            continue
        act = _activation_layer(cls, cfg, what, version, source)
        if act is None:
            raise SpecError(f"{what} is not a layer nncalc reads; supported: {KNOWN_LAYERS}", source=source)
        if not plan:
            raise SpecError(f"{what} comes before any Dense layer; nncalc needs an activation to follow a Dense layer", source=source)
        last = plan[-1]
        if last.activation != "linear" or last.activation_from is not None:
            before = last.activation_from or f"layer '{last.name}'"
            raise SpecError(
                f"{what} follows {before}, which already has an activation; one activation per layer",
                source=source,
            )
        last.activation, last.activation_from = act, what
    if not plan:
        raise SpecError("the model has no Dense layer", source=source)
    return plan


def _check_chain(cfg: dict[str, Any], layers: list[Any], source: str) -> None:
    """A Functional model is read only when each layer takes the one before it."""
    prev: str | None = None
    for i, layer in enumerate(layers):
        name = layer.get("config", {}).get("name") if isinstance(layer, dict) else None
        nodes = layer.get("inbound_nodes", []) if isinstance(layer, dict) else []
        sources = _inbound(nodes)
        if i == 0:
            if sources:
                raise SpecError(f"layer '{printable(str(name), 80)}' is first but takes inputs; not a chain", source=source)
        elif sources != [prev]:
            got = ", ".join(printable(str(s), 40) for s in sources) or "nothing"
            raise SpecError(
                f"layer '{printable(str(name), 80)}' takes {got}, not the layer before it; nncalc "
                "reads models that are one chain of layers (no branches, no residual connections)",
                source=source,
            )
        prev = name
    # Keras 3 writes [name, 0, 0] for one output, [[name, 0, 0], ...] for several.
    outputs = cfg.get("output_layers")
    if isinstance(outputs, list) and outputs:
        several = isinstance(outputs[0], list)
        if several and len(outputs) != 1:
            raise SpecError(f"the model has {len(outputs)} outputs; nncalc reads models with one", source=source)
        last = outputs[0][0] if several and outputs[0] else outputs[0]
        if last != prev:
            raise SpecError(f"the model's output is '{printable(str(last), 80)}', not its last layer", source=source)


def _inbound(nodes: Any) -> list[Any]:
    """The names of the layers a layer takes its inputs from (Keras 3's inbound nodes,
    or Keras 2's lists)."""
    found: list[Any] = []
    if not isinstance(nodes, list):
        return found
    if len(nodes) > 1:
        return ["(called more than once)"]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                history = value.get("config", {}).get("keras_history")
                if isinstance(history, list) and history:
                    found.append(history[0])
                return
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            if len(value) >= 3 and isinstance(value[0], str) and isinstance(value[1], int):
                found.append(value[0])  # Keras 2: [name, node index, tensor index, kwargs]
                return
            for v in value:
                walk(v)

    walk(nodes)
    return found


def _activation(spec: Any, what: str, version: str, source: str) -> Any:
    if isinstance(spec, dict):
        module = str(spec.get("module") or "")
        name = spec.get("config")
        if module and not module.startswith("keras"):
            raise SpecError(f"{what} uses the custom activation {printable(str(spec.get('registered_name') or name), 60)!r}, whose code nncalc never runs", source=source)
        if isinstance(name, dict):
            name = name.get("name")
        spec = name
    if not isinstance(spec, str):
        raise SpecError(f"{what} has an activation nncalc cannot read: {printable(str(spec), 60)}", source=source)
    if spec == "hard_sigmoid" and version.split(".")[0] == "2":
        return {"name": "hard_sigmoid", "alpha": 0.2, "beta": 0.5}  # Keras 2's: clip(0.2z + 0.5, 0, 1)
    act = ACTIVATIONS.get(spec)
    if act is None:
        known = ", ".join(sorted(ACTIVATIONS))
        raise SpecError(f"{what} has the activation '{printable(spec, 40)}', which nncalc does not have; supported: {known}", source=source)
    return act


def _activation_layer(cls: str, cfg: dict[str, Any], what: str, version: str, source: str) -> Any:
    """The activation of an activation layer, or None for a layer of another kind."""
    if cls == "Activation":
        return _activation(cfg.get("activation"), what, version, source)
    if cls == "ReLU":
        top, slope, threshold = cfg.get("max_value"), cfg.get("negative_slope", 0) or 0, cfg.get("threshold", 0) or 0
        if threshold == 0 and slope == 0:
            return "relu" if top is None else {"name": "hard_tanh", "min_val": 0.0, "max_val": float(top)}
        if threshold == 0 and top is None:
            return {"name": "leaky_relu", "alpha": slope}  # the network checks it is a number
        raise SpecError(f"{what} with threshold {threshold}, negative_slope {slope} and max_value {top} is not an activation nncalc has", source=source)
    if cls == "LeakyReLU":
        slope = cfg.get("negative_slope", cfg.get("alpha", 0.3))
        return {"name": "leaky_relu", "alpha": slope}  # the network checks it is a number
    if cls == "ELU":
        return {"name": "elu", "alpha": float(cfg.get("alpha", 1.0))}
    if cls == "Softmax":
        if cfg.get("axis", -1) not in (-1, 1, [-1], [1]):
            raise SpecError(f"{what} works on axis {cfg.get('axis')}; nncalc's softmax is over a layer's units", source=source)
        return "softmax"
    return None


def _weights(plan: list[_Dense], data: bytes, filename: str, source: str) -> list[dict[str, Any]]:
    try:
        import h5py
    except ImportError:
        raise SpecError("opening .keras files needs h5py: pip install 'nncalc[keras]'", source=source) from None
    try:
        f = h5py.File(io.BytesIO(data), "r")
    except (OSError, ValueError) as e:
        raise SpecError(f"model.weights.h5 in the .keras zip is not a valid HDF5 file ({printable(str(e), 100)})", source=source) from None
    with f:
        try:
            return _read_layers(plan, f, data, filename, source)
        except (KeyError, OSError, RuntimeError, ValueError) as e:  # links h5py cannot follow
            raise SpecError(f"model.weights.h5 in the .keras zip cannot be read ({printable(str(e), 100)})", source=source) from None


def _only_hard_links(group: Any, source: str) -> None:
    """Refuse soft and external links: Keras writes neither, and an external link points
    at another file."""
    import h5py

    bad: list[str] = []

    def visit(name: str, link: Any) -> None:  # (h5py cannot carry an exception out of here)
        if not isinstance(link, h5py.HardLink) and not bad:
            bad.append(name)

    if hasattr(group, "visititems_links"):  # h5py 3.11 and later
        group.visititems_links(visit)
    else:
        def walk(g: Any, prefix: str) -> None:
            for name in g:
                link = g.get(name, getlink=True)
                visit(prefix + name, link)
                if isinstance(link, h5py.HardLink) and isinstance(g.get(name), h5py.Group):
                    walk(g[name], prefix + name + "/")

        walk(group, "")
    if bad:
        raise SpecError(
            f"model.weights.h5 links '{printable(bad[0], 60)}' to another place; nncalc reads only the file's own data",
            source=source,
        )


def _read_layers(plan: list[_Dense], f: Any, data: bytes, filename: str, source: str) -> list[dict[str, Any]]:
    import h5py

    _only_hard_links(f, source)
    group = f.get("layers")
    if not isinstance(group, h5py.Group):
        raise SpecError("model.weights.h5 in the .keras zip has no 'layers' group", source=source)
    # Keras writes each layer's own name as the `name` attribute of its vars group.
    by_name: dict[str, str] = {}
    for key in group:
        vars_ = group[key].get("vars") if isinstance(group[key], h5py.Group) else None
        if isinstance(vars_, h5py.Group) and "name" in vars_.attrs:
            by_name[str(vars_.attrs["name"])] = key
    layers = []
    for dense in plan:
        key = by_name.get(dense.name, dense.place)
        where = f"layers/{printable(key, 60)}/vars"
        vars_ = group.get(key)
        vars_ = vars_.get("vars") if isinstance(vars_, h5py.Group) else None
        what = f"layer '{dense.name}'"
        if not isinstance(vars_, h5py.Group):
            raise SpecError(f"{what}: model.weights.h5 has no {where}", source=source)
        expected = 2 if dense.use_bias else 1
        names = sorted(vars_)
        if names != [str(i) for i in range(expected)]:
            got = ", ".join(printable(n, 20) for n in names) or "none"
            raise SpecError(
                f"{what}: {where} holds the variables {got}; a Dense layer "
                f"{'with' if dense.use_bias else 'without'} a bias has {plural(expected, 'variable')} "
                f"({'0 (kernel), 1 (bias)' if dense.use_bias else '0 (kernel)'})",
                source=source,
            )
        kernel_ds = _dataset(vars_["0"], f"{what}: {where}/0", source, len(data))
        if len(kernel_ds.shape) != 2 or kernel_ds.shape[1] != dense.units:
            raise SpecError(
                f"{what}: the kernel {where}/0 has shape {kernel_ds.shape}, but the config says "
                f"{plural(dense.units, 'unit')}; a kernel is (inputs, units)",
                source=source,
            )
        kernel = _values(kernel_ds, f"{what}: {where}/0", source)
        layer: dict[str, Any] = {
            "name": dense.name,
            "weights": kernel.T,
            "weights_from": f"{filename}[{where}/0]ᵀ",
            "activation": dense.activation,
        }
        if dense.use_bias:
            bias_ds = _dataset(vars_["1"], f"{what}: {where}/1", source, len(data))
            if bias_ds.shape != (dense.units,):
                raise SpecError(
                    f"{what}: the bias {where}/1 has shape {bias_ds.shape}, but the config says "
                    f"{plural(dense.units, 'unit')}",
                    source=source,
                )
            layer["bias"] = _values(bias_ds, f"{what}: {where}/1", source)
            layer["bias_from"] = f"{filename}[{where}/1]"
        layers.append(layer)
    return layers


def _dataset(ds: Any, what: str, source: str, file_size: int) -> Any:
    """A weight dataset, its type and declared size checked before it is read."""
    import h5py

    if not isinstance(ds, h5py.Dataset):
        raise SpecError(f"{what} is not a dataset", source=source)
    # Values kept outside model.weights.h5 (raw files, other HDF5 files) are never read:
    # a model file must not make nncalc read files of the user's own.
    if ds.external or ds.is_virtual:
        raise SpecError(f"{what} keeps its values outside model.weights.h5; nncalc reads only the file's own data", source=source)
    if ds.dtype.kind != "f" or ds.dtype.itemsize not in (2, 4, 8):
        raise SpecError(f"{what} holds {ds.dtype} values; expected float16, float32 or float64 weights", source=source)
    # Keras stores weights unfiltered: values past the file's size are declared, not held.
    if ds.size * ds.dtype.itemsize > file_size:
        raise SpecError(
            f"{what} declares {ds.size:,} values ({ds.size * ds.dtype.itemsize:,} bytes), more than "
            f"the {file_size:,} bytes of model.weights.h5",
            source=source,
        )
    return ds


def _values(ds: Any, what: str, source: str) -> np.ndarray:
    try:
        with np.errstate(invalid="ignore"):  # a NaN is refused by the network, with its place
            return np.asarray(ds[()], dtype=np.float64)
    except (OSError, ValueError, TypeError) as e:
        raise SpecError(f"{what} cannot be read ({printable(str(e), 100)})", source=source) from None
