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

import re
import stat
import sys
from dataclasses import replace
from pathlib import Path


import numpy as np
import yaml
from yaml.composer import Composer
from yaml.events import ScalarEvent, SequenceEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from nncalc import activations
from nncalc.errors import InputError, NncalcError, SpecError, did_you_mean
from nncalc.files import as_blocking, load_array, read_exact
from nncalc.numbers import parse_number
from nncalc.network import Layer, Network, build_layer, build_network, frozen, length_problem

EXAMPLES_DIR = Path(__file__).parent / "examples"

MAX_VALUES = 10_000_000  # scalars a spec may expand to, aliases included
MAX_DEPTH = 8  # a spec needs 6: spec > layers > layer > weights > row > number

# The keys a spec may use, with what they hold. The loader accepts exactly these keys, and
# json_schema() describes them, so the schema and the loader cannot disagree on them.
TOP_FIELDS = {
    "name": "The network's name, shown in titles.",
    "description": "One line about the network, shown by `nncalc examples`.",
    "input": "A default input, [1, 2], or a batch of them, [[1, 2], [3, 4]].",
    "target": "The expected output, for nncalc backward: one value per output unit, or a list of them (one per input).",
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
    "file": "A .npy, .npz, .safetensors, .csv or .tsv file, relative to the spec's folder.",
    "key": "With an .npz or .safetensors file: the name of the array.",
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


MAX_SPEC_BYTES = 512 * 1024 * 1024  # far above any spec init writes (about 10 MB)


def read_source(arg: str) -> tuple[str, str]:
    """The text of a spec and the name to report it by: a path, ``-``, or an example.

    Only regular files are read (a FIFO or a device could block or never end), and only
    up to MAX_SPEC_BYTES.
    """
    if arg == "-":
        source = "<stdin>"
        stdin = getattr(sys.stdin, "buffer", None) if sys.stdin is not None else None
        if stdin is None:
            raise SpecError("standard input is closed", source=source)
        data = read_exact(as_blocking(stdin), MAX_SPEC_BYTES + 1)
    else:
        path = Path(arg)
        source = arg
        if "\0" in arg:
            raise SpecError("a file name cannot hold a NUL character", source=repr(arg)[1:-1])
        try:
            info = path.stat()
        except FileNotFoundError:
            if arg in example_names():
                path, source = EXAMPLES_DIR / f"{arg}.yaml", arg
                info = path.stat()
            else:
                suggest = did_you_mean(arg, example_names(), "the example")
                raise SpecError(
                    f"no such file, and no bundled example of that name; {suggest}"
                    f"the examples are: {', '.join(example_names())}",
                    source=source,
                ) from None
        except OSError as e:
            raise SpecError(f"cannot read the file: {e.strerror or e}", source=source) from None
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a pipe or a device?)"
            raise SpecError(f"cannot read the file: it is {kind}", source=source)
        if info.st_size > MAX_SPEC_BYTES:
            raise SpecError(
                f"the file is {info.st_size:,} bytes; specs are read up to {MAX_SPEC_BYTES:,} "
                "(keep large weights in .npy files and name them in the spec)",
                source=source,
            )
        try:
            with path.open("rb") as f:
                data = read_exact(f, MAX_SPEC_BYTES + 1)
        except OSError as e:
            raise SpecError(f"cannot read the file: {e.strerror or e}", source=source) from None
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(f"the spec is longer than {MAX_SPEC_BYTES:,} bytes", source=source)
    try:
        return data.decode("utf-8-sig"), source
    except UnicodeDecodeError as e:
        what = "standard input is not" if arg == "-" else "not"
        raise SpecError(f"{what} UTF-8 text (byte {e.start + 1})", source=source) from None


def load_spec(arg: str, allow_outside: bool = False, exact: bool = False) -> Network:
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
    return parse_spec(text, source, base=base, allow_outside=allow_outside, exact=exact)


# ------------------------------------------------------------------------ composing
#
# libyaml's C parser (where PyYAML was built with it) turns the text into events; the
# nodes are composed here, in Python, for three reasons: a depth limit (libyaml's own
# composer recurses in C and crashes on deep nesting), the position of every value for
# messages, and memory: a list of plain scalars (a row of weights) becomes one compact
# node holding their texts and positions, not a node and two marks per number.

