"""Spec text (YAML, or JSON, which is YAML) to a validated, immutable :class:`Network`.

Validation happens once, here, and every problem is reported with the file, line and
column of the YAML node it concerns. The YAML is composed into nodes by PyYAML's safe
loader and turned into values by this module alone, so:

- no tag can build a Python object (only core YAML tags are accepted);
- anchors and aliases are measured before anything is built, so a "billion laughs"
  document is refused at once;
- numbers are read as people write them (``1e-3`` included, which YAML 1.1 calls text),
  and booleans, nulls, NaN and infinities are refused where a number is expected.

>>> net = parse_spec("layers: [{activation: relu, weights: [[0.5, -0.2, 0.8]], bias: 0.1}]")
>>> net.layers[0].W.shape, net.layers[0].name
((1, 3), 'layer1')
"""

from __future__ import annotations

import difflib
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from nncalc import activations
from nncalc.errors import InputError, SpecError
from nncalc.inputs import check_length, parse_number, read_matrix
from nncalc.network import Layer, Network, frozen

EXAMPLES_DIR = Path(__file__).parent / "examples"

MAX_VALUES = 10_000_000  # scalars a spec may expand to, aliases included
MAX_DEPTH = 8  # a spec needs 6: spec > layers > layer > weights > row > number

# The keys a spec may use, with what they hold. The loader accepts exactly these keys, and
# json_schema() describes them, so the schema and the loader cannot disagree on them.
TOP_FIELDS = {
    "name": "The network's name, shown in titles.",
    "description": "One line about the network, shown by `nncalc examples`.",
    "input": "A default input, [1, 2], or a batch of them, [[1, 2], [3, 4]].",
    "layers": "The layers, from the first (which takes the input) to the output layer.",
}
LAYER_FIELDS = {
    "name": "The layer's name (default: layer1, layer2, ...); unique in the spec.",
    "activation": "A name, like relu, or a mapping with parameters: {name: leaky_relu, alpha: 0.1}.",
    "weights": "One row per unit, one column per input of the layer; or {file: w.npy}, "
    "{file: model.npz, key: fc1.weight}, {file: w.csv}.",
    "bias": "One number per unit (default: zeros); or a file, as for weights.",
}
FILE_FIELDS = {
    "file": "A .npy, .npz, .csv or .tsv file, relative to the spec's folder.",
    "key": "With an .npz file: the name of the array.",
}
TOP_KEYS, LAYER_KEYS, FILE_KEYS = tuple(TOP_FIELDS), tuple(LAYER_FIELDS), tuple(FILE_FIELDS)

_CORE = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_CORE + t for t in ("str", "int", "float", "bool", "null"))
_ALLOWED_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "seq", "map")}
_ALLOWED_TAGS |= {_CORE + "timestamp", _CORE + "merge"}  # harmless; refused later by type


# --------------------------------------------------------------------------- sources


def example_names() -> list[str]:
    """The bundled examples, usable by name in place of a path."""
    return sorted(p.stem for p in EXAMPLES_DIR.glob("*.yaml"))


def read_source(arg: str) -> tuple[str, str]:
    """The text of a spec and the name to report it by: a path, ``-``, or an example."""
    if arg == "-":
        try:
            return sys.stdin.read(), "<stdin>"
        except UnicodeDecodeError:
            raise SpecError("standard input is not UTF-8 text", source="<stdin>") from None
    path = Path(arg)
    if not path.exists() and arg in example_names():
        path, source = EXAMPLES_DIR / f"{arg}.yaml", arg
    else:
        source = arg
    try:
        return path.read_bytes().decode("utf-8-sig"), source
    except FileNotFoundError:
        raise SpecError(
            "no such file, and no bundled example of that name "
            f"(the examples are: {', '.join(example_names())})",
            source=source,
        ) from None
    except UnicodeDecodeError as e:
        raise SpecError(f"not UTF-8 text (byte {e.start + 1})", source=source) from None
    except OSError as e:
        raise SpecError(f"cannot read the file: {e.strerror}", source=source) from None