try:
    from yaml.cyaml import CParser as _EventParser  # libyaml

    def _init_parser(self: object, text: str) -> None:
        _EventParser.__init__(self, text)

except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml.parser import Parser as _PyParser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _EventParser(Reader, Scanner, _PyParser):  # type: ignore[no-redef]
        pass

    def _init_parser(self: object, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        _PyParser.__init__(self)


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        self.mark = mark


class _Mark:
    """A position in the spec (what messages need of yaml.Mark)."""

    __slots__ = ("line", "column")

    def __init__(self, line: int, column: int) -> None:
        self.line, self.column = line, column


class _Scalars(SequenceNode):
    """A list of plain values (a row of weights), kept compactly.

    ``texts`` are the values as written, ``styles`` their quoting (None when plain),
    ``tags`` the explicit tags by index, ``places`` line and column pairs. ``value``
    builds ordinary ScalarNodes when something needs them (an error message).
    """

    def __init__(self, loader: "_Loader", tag: str, start_mark: object, flow_style: bool | None) -> None:
        self.tag, self.start_mark, self.end_mark, self.flow_style = tag, start_mark, None, flow_style
        self.loader = loader
        self.texts: list[str] = []
        self.styles: list[str | None] = []
        self.tags: dict[int, str] = {}
        from array import array

        self.places = array("l")
        self._nodes: list[Node] | None = None

    def add(self, event: yaml.ScalarEvent) -> None:
        if event.tag not in (None, "!"):
            self.tags[len(self.texts)] = event.tag
        self.texts.append(event.value)
        self.styles.append(event.style or None)  # libyaml says '' for plain, PyYAML None
        self.places.append(event.start_mark.line)
        self.places.append(event.start_mark.column)

    @property
    def value(self) -> list[Node]:  # type: ignore[override]
        if self._nodes is None:
            self._nodes = [self.node(i) for i in range(len(self.texts))]
        return self._nodes

    @value.setter
    def value(self, nodes: list[Node]) -> None:
        self._nodes = nodes

    def node(self, i: int) -> ScalarNode:
        text, style = self.texts[i], self.styles[i]
        explicit = self.tags.get(i)
        tag = explicit or self.loader.resolve(ScalarNode, text, (style is None, style is not None))
        mark = _Mark(self.places[2 * i], self.places[2 * i + 1])
        node = ScalarNode(tag, text, mark, None, style=style)
        node.explicit = explicit is not None
        return node

    def __len__(self) -> int:
        return len(self.texts)


class _Loader(_EventParser, Composer, Resolver):
    """Events from libyaml (or PyYAML's parser), composed with a depth limit."""

    # libyaml's CParser has a composer of its own, in C; these are PyYAML's, in Python.
    check_node = Composer.check_node
    get_node = Composer.get_node
    get_single_node = Composer.get_single_node
    compose_document = Composer.compose_document

    def __init__(self, text: str) -> None:
        _init_parser(self, text)
        Composer.__init__(self)
        Resolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_scalar_node(self, anchor):  # type: ignore[no-untyped-def]
        explicit = self.peek_event().tag not in (None, "!")
        node = super().compose_scalar_node(anchor)
        node.style = node.style or None  # libyaml says '' for plain, PyYAML None
        node.explicit = explicit
        return node

    def compose_sequence_node(self, anchor):  # type: ignore[no-untyped-def]
        start = self.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(SequenceNode, None, start.implicit)
        row = _Scalars(self, tag, start.start_mark, start.flow_style)
        # Plain values first, kept compactly; anything else (a nested list, an anchor,
        # an alias) turns the row into an ordinary node and composes the rest as usual.
        while self.check_event(ScalarEvent) and self.peek_event().anchor is None:
            row.add(self.get_event())
        if self.check_event(SequenceEndEvent):
            row.end_mark = self.get_event().end_mark
            if anchor is not None:
                self.anchors[anchor] = row
            return row
        node = SequenceNode(tag, list(row.value), start.start_mark, None, flow_style=start.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        index = len(node.value)
        while not self.check_event(SequenceEndEvent):
            node.value.append(self.compose_node(node, index))
            index += 1
        node.end_mark = self.get_event().end_mark
        return node


def _position(text: str, index: int) -> tuple[int, int]:
    """Line and column (from 1) of a character index."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _compose(text: str, source: str) -> Node | None:
    loader = None
    try:
        loader = _Loader(text)
        return loader.get_single_node()
    except _TooDeep as e:
        raise SpecError(
            f"values nest more than {MAX_DEPTH} levels deep; a spec needs at most 6 "
            "(layers > layer > weights > row > number)",
            source,
            e.mark.line + 1,
            e.mark.column + 1,
        ) from None
    except yaml.reader.ReaderError as e:
        what = "control" if e.character < 0x20 or 0x7F <= e.character < 0xA0 else "special"
        index = e.position if isinstance(e.position, int) else 0
        raise SpecError(
            f"invalid YAML: the {what} character U+{e.character:04X} is not allowed in a spec",
            source,
            *_position(text, min(index, len(text))),
        ) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "invalid YAML"
        pos = (mark.line + 1, mark.column + 1) if mark else (None, None)
        if "nesting depth" in problem:  # libyaml's own limit, met while it reads ahead
            raise SpecError(
                f"values nest more than {MAX_DEPTH} levels deep; a spec needs at most 6 "
                "(layers > layer > weights > row > number)",
                source,
                *pos,
            ) from None
        raise SpecError(f"invalid YAML: {problem}", source, *pos) from None
    except yaml.YAMLError as e:
        raise SpecError(f"invalid YAML: {str(e).splitlines()[0]}", source) from None
    finally:
        if loader is not None:
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


# The characters of plain decimal numbers: a row of weights made only of these is read by
# NumPy's parser at once (which refuses malformed ones such as 1e or 1.5.5); anything
# else goes the slow way, value by value, for its message.
_DIGITS = b"0123456789+-.eE"

# YAML 1.2's other integer forms, read as YAML 1.2 reads them: 0x1F, 0o17, 0b101, and
# digits grouped with underscores (1_000). 017 is decimal 17 (parse_number reads it),
# and YAML 1.1's base-60 integers (1:30 for 90) are refused.
_OTHER_INTS = re.compile(r"([-+]?)(0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[0-9][0-9_]*)")
_BASES = {"0x": 16, "0o": 8, "0b": 2}


def _other_int(text: str) -> float | None:
    """A YAML 1.2 integer other than plain decimal, as a float; None if it is not one.

    >>> _other_int("0x1F"), _other_int("0o17"), _other_int("-1_000"), _other_int("1:30")
    (31.0, 15.0, -1000.0, None)
    """
    m = _OTHER_INTS.fullmatch(text.strip())
    if m is None:
        return None
    sign, body = m.groups()
    base = _BASES.get(body[:2].lower(), 10)
    digits = body[2:] if base != 10 else body
    digits = digits.replace("_", "")
    if not digits:
        return None
    try:
        value = float(int(digits, base))
    except (OverflowError, ValueError):  # beyond float64, or past Python's digit limit
        raise ValueError(f"'{text.strip()}' is too large for float64") from None
    return -value if sign == "-" else value


class _Builder:
    """Walks the composed YAML nodes once, turning them into plain values (arrays,
    names) for :func:`nncalc.network.build_network`, which checks every shape rule.

    The builder's own checks are about the YAML: types, numbers as written, keys, files.
    It remembers which node each part of the spec came from, so that a shape error from
    the model points at the line and column it is about.
    """

    def __init__(self, source: str, base: Path, allow_outside: bool, exact: bool = False) -> None:
        self.source = source
        self.base = base
        self.allow_outside = allow_outside
        self.exact = exact
        self.nodes: dict[tuple, Node] = {}
        self.parsed: dict[int, np.ndarray] = {}  # rows already read, by node

    def error(self, node: Node, message: str) -> SpecError:
        m = node.start_mark
        return SpecError(message, self.source, m.line + 1, m.column + 1)

    def placed(self, e: SpecError) -> SpecError:
        """A model's SpecError with the position of the part of the spec it is about."""
        field = getattr(e, "field", None)
        if field is None or e.line is not None:
            return e
        while field and field not in self.nodes:
            field = field[:-1]
        node = self.nodes.get(field)
        return self.error(node, e.message) if node is not None else e

    # -- safety: tags, recursion and expansion, before anything is built

    def measure(self, root: Node) -> None:
        """Refuse unsafe tags, recursive aliases and documents that expand too far."""
        sizes: dict[int, int] = {}
        active: set[int] = set()

        def check_tag(node: Node, tag: str) -> None:
            if tag not in _ALLOWED_TAGS:
                raise self.error(
                    node,
                    f"YAML tag '{_short_tag(tag)}' is not allowed; a spec holds "
                    "plain numbers, text, lists and mappings only",
                )

        def size(node: Node) -> int:
            key = id(node)
            if key in sizes:
                return sizes[key]
            if key in active:
                raise self.error(node, "an alias refers to the list or mapping it is in")
            check_tag(node, node.tag)
            if isinstance(node, _Scalars):
                for i, tag in node.tags.items():
                    if tag not in _ALLOWED_TAGS:
                        check_tag(node.node(i), tag)
                sizes[key] = len(node)
                return len(node)
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
                suggest = did_you_mean(str(key), keys)
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
            if getattr(node, "explicit", False):
                raise self.error(
                    node,
                    f"{what} must be a plain number, got '{node.value}' tagged "
                    f"{_short_tag(node.tag)}; write the number without a tag",
                )
            if node.style is not None:
                raise self.error(node, f"{what} must be a number, got the quoted text '{node.value}'")
            try:
                return parse_number(node.value)
            except ValueError as e:
                problem = str(e)
            try:
                value = _other_int(node.value)
            except ValueError as e:
                problem = str(e)
                value = None
            if value is not None:
                return value
            if ":" in node.value and node.tag == _INT:
                problem = (
                    f"'{node.value}' is not a number (YAML 1.1 would read it as base 60); "
                    "write the value you mean"
                )
            raise self.error(node, f"{what} must be a number, but {problem}")
        raise self.error(node, f"{what} must be a number, got {_kind(node)}")

    def vector(self, node: Node, what: str) -> np.ndarray:
        if not isinstance(node, SequenceNode):
            raise self.error(node, f"{what} must be a list of numbers, got {_kind(node)}")
        if not len(node.value if not isinstance(node, _Scalars) else node):
            raise self.error(node, f"{what} is empty; expected a list of numbers")
        fast = self.fast_numbers([node])
        if fast is not None:
            return fast
        return np.array([self.number(v, f"{what}[{i}]") for i, v in enumerate(node.value)])

    def fast_numbers(self, rows: list[Node]) -> np.ndarray | None:
        """All values of these rows (compact, plain, untagged, decimal and finite) at
        once, or None when any needs the value-by-value path and its messages.

        A row that aliases repeat is read once.
        """
        parts: list[np.ndarray] = []
        for row in rows:
            if not isinstance(row, _Scalars):
                return None
            values = self.parsed.get(id(row))
            if values is None:
                if row.tags or row.styles.count(None) != len(row):
                    return None
                try:
                    if "".join(row.texts).encode("ascii").translate(None, _DIGITS):
                        return None
                    values = np.array(row.texts, dtype=np.float64)
                except (UnicodeEncodeError, ValueError):
                    return None
                if not np.isfinite(values).all():
                    return None
                self.parsed[id(row)] = values
            parts.append(values)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def matrix(self, node: Node, what: str) -> np.ndarray:
        example = "weights: [[0.5, -0.2, 0.8]]"
        if isinstance(node, _Scalars) and len(node):
            rows: list[Node] = [node]
        elif not isinstance(node, SequenceNode) or not node.value:
            got = "an empty list" if isinstance(node, SequenceNode) else _kind(node)
            raise self.error(
                node, f"{what} must be a non-empty 2-D matrix (a list of rows), got {got}"
            )
        else:
            rows = node.value
        if not isinstance(rows[0], SequenceNode) or isinstance(node, _Scalars):
            raise self.error(
                node,
                f"{what} must be a 2-D matrix, a list of rows with one row per unit; "
                f"for a single neuron write one row, like {example}",
            )
        width = len(rows[0].value) if not isinstance(rows[0], _Scalars) else len(rows[0])
        for i, row in enumerate(rows):
            if not isinstance(row, SequenceNode):
                raise self.error(row, f"{what} row {i + 1} must be a list of numbers, got {_kind(row)}")
            n = len(row) if isinstance(row, _Scalars) else len(row.value)
            if not n:
                raise self.error(row, f"{what} row {i + 1} is empty")
            if n != width:
                raise self.error(
                    row,
                    f"{what} row {i + 1} has {n} values, but row 1 has {width}; "
                    "every row needs one weight per input",
                )
        fast = self.fast_numbers(rows)
        if fast is not None:
            return fast.reshape(len(rows), width)
        out = [[self.number(v, f"{what}[{i}][{j}]") for j, v in enumerate(row.value)] for i, row in enumerate(rows)]
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
        if key is not None and suffix not in (".npz", ".safetensors"):
            raise self.error(
                fields["key"], f"{what}: 'key' picks an array of an .npz or .safetensors file, and {name} is neither"
            )
        label = f"{name}[{key}]" if key is not None else name
        try:
            if suffix == ".safetensors":
                from nncalc.importers.safetensors import read_tensor

                arr = read_tensor(path, key)
            else:
                arr = load_array(path, key, name)
        except InputError as e:
            raise self.error(fields["file"], f"{what}: {e}") from None
        return arr, label

    def resolve(self, node: Node, name: str, what: str) -> Path:
        """The path of a weight file, refused if it leaves the spec's folder."""
        if "\0" in name:
            raise self.error(node, f"{what}: the file name contains a NUL character")
        path = Path(name)
        full = path if path.is_absolute() else self.base / path
        if not self.allow_outside:
            try:
                inside = not path.is_absolute() and full.resolve().is_relative_to(self.base.resolve())
            except (RuntimeError, OSError):  # a symlink loop
                raise self.error(node, f"{what}: cannot follow '{name}': its links go round in a loop") from None
            if not inside:
                how = "is an absolute path" if path.is_absolute() else "leaves the spec's folder"
                e = self.error(node, f"{what}: '{name}' {how}; weight files must be inside the spec's folder")
                e.hint = "outside_paths"
                raise e
        return full

    # -- exact values (with exact=True): each number as written, as a Fraction

    def exact_rows(self, node: Node, values: np.ndarray) -> np.ndarray:
        """The Fractions of a matrix or vector node whose float values are ``values``."""
        from fractions import Fraction

        from nncalc.numbers import parse_exact

        def texts(row: Node) -> list[str]:
            return row.texts if isinstance(row, _Scalars) else [n.value for n in row.value]

        flat = values.reshape(-1)
        if isinstance(node, MappingNode):  # read from a file: the floats are the values
            return np.array([Fraction(float(v)) for v in flat], dtype=object).reshape(values.shape)
        if isinstance(node, ScalarNode):
            written = [node.value]
        elif values.ndim == 2 and not isinstance(node, _Scalars):
            written = [t for row in node.value for t in texts(row)]
        else:
            written = texts(node)
        out = []
        for text, v in zip(written, flat):
            try:
                out.append(parse_exact(text))
            except ValueError:  # 0x1F and the other integer forms
                out.append(Fraction(float(v)))
        return np.array(out, dtype=object).reshape(values.shape)

    # -- the network

    def activation(self, node: Node, what: str, at: tuple) -> str | dict[str, object]:
        """A name, or a mapping of a name and parameters; the model checks both."""
        self.nodes[at] = node
        if isinstance(node, MappingNode):
            spec: dict[str, object] = {}
            for knode, vnode in node.value:
                key = knode.value if isinstance(knode, ScalarNode) else None
                if not isinstance(key, str):
                    raise self.error(knode, f"{what}: keys must be text, got {_kind(knode)}")
                if key in spec:
                    raise self.error(knode, f"duplicate key '{key}' in {what}")
                if key == "name":
                    spec[key] = self.text(vnode, f"{what} name").strip()
                    self.nodes[at + ("name",)] = vnode
                else:
                    spec[key] = self.number(vnode, f"{what} parameter '{key}'")
                    self.nodes[at + (key,)] = knode
                    if self.exact:
                        self.exact_params.append((key, self.exact_rows(vnode, np.array([spec[key]]))[0]))
            return spec
        return self.text(node, f"{what} name").strip()

    def layer(self, node: Node, index: int) -> dict[str, object]:
        at = ("layers", index - 1)
        self.nodes[at] = node
        where = f"layer {index}"
        fields = self.mapping(node, where, LAYER_KEYS)
        spec: dict[str, object] = {}
        if "name" in fields:
            spec["name"] = self.text(fields["name"], f"{where} name")
            self.nodes[at + ("name",)] = fields["name"]
        what = f"layer '{spec.get('name', f'layer{index}')}'"
        if "weights" in fields:
            wnode = fields["weights"]
            self.nodes[at + ("weights",)] = wnode
            if isinstance(wnode, MappingNode):
                spec["weights"], spec["weights_from"] = self.array_file(wnode, f"{what} weights")
            else:
                spec["weights"] = self.matrix(wnode, f"{what} weights")
        if "bias" in fields:
            bnode = fields["bias"]
            self.nodes[at + ("bias",)] = bnode
            if isinstance(bnode, MappingNode):
                spec["bias"], spec["bias_from"] = self.array_file(bnode, f"{what} bias")
            elif isinstance(bnode, ScalarNode) and np.shape(spec.get("weights"))[:1] == (1,):
                spec["bias"] = [self.number(bnode, f"{what} bias")]
            else:
                spec["bias"] = self.vector(bnode, f"{what} bias")
        self.exact_params: list[tuple[str, object]] = []
        if "activation" in fields:
            spec["activation"] = self.activation(fields["activation"], f"{what} activation", at + ("activation",))
        if self.exact_params:
            spec["exact_params"] = tuple(self.exact_params)
        if self.exact and "weights" in spec:
            Wq = self.exact_rows(fields["weights"], np.asarray(spec["weights"]))
            bq = self.exact_rows(fields["bias"], np.asarray(spec["bias"], dtype=float)) if "bias" in spec else None
            spec["exact"] = (Wq, bq)
        return spec

    def network(self, root: Node | None) -> Network:
        if root is None:
            raise SpecError("the spec is empty; expected a mapping with 'layers'", self.source)
        self.measure(root)
        fields = self.mapping(root, "the spec", TOP_KEYS)
        self.nodes[()] = root
        if "layers" not in fields:
            raise self.error(root, "the spec has no 'layers'; expected a list of layers")
        lnode = fields["layers"]
        self.nodes[("layers",)] = lnode
        if not isinstance(lnode, SequenceNode) or not lnode.value:
            got = "an empty list" if isinstance(lnode, SequenceNode) else _kind(lnode)
            raise self.error(lnode, f"'layers' must be a non-empty list of layers, got {got}")
        top: dict[str, str] = {}
        for key in ("name", "description"):
            if key in fields:
                top[key] = self.text(fields[key], key)
                self.nodes[(key,)] = fields[key]
        try:
            # Layer by layer, so a spec's first mistake is the one reported.
            layers: list[Layer] = []
            for i, node in enumerate(lnode.value, 1):
                spec = self.layer(node, i)
                layer = build_layer(spec, i, layers[-1] if layers else None, self.source)
                if any(layer.name == other.name for other in layers):
                    raise self.error(node, f"layer name '{layer.name}' is used twice; names must be unique")
                layers.append(layer)
            net = build_network(layers, **top, source=self.source)
        except SpecError as e:
            raise self.placed(e) from None
        for key, what, width in (("input", "input", net.nin), ("target", "target", net.nout)):
            if key in fields:
                rows = self.rows(fields[key], what, width, net)
                net = replace(net, **{key: frozen(rows)})
                if key == "input" and self.exact:
                    node = fields[key]
                    many = isinstance(node, SequenceNode) and not isinstance(node, _Scalars)
                    exact = self.exact_rows(node, rows if many else rows[0]).reshape(rows.shape)
                    exact.flags.writeable = False
                    net = replace(net, exact_input=exact)
        if net.input is not None and net.target is not None and len(net.target) != len(net.input):
            raise self.error(
                fields["target"],
                f"target has {len(net.target)} rows, but input has {len(net.input)}; "
                "give one target per input",
            )
        return net

    def rows(self, node: Node, what: str, width: int, net: Network) -> np.ndarray:
        """``input: [1, 2]`` (one input) or ``input: [[1, 2], [3, 4]]`` (a batch); the
        same for ``target``, whose rows have one value per output unit."""
        rows = (
            node.value
            if isinstance(node, SequenceNode)
            and not isinstance(node, _Scalars)
            and node.value
            and isinstance(node.value[0], SequenceNode)
            else [node]
        )
        out = []
        for i, row in enumerate(rows):
            name = what if len(rows) == 1 else f"{what} {i + 1}"
            vec = self.vector(row, name)
            problem = length_problem(len(vec), net, name, output=what == "target")
            if problem:
                raise self.error(row, problem)
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
        "target": {"oneOf": [{"$ref": "#/$defs/vector"}, {"$ref": "#/$defs/matrix"}]},
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
    import json


    def row(values: np.ndarray) -> str:
        return "[" + ", ".join(repr(float(v)) for v in values) + "]"

    out = [f"# {line}".rstrip() for line in (comment or "").splitlines()]
    if net.name is not None:
        out.append(f"name: {json.dumps(net.name)}")
    if net.description is not None:
        out.append(f"description: {json.dumps(net.description)}")
    for key, rows in (("input", net.input), ("target", net.target)):
        if rows is not None:
            out.append(f"{key}: {row(rows[0]) if len(rows) == 1 else '[' + ', '.join(map(row, rows)) + ']'}")
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
    text: str,
    source: str = "<spec>",
    base: Path | None = None,
    allow_outside: bool = False,
    exact: bool = False,
) -> Network:
    r"""Validate spec text and build the network; SpecError names the line and column.

    ``base`` is the folder that weight files are relative to (default: the current one).
    With ``exact``, each layer also keeps its numbers as written, as Fractions
    (``Layer.exact``, ``Network.exact_input``).

    >>> net = parse_spec("input: [1/3]\nlayers: [{weights: [[0.1]], bias: [-2/7]}]", exact=True)
    >>> net.layers[0].exact, net.exact_input
    ((array([[Fraction(1, 10)]], dtype=object), array([Fraction(-2, 7)], dtype=object)), array([[Fraction(1, 3)]], dtype=object))
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:  # a lone surrogate, from Python text
        line, column = _position(text, e.start)
        raise SpecError(f"not valid Unicode text: U+{ord(text[e.start]):04X} is half a character", source, line, column) from None
    text, moved = _joined_surrogates(text)
    builder = _Builder(source, base or Path.cwd(), allow_outside, exact)
    try:
        return builder.network(_compose(text, source))
    except NncalcError as e:
        if moved and e.source == source and e.line in moved and e.column:
            e.column += sum(shift for at, shift in moved[e.line] if at < e.column)
        raise


# A character beyond U+FFFF as JSON writes it by default, in two escapes ("\ud83d\ude00"
# for an emoji), which YAML does not read; an odd number of backslashes before it would
# make it text.
_SURROGATES = re.compile(r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)


def _joined_surrogates(text: str) -> tuple[str, dict[int, list[tuple[int, int]]]]:
    r"""A JSON document's pairs of surrogate escapes as the characters they stand for;
    and, for each line where one was, the (column, columns fewer) of each, so that a
    position found in the new text names the column of the text as written.

    >>> _joined_surrogates('{"name": "smile \\ud83d\\ude00", "x": 1}')
    ('{"name": "smile 😀", "x": 1}', {1: [(17, 11)]})

    Only JSON (a document that starts with ``{`` or ``[``): there a backslash is always an
    escape, where in YAML's plain and single-quoted text it is a backslash.
    """
    if "\\u" not in text or not text.lstrip().startswith(("{", "[")):
        return text, {}
    moved: dict[int, list[tuple[int, int]]] = {}
    pieces: list[str] = []
    done = size = start_of_line = 0  # size: of the new text so far
    line = 1
    for m in _SURROGATES.finditer(text):
        high, low = int(m[2], 16), int(m[3], 16)
        before = text[done : m.start() + len(m[1])]  # up to where the escapes begin
        if "\n" in before:
            line += before.count("\n")
            start_of_line = size + before.rfind("\n") + 1
        size += len(before)
        moved.setdefault(line, []).append((size - start_of_line + 1, 11))  # its column, from 1
        pieces += [before, chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))]
        size += 1
        done = m.end()
    pieces.append(text[done:])
    return "".join(pieces), moved