def load_spec(arg: str, allow_outside: bool = False) -> Network:
    """Read and validate a spec given as a path, ``-`` (stdin) or an example's name.

    Weight files named in the spec are read relative to the spec's folder (the current
    folder for standard input), and must stay inside it unless ``allow_outside``.
    """
    text, source = read_source(arg)
    if arg == "-":
        base = Path.cwd()
    elif source != arg:  # a bundled example
        base = EXAMPLES_DIR
    else:
        base = Path(arg).parent
    return parse_spec(text, source, base=base, allow_outside=allow_outside)


# ------------------------------------------------------------------------ composing


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """PyYAML's safe composer with a depth limit, so nesting cannot exhaust the stack."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _compose(text: str, source: str) -> Node | None:
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    except _TooDeep as e:
        raise SpecError(
            f"values nest more than {MAX_DEPTH} levels deep; a spec needs at most 6 "
            "(layers > layer > weights > row > number)",
            source,
            e.mark.line + 1,
            e.mark.column + 1,
        ) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "invalid YAML"
        pos = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise SpecError(f"invalid YAML: {problem}", source, *pos) from None
    except yaml.YAMLError as e:  # ReaderError: a character YAML does not allow
        raise SpecError(f"invalid YAML: {e}", source) from None
    finally:
        loader.dispose()


# ------------------------------------------------------------------------- building


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _NULL:
        return "nothing (null)"
    if node.tag == _BOOL:
        return f"the boolean '{node.value}'"
    return f"'{node.value}'"


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


class _Builder:
    """Walks the composed YAML nodes once, building the network or raising SpecError."""

    def __init__(self, source: str, base: Path, allow_outside: bool) -> None:
        self.source = source
        self.base = base
        self.allow_outside = allow_outside

    def error(self, node: Node, message: str) -> SpecError:
        m = node.start_mark
        return SpecError(message, self.source, m.line + 1, m.column + 1)

    # -- safety: tags, recursion and expansion, before anything is built

    def measure(self, root: Node) -> None:
        """Refuse unsafe tags, recursive aliases and documents that expand too far."""
        sizes: dict[int, int] = {}
        active: set[int] = set()

        def size(node: Node) -> int:
            key = id(node)
            if key in sizes:
                return sizes[key]
            if key in active:
                raise self.error(node, "an alias refers to the list or mapping it is in")
            if node.tag not in _ALLOWED_TAGS:
                raise self.error(
                    node,
                    f"YAML tag '{_short_tag(node.tag)}' is not allowed; a spec holds "
                    "plain numbers, text, lists and mappings only",
                )
            if isinstance(node, ScalarNode):
                return 1
            active.add(key)
            children = (
                [n for pair in node.value for n in pair]
                if isinstance(node, MappingNode)
                else node.value
            )
            total = 0
            for child in children:
                total += size(child)
                if total > MAX_VALUES:
                    raise self.error(
                        node,
                        f"this value expands to more than {MAX_VALUES:,} values through "
                        "YAML anchors and aliases; refusing to build it",
                    )
            active.discard(key)
            sizes[key] = total
            return total

        size(root)

    # -- plain values

    def mapping(self, node: Node, what: str, keys: tuple[str, ...]) -> dict[str, Node]:
        """A mapping's values by key, refusing duplicate, unknown and non-text keys."""
        if not isinstance(node, MappingNode):
            raise self.error(node, f"{what} must be a mapping (key: value), got {_kind(node)}")
        found: dict[str, Node] = {}
        for knode, vnode in node.value:
            key = knode.value if isinstance(knode, ScalarNode) else None
            if key in found:
                raise self.error(knode, f"duplicate key '{key}' in {what}")
            if key not in keys:
                hint = difflib.get_close_matches(str(key), keys, n=1)
                suggest = f"did you mean '{hint[0]}'? " if hint else ""
                shown = f"'{key}'" if key is not None else _kind(knode)
                raise self.error(
                    knode, f"unknown key {shown} in {what}; {suggest}expected: {', '.join(keys)}"
                )
            found[key] = vnode
        return found

    def text(self, node: Node, what: str) -> str:
        if not (isinstance(node, ScalarNode) and node.tag == _STR and node.value.strip()):
            raise self.error(node, f"{what} must be text, got {_kind(node)}")
        return node.value

    def number(self, node: Node, what: str) -> float:
        if isinstance(node, ScalarNode) and node.tag in (_INT, _FLOAT, _STR):
            quoted = node.tag == _STR and node.style is not None
            if not quoted:
                try:
                    return parse_number(node.value)
                except ValueError as e:
                    problem = str(e)
                if node.tag == _INT:  # YAML's other integer forms: 0x1F, 0o17, 1_000
                    return float(SafeConstructor().construct_yaml_int(node))
                raise self.error(node, f"{what} must be a number, but {problem}")
            raise self.error(node, f"{what} must be a number, got the quoted text '{node.value}'")
        raise self.error(node, f"{what} must be a number, got {_kind(node)}")

    def vector(self, node: Node, what: str) -> np.ndarray:
        if not isinstance(node, SequenceNode):
            raise self.error(node, f"{what} must be a list of numbers, got {_kind(node)}")
        if not node.value:
            raise self.error(node, f"{what} is empty; expected a list of numbers")
        return np.array([self.number(v, f"{what}[{i}]") for i, v in enumerate(node.value)])

    def matrix(self, node: Node, what: str) -> np.ndarray:
        example = "weights: [[0.5, -0.2, 0.8]]"
        if not isinstance(node, SequenceNode) or not node.value:
            got = "an empty list" if isinstance(node, SequenceNode) else _kind(node)
            raise self.error(
                node, f"{what} must be a non-empty 2-D matrix (a list of rows), got {got}"
            )
        rows = node.value
        if not isinstance(rows[0], SequenceNode):
            raise self.error(
                node,
                f"{what} must be a 2-D matrix, a list of rows with one row per unit; "
                f"for a single neuron write one row, like {example}",
            )
        width = len(rows[0].value)
        out = []
        for i, row in enumerate(rows):
            if not isinstance(row, SequenceNode):
                raise self.error(row, f"{what} row {i + 1} must be a list of numbers, got {_kind(row)}")
            if not row.value:
                raise self.error(row, f"{what} row {i + 1} is empty")
            if len(row.value) != width:
                raise self.error(
                    row,
                    f"{what} row {i + 1} has {len(row.value)} values, but row 1 has {width}; "
                    "every row needs one weight per input",
                )
            out.append([self.number(v, f"{what}[{i}][{j}]") for j, v in enumerate(row.value)])
        return np.array(out, dtype=np.float64)

    # -- arrays from files

    def array_file(self, node: MappingNode, what: str) -> tuple[np.ndarray, str]:
        """``{file: w.npy}``, ``{file: m.npz, key: fc1.weight}`` or ``{file: w.csv}``.

        Returns the array and a label for messages (``m.npz[fc1.weight]``).
        """
        fields = self.mapping(node, what, FILE_KEYS)
        if "file" not in fields:
            raise self.error(node, f"{what} needs a 'file', like {{file: w1.npy}}")
        name = self.text(fields["file"], f"{what} file")
        key = self.text(fields["key"], f"{what} key") if "key" in fields else None
        path = self.resolve(fields["file"], name, what)
        suffix = path.suffix.lower()
        if key is not None and suffix != ".npz":
            raise self.error(fields["key"], f"{what}: 'key' picks an array of an .npz file, and {name} is not one")
        label = f"{name}[{key}]" if key is not None else name
        try:
            if suffix == ".npy":
                arr = np.load(path, allow_pickle=False)
            elif suffix == ".npz":
                with np.load(path, allow_pickle=False) as archive:
                    keys = archive.files
                    if key is None and len(keys) == 1:
                        key = keys[0]
                    elif key is None or key not in keys:
                        problem = f"has no array '{key}'" if key is not None else "holds several arrays; pick one with 'key'"
                        raise self.error(node, f"{what}: {name} {problem}; its arrays: {', '.join(keys) or 'none'}")
                    arr = archive[key]
            elif suffix in (".csv", ".tsv", ".tab", ".txt"):
                arr = read_matrix(path, name)
            else:
                raise self.error(fields["file"], f"{what}: {name}: weight files must be .npy, .npz, .csv or .tsv")
        except FileNotFoundError:
            raise self.error(fields["file"], f"{what}: no such file {name} (in {self.base})") from None
        except InputError as e:
            raise self.error(fields["file"], f"{what} from {e}") from None
        except ValueError as e:
            if "allow_pickle" in str(e) or "object" in str(e).lower():
                problem = "holds Python objects (pickled data), which nncalc refuses to load"
            else:
                problem = f"is not a valid {suffix} file ({e})"
            raise self.error(fields["file"], f"{what}: {label} {problem}") from None
        except OSError as e:
            raise self.error(fields["file"], f"{what}: cannot read {name}: {e.strerror or e}") from None
        if arr.dtype.kind not in "fiu":
            raise self.error(node, f"{what}: {label} holds {arr.dtype} values; expected real numbers")
        arr = np.asarray(arr, dtype=np.float64)
        if not np.isfinite(arr).all():
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
            raise self.error(node, f"{what}: {label} has a value that is not finite at index {index}")
        return arr, label

    def resolve(self, node: Node, name: str, what: str) -> Path:
        """The path of a weight file, refused if it leaves the spec's folder."""
        path = Path(name)
        full = path if path.is_absolute() else self.base / path
        if not self.allow_outside:
            inside = not path.is_absolute() and full.resolve().is_relative_to(self.base.resolve())
            if not inside:
                how = "is an absolute path" if path.is_absolute() else "leaves the spec's folder"
                raise self.error(
                    node,
                    f"{what}: '{name}' {how}; weight files must be inside the spec's folder "
                    "(pass --allow-outside-paths to allow it)",
                )
        return full

    # -- the network

    def activation(self, node: Node, what: str) -> activations.Activation:
        params: dict[str, float] = {}
        if isinstance(node, MappingNode):
            allowed: tuple[str, ...] = ("name",)
            name_node = next((v for k, v in node.value if k.value == "name"), None)
            if name_node is None:
                raise self.error(node, f"{what} needs a 'name', like {{name: leaky_relu, alpha: 0.1}}")
            d = self._definition(name_node, what)
            if not d.params:
                extra = next((k for k, _ in node.value if k.value != "name"), None)
                if extra is not None:
                    raise self.error(extra, f"{what}: {d.name} takes no parameters")
            fields = self.mapping(node, f"{what} '{d.name}'", allowed + tuple(d.params))
            for key in d.params:
                if key in fields:
                    params[key] = self.number(fields[key], f"{what} parameter '{key}'")
            act = activations.get(d.name, **params)
            problem = d.check(**act.kwargs) if d.check else None
            if problem:
                raise self.error(node, f"{what} '{d.name}': {problem}")
            return act
        d = self._definition(node, what)
        return activations.get(d.name)

    def _definition(self, node: Node, what: str) -> activations.ActivationDef:
        name = self.text(node, f"{what} name").strip()
        d = activations.REGISTRY.get(name)
        if d is None:
            hint = difflib.get_close_matches(name.lower(), activations.REGISTRY, n=1)
            suggest = f"did you mean '{hint[0]}'? " if hint else ""
            raise self.error(
                node,
                f"unknown activation '{name}'; {suggest}known: {activations.known_names()}",
            )
        return d

    def layer(self, node: Node, index: int, prev: Layer | None) -> Layer:
        where = f"layer {index}"
        fields = self.mapping(node, where, LAYER_KEYS)
        name = self.text(fields["name"], f"{where} name") if "name" in fields else f"layer{index}"
        what = f"layer '{name}'"
        if "weights" not in fields:
            raise self.error(node, f"{what} has no 'weights'; expected a matrix with one row per unit")
        wnode = fields["weights"]
        weights_from = None
        if isinstance(wnode, MappingNode):
            W, weights_from = self.array_file(wnode, f"{what} weights")
            if W.ndim != 2:
                raise self.error(
                    wnode,
                    f"{what}: weights from {weights_from} have shape {W.shape}; "
                    "expected a 2-D matrix (units × inputs)",
                )
        else:
            W = self.matrix(wnode, f"{what} weights")
        whose = f"weights from {weights_from}" if weights_from else "weights"
        if prev is not None and W.shape[1] != prev.nout:
            raise self.error(
                wnode,
                f"{what}: {whose} have {W.shape[1]} column{'s' if W.shape[1] != 1 else ''}, "
                f"but layer '{prev.name}' has {prev.nout} unit{'s' if prev.nout != 1 else ''}; "
                "expected one column per unit of the layer before",
            )
        has_bias = "bias" in fields
        b = np.zeros(W.shape[0])
        bias_from = None
        if has_bias:
            bnode = fields["bias"]
            if isinstance(bnode, MappingNode):
                b, bias_from = self.array_file(bnode, f"{what} bias")
                if b.ndim == 2 and 1 in b.shape:  # one row or one column of a CSV file
                    b = b.reshape(-1)
                if b.ndim != 1:
                    raise self.error(bnode, f"{what}: bias from {bias_from} has shape {b.shape}; expected a vector")
            elif isinstance(bnode, ScalarNode) and W.shape[0] == 1:
                b = np.array([self.number(bnode, f"{what} bias")])
            else:
                b = self.vector(bnode, f"{what} bias")
            if b.shape[0] != W.shape[0]:
                has = f"bias from {bias_from} has" if bias_from else "bias has"
                raise self.error(
                    bnode,
                    f"{what}: {has} {b.shape[0]} value{'s' if b.shape[0] != 1 else ''}, "
                    f"but {whose} have {W.shape[0]} row{'s' if W.shape[0] != 1 else ''}; "
                    "expected one bias per unit",
                )
        act = (
            self.activation(fields["activation"], f"{what} activation")
            if "activation" in fields
            else activations.get("linear")
        )
        return Layer(name, frozen(W), frozen(b), act, has_bias, weights_from, bias_from)

    def network(self, root: Node | None) -> Network:
        if root is None:
            raise SpecError("the spec is empty; expected a mapping with 'layers'", self.source)
        self.measure(root)
        fields = self.mapping(root, "the spec", TOP_KEYS)
        if "layers" not in fields:
            raise self.error(root, "the spec has no 'layers'; expected a list of layers")
        lnode = fields["layers"]
        if not isinstance(lnode, SequenceNode) or not lnode.value:
            got = "an empty list" if isinstance(lnode, SequenceNode) else _kind(lnode)
            raise self.error(lnode, f"'layers' must be a non-empty list of layers, got {got}")
        layers: list[Layer] = []
        seen: dict[str, Node] = {}
        for i, node in enumerate(lnode.value, 1):
            layer = self.layer(node, i, layers[-1] if layers else None)
            if layer.name in seen:
                raise self.error(node, f"layer name '{layer.name}' is used twice; names must be unique")
            seen[layer.name] = node
            layers.append(layer)
        net = Network(
            tuple(layers),
            name=self.text(fields["name"], "name") if "name" in fields else None,
            description=(
                self.text(fields["description"], "description") if "description" in fields else None
            ),
            source=self.source,
        )
        if "input" in fields:
            net = replace(net, input=frozen(self.inputs(fields["input"], net)))
        return net

    def inputs(self, node: Node, net: Network) -> np.ndarray:
        """``input: [1, 2]`` (one input) or ``input: [[1, 2], [3, 4]]`` (a batch)."""
        rows = (
            node.value
            if isinstance(node, SequenceNode) and node.value and isinstance(node.value[0], SequenceNode)
            else [node]
        )
        out = []
        for i, row in enumerate(rows):
            what = "input" if len(rows) == 1 else f"input {i + 1}"
            vec = self.vector(row, what)
            try:
                check_length(len(vec), net, what)
            except InputError as e:
                raise self.error(row, e.message) from None
            out.append(vec)
        return np.array(out)


def json_schema() -> dict:
    """A JSON Schema (draft 2020-12) of the spec format, from the loader's own tables.

    It checks structure (keys, types, activation names and parameters); shapes that
    depend on other layers (columns against units) only the loader can check.
    """
    number = {"type": "number"}
    text = {"type": "string", "minLength": 1}
    vector = {"type": "array", "items": number, "minItems": 1}
    matrix = {"type": "array", "items": {"$ref": "#/$defs/vector"}, "minItems": 1}
    file_ref = {
        "type": "object",
        "properties": {k: {**text, "description": d} for k, d in FILE_FIELDS.items()},
        "required": ["file"],
        "additionalProperties": False,
    }
    names = sorted(activations.REGISTRY)
    by_name = [
        {
            "type": "object",
            "description": f"{d.name} ({d.pytorch}), with its parameters",
            "properties": {
                "name": {"enum": [d.name, *d.aliases]},
                **{p: {**number, "default": v} for p, v in d.params.items()},
            },
            "required": ["name"],
            "additionalProperties": False,
        }
        for d in activations.definitions()
    ]
    layer_parts = {
        "name": text,
        "activation": {"oneOf": [{"enum": names}, *by_name]},
        "weights": {"oneOf": [{"$ref": "#/$defs/matrix"}, {"$ref": "#/$defs/file"}]},
        "bias": {"oneOf": [number, {"$ref": "#/$defs/vector"}, {"$ref": "#/$defs/file"}]},
    }
    top_parts = {
        "name": text,
        "description": text,
        "input": {"oneOf": [{"$ref": "#/$defs/vector"}, {"$ref": "#/$defs/matrix"}]},
        "layers": {"type": "array", "items": {"$ref": "#/$defs/layer"}, "minItems": 1},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "nncalc network spec",
        "description": "A feed-forward network for nncalc: a = activation(W a_prev + b), layer by layer.",
        "type": "object",
        "properties": {k: {**top_parts[k], "description": d} for k, d in TOP_FIELDS.items()},
        "required": ["layers"],
        "additionalProperties": False,
        "$defs": {
            "vector": vector,
            "matrix": matrix,
            "file": file_ref,
            "layer": {
                "type": "object",
                "properties": {k: {**layer_parts[k], "description": d} for k, d in LAYER_FIELDS.items()},
                "required": ["weights"],
                "additionalProperties": False,
            },
        },
    }


def to_yaml(net: Network, comment: str | None = None) -> str:
    r"""The spec text of ``net``: what :func:`parse_spec` reads back, bit for bit.

    Floats are written with Python's shortest round-trip repr, text as JSON strings
    (which YAML reads as double-quoted scalars).

    >>> net = parse_spec("layers:\n  - {name: h, weights: [[0.1, 2]], activation: relu}")
    >>> print(to_yaml(net), end="")
    layers:
      - name: "h"
        activation: relu
        weights:  # 1 unit × 2 inputs, one row per unit
          - [0.1, 2.0]
    >>> parse_spec(to_yaml(net)).layers[0].W.tolist()
    [[0.1, 2.0]]
    """

    def row(values: np.ndarray) -> str:
        return "[" + ", ".join(repr(float(v)) for v in values) + "]"

    out = [f"# {line}".rstrip() for line in (comment or "").splitlines()]
    if net.name is not None:
        out.append(f"name: {json.dumps(net.name)}")
    if net.description is not None:
        out.append(f"description: {json.dumps(net.description)}")
    if net.input is not None:
        inputs = net.input
        out.append(f"input: {row(inputs[0]) if len(inputs) == 1 else '[' + ', '.join(map(row, inputs)) + ']'}")
    out.append("layers:")
    for layer in net.layers:
        act = layer.activation
        if act.params:
            fields = ", ".join(f"{k}: {v!r}" for k, v in act.params)
            act_text = f"{{name: {act.name}, {fields}}}"
        else:
            act_text = act.name
        shape = f"{layer.nout} unit{'s' if layer.nout != 1 else ''} × {layer.nin} input{'s' if layer.nin != 1 else ''}"
        out += [
            f"  - name: {json.dumps(layer.name)}",
            f"    activation: {act_text}",
            f"    weights:  # {shape}, one row per unit",
        ]
        out += [f"      - {row(w)}" for w in layer.W]
        if layer.has_bias:
            out.append(f"    bias: {row(layer.b)}")
    return "\n".join(out) + "\n"


def parse_spec(
    text: str, source: str = "<spec>", base: Path | None = None, allow_outside: bool = False
) -> Network:
    """Validate spec text and build the network; SpecError names the line and column.

    ``base`` is the folder that weight files are relative to (default: the current one).
    """
    builder = _Builder(source, base or Path.cwd(), allow_outside)
    return builder.network(_compose(text, source))
