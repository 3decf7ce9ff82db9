"""The validated network: immutable, shapes checked once, ready for the engine.

:func:`build_network` holds every shape rule. The YAML loader, :func:`nncalc.from_arrays`
and the model importers all hand it plain arrays; it checks them and says what is wrong
in the user's terms (layer names, the files the arrays came from). ``W`` is stored as
the seed writes it, one row per unit (out x in).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from nncalc import activations
from nncalc.activations import Activation
from nncalc.errors import InputError, SpecError, did_you_mean, plural

if TYPE_CHECKING:
    from nncalc.backward import Gradients
    from nncalc.engine import Trace
    from nncalc.stats import Stats


def frozen(a: np.ndarray) -> np.ndarray:
    """A read-only float64 copy, so a Network cannot change under a Trace."""
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


def round_significant(x: np.ndarray, digits: int) -> np.ndarray:
    """Each value rounded to ``digits`` significant digits.

    >>> round_significant(np.array([0.123456, -98765.4, 0.0]), 3).tolist()
    [0.123, -98800.0, 0.0]
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        magnitude = np.floor(np.log10(np.abs(np.where(x == 0, 1.0, x))))
    factor = 10.0 ** (digits - 1 - magnitude)
    return np.round(x * factor) / factor


@dataclass(frozen=True, repr=False, eq=False)
class Layer:
    name: str
    W: np.ndarray
    b: np.ndarray
    activation: Activation
    has_bias: bool = True  # False when the spec gave no bias (shown without a "+ b" term)
    weights_from: str | None = None  # the file the weights were read from, if not inline
    bias_from: str | None = None
    # With an exact reading (nncalc.spec.parse_spec(..., exact=True)): W and b as object
    # arrays of fractions.Fraction, the values exactly as written (0.1 is 1/10).
    exact: tuple[np.ndarray, np.ndarray] | None = None
    exact_params: tuple[tuple[str, Any], ...] | None = None  # the activation's, as Fractions

    @property
    def nin(self) -> int:
        return self.W.shape[1]

    @property
    def nout(self) -> int:
        return self.W.shape[0]

    @property
    def n_params(self) -> int:
        return self.W.size + self.b.size

    def __repr__(self) -> str:
        return f"<Layer {self.name}: {self.nin} → {self.nout}, {self.activation.label}>"

    def __setstate__(self, state: dict[str, Any]) -> None:
        _restore(self, state)


@dataclass(frozen=True, repr=False, eq=False)
class Network:
    """A feed-forward network: layers applied in order, ``a = act(W a_prev + b)``.

    Build one with :func:`nncalc.load`, :func:`nncalc.loads` or :func:`nncalc.from_arrays`.

    >>> import nncalc
    >>> net = nncalc.load("two-layer")
    >>> net
    <Network two-layer network: 2 → 3 → 1, relu, linear, 13 parameters>
    >>> net.forward([1, 2]).output.tolist()
    [[0.28]]
    """

    layers: tuple[Layer, ...]
    name: str | None = None
    description: str | None = None
    input: np.ndarray | None = None  # default inputs, shape (batch, nin), or None
    source: str = "<network>"  # where it was read from, for messages
    target: np.ndarray | None = None  # expected outputs (batch, nout), for backward
    exact_input: np.ndarray | None = None  # the input as Fractions, with an exact reading

    @property
    def nin(self) -> int:
        return self.layers[0].nin

    @property
    def nout(self) -> int:
        return self.layers[-1].nout

    @property
    def sizes(self) -> tuple[int, ...]:
        """Inputs, then each layer's units: (2, 3, 1) for the seed's Example 2."""
        return (self.nin, *(layer.nout for layer in self.layers))

    @property
    def n_params(self) -> int:
        return sum(layer.n_params for layer in self.layers)

    # -- the public API: compute (imports stay inside, so loading a network stays light)

    def forward(self, x: Any = None) -> "Trace":
        """Every ``z`` and ``a`` for one input or a batch (one input per row).

        Without ``x``, the spec's own ``input:``.
        """
        from nncalc.engine import forward

        return forward(self, self._batch(x))

    def predict(self, x: Any) -> np.ndarray:
        """Only the outputs, shape (batch, units): the fast path for big batches."""
        from nncalc.engine import predict

        return predict(self, self._batch(x, keep=False))

    def stats(self, x: Any, saturation: float = 0.01) -> "Stats":
        """Dead and saturated units, each unit's range, and output classes over the batch
        ``x``: see :mod:`nncalc.stats` (``saturation`` is the derivative threshold)."""
        from nncalc.stats import compute

        return compute(self, [self._batch(x, keep=False)], saturation)

    def backward(self, x: Any = None, target: Any = None, loss: str | None = None, **options: Any) -> "Gradients":
        """The loss and every gradient for inputs ``x`` and their targets: what ``nncalc
        backward`` shows. Without ``x`` and ``target``, the spec's own ``input`` and
        ``target``; see :func:`nncalc.backward.backward` for the options.

        >>> import nncalc
        >>> g = nncalc.load("two-layer").backward([1, 2], [1.0])
        >>> g.loss_name, round(g.loss, 12)
        ('half-sse', 0.2592)
        """
        from nncalc.backward import backward

        return backward(self, x, target, loss, **options)

    def summary(self) -> str:
        """What ``nncalc validate`` shows, as plain text."""
        from nncalc.render.notebook import summary_text

        return summary_text(self)

    def _batch(self, x: Any, keep: bool = True) -> np.ndarray:
        """``x`` as a float64 batch (one input per row) that fits the first layer, read-only.

        A caller's float64 array is copied where the result keeps it (a trace), so that a
        change to the array later cannot change the result; with ``keep=False`` (only the
        outputs are kept) it is read where it is, through a read-only view.
        """
        if x is None:
            if self.input is None:
                raise InputError(
                    f"no input given, and the network has no 'input'; give {self.nin} numbers",
                    source=self.source,
                )
            return self.input
        try:
            return check_inputs(x, self, keep)
        except SpecError as e:
            raise InputError(e.message.replace("input has", "the input has", 1)) from None

    def __setstate__(self, state: dict[str, Any]) -> None:
        _restore(self, state)

    def __repr__(self) -> str:
        acts = ", ".join(layer.activation.label for layer in self.layers)
        sizes = " → ".join(map(str, self.sizes))
        name = self.name or self.source
        params = f"{self.n_params:,} parameter{'s' if self.n_params != 1 else ''}"
        return f"<Network {name}: {sizes}, {acts}, {params}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from nncalc.render.notebook import network_bundle

        return network_bundle(self)


def _restore(obj: object, state: dict[str, Any]) -> None:
    """Unpickling: the arrays come back read-only, as they were."""
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        object.__setattr__(obj, key, value)


# --------------------------------------------------------------------- the shape rules


def _fail(message: str, source: str, field: tuple[Any, ...]) -> SpecError:
    """A SpecError that remembers which part of the spec it is about.

    ``field`` is a path such as ``("layers", 1, "bias")``; a loader that knows where that
    part was written (the YAML line and column) adds the position.
    """
    e = SpecError(message, source=source)
    e.field = field
    return e


def joins_emoji(name: str, i: int, category: Any) -> bool:
    """Whether ``name[i]`` is a zero-width joiner inside an emoji sequence (👩‍💻: a
    symbol, perhaps a skin tone or the emoji form U+FE0F, the joiner, a symbol): the one
    format character a name may hold, as it hides nothing there."""
    if name[i] != "\u200d" or not 0 < i < len(name) - 1:
        return False
    before, after = name[i - 1], name[i + 1]
    return (category(before) in ("So", "Sk") or before == "\ufe0f") and category(after) == "So"


def check_name(name: Any, what: str, source: str, field: tuple[Any, ...]) -> str:
    """A name as a person reads it: non-empty text without control characters."""
    if not isinstance(name, str) or not name.strip():
        raise _fail(f"{what} must be non-empty text, got {name!r}", source, field)
    if name.isascii() and name.isprintable():
        return name  # (the test below, for the common case, without loading unicodedata)
    import unicodedata

    category = unicodedata.category
    bad = next(
        (
            c
            for i, c in enumerate(name)
            if category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") and not joins_emoji(name, i, category)
        ),
        None,
    )
    if bad is not None:
        raise _fail(
            f"{what} holds the control character U+{ord(bad):04X}; names must be printable text",
            source,
            field,
        )
    return name


def _array(value: Any, what: str, source: str, field: tuple[Any, ...], keep: bool = True) -> np.ndarray:
    """A read-only float64 array of finite real numbers that no caller holds: the caller's
    own float64 array is copied, one that had to be converted (float32) is not copied
    again. With ``keep=False`` (the array is read and let go, as ``predict`` reads a
    batch) a caller's float64 array is not copied but seen through a read-only view: a
    copy of a large batch took longer than the products that read it."""
    ma = sys.modules.get("numpy.ma")  # nothing is a masked array until numpy.ma is imported
    if ma is not None and ma.isMaskedArray(value) and ma.getmaskarray(value).any():
        raise _fail(f"{what} have masked values; give every value", source, field)
    if isinstance(value, np.ndarray):
        arr = np.asarray(value)
        first = arr
    else:
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):
            raise _fail(f"{what} must be numbers in rows of equal length", source, field) from None
        if arr.dtype == object:  # Python ints beyond 64 bits, Fractions, Decimals
            try:
                arr = np.array(value, dtype=np.float64)
            except OverflowError:
                raise _fail(f"{what} hold a value too large for float64", source, field) from None
            except (ValueError, TypeError):
                pass
        elif arr.dtype.kind in "iu" and _holds_bool(value):
            raise _fail(f"{what} must be numbers, not True or False", source, field)
        first = arr
    kinds = {"b": "True/False values", "U": "text", "S": "bytes", "O": "Python objects", "c": "complex numbers"}
    if arr.dtype == bool or arr.dtype.kind not in "fiu":
        got = kinds.get(arr.dtype.kind, f"{arr.dtype} values")
        raise _fail(f"{what} must be real numbers, got {got}", source, field)
    try:
        with np.errstate(over="raise"):
            arr = np.asarray(arr, dtype=np.float64)
    except (OverflowError, FloatingPointError):
        raise _fail(f"{what} hold a value too large for float64", source, field) from None
    # A finite sum means every value is finite (one pass, no temporary array); only a sum
    # that is not finite needs the values searched.
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum()
    if not np.isfinite(total) and not np.isfinite(arr).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise _fail(f"{what} hold a value that is not finite, at index {index}", source, field)
    if isinstance(value, np.ndarray):
        held = np.may_share_memory(arr, value) and not _handed_over(value)
    else:  # a tensor, a DataFrame, a memoryview, anything with __array__: its memory
        held = arr is first and not isinstance(value, (list, tuple))
    if held:
        arr = arr.copy() if keep else arr.view()
    arr.flags.writeable = False
    return arr


def handover(arr: np.ndarray) -> np.ndarray:
    """Mark an array its maker will not change again (a model reader's freshly converted
    weights), so that a network keeps it without copying it.

    >>> w = handover(np.ones((2, 2)))
    >>> build_network([{"weights": w}]).layers[0].W is w
    True
    """
    arr.flags.writeable = False
    return arr


def _handed_over(arr: np.ndarray) -> bool:
    """True for a read-only float64 array (or a view of one) that owns its memory: no
    one can change it but by setting it writeable again on purpose."""
    root = arr
    while isinstance(root.base, np.ndarray):
        root = root.base
    return arr.dtype == np.float64 and not arr.flags.writeable and root.flags.owndata and not root.flags.writeable


def _holds_bool(value: Any) -> bool:
    """True when nested lists hold a bool (which NumPy quietly turns into 1 or 0)."""
    if isinstance(value, bool):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_bool(v) for v in value)
    return False


def resolve_activation(spec: Any, what: str, source: str, field: tuple[Any, ...]) -> Activation:
    """An activation from a name (``"relu"``), a mapping with parameters
    (``{"name": "leaky_relu", "alpha": 0.1}``) or an :class:`Activation`."""
    if isinstance(spec, Activation):
        return spec
    if spec is None:
        return activations.get("linear")
    params: dict[str, Any] = {}
    if isinstance(spec, Mapping):
        if "name" not in spec:
            raise _fail(f"{what} needs a 'name', like {{name: leaky_relu, alpha: 0.1}}", source, field)
        params = {k: v for k, v in spec.items() if k != "name"}
        spec = spec["name"]
    if not isinstance(spec, str) or not spec.strip():
        raise _fail(f"{what} name must be text, got {spec!r}", source, field + ("name",) if params else field)
    name = spec.strip()
    d = activations.REGISTRY.get(name)
    if d is None:
        suggest = did_you_mean(name.lower(), activations.REGISTRY)
        where = field + ("name",) if isinstance(params, dict) and params else field
        raise _fail(f"unknown activation '{name}'; {suggest}known: {activations.known_names()}", source, where)
    for key, value in params.items():
        if key not in d.params:
            if not d.params:
                raise _fail(f"{what}: {d.name} takes no parameters", source, field + (key,))
            suggest = did_you_mean(str(key), d.params)
            raise _fail(
                f"unknown parameter '{key}' of {what} '{d.name}'; {suggest}expected: {', '.join(d.params)}",
                source,
                field + (key,),
            )
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise _fail(f"{what} parameter '{key}' must be a number, got {value!r}", source, field + (key,))
        try:
            finite = np.isfinite(float(value))
        except OverflowError:
            finite = False
        if not finite:
            raise _fail(f"{what} parameter '{key}' must be a finite number", source, field + (key,))
    values = {**d.params, **{k: float(v) for k, v in params.items()}}
    problem = d.check(**values) if d.check else None
    if problem:
        raise _fail(f"{what} '{d.name}': {problem}", source, field)
    return activations.get(d.name, **values)


def build_layer(
    spec: Mapping[str, Any], index: int, prev: Layer | None, source: str = "<arrays>"
) -> Layer:
    """One layer from ``weights`` (units × inputs), ``bias``, ``activation``, ``name``.

    ``index`` counts from 1; ``prev`` is the layer before, whose units this one's
    weights must have one column each for. ``weights_from``/``bias_from`` name where the
    arrays came from (``model.npz[fc1.weight]``), for messages and summaries.
    """
    base = ("layers", index - 1)
    unknown = set(spec) - {"name", "weights", "bias", "activation", "weights_from", "bias_from", "exact", "exact_params"}
    if unknown:
        raise _fail(
            f"layer {index}: unknown key '{sorted(unknown)[0]}'; expected: name, weights, bias, activation",
            source,
            base,
        )
    name = spec.get("name")
    name = f"layer{index}" if name is None else check_name(name, f"layer {index} name", source, base + ("name",))
    what = f"layer '{name}'"
    if spec.get("weights") is None:
        raise _fail(f"{what} has no 'weights'; expected a matrix with one row per unit", source, base)
    weights_from, bias_from = spec.get("weights_from"), spec.get("bias_from")
    whose = f"weights from {weights_from}" if weights_from else "weights"
    W = _array(spec["weights"], f"{what}: {whose}", source, base + ("weights",))
    if W.ndim != 2:
        raise _fail(
            f"{what}: {whose} have shape {W.shape}; expected a 2-D matrix (units × inputs), one row per unit",
            source,
            base + ("weights",),
        )
    if 0 in W.shape:
        raise _fail(
            f"{what}: {whose} are empty (shape {W.shape}); expected at least one unit and one input",
            source,
            base + ("weights",),
        )
    if prev is not None and W.shape[1] != prev.nout:
        raise _fail(
            f"{what}: {whose} have {plural(W.shape[1], 'column')}, "
            f"but layer '{prev.name}' has {plural(prev.nout, 'unit')}; "
            "expected one column per unit of the layer before",
            source,
            base + ("weights",),
        )
    has_bias = spec.get("bias") is not None
    if has_bias:
        has = f"bias from {bias_from} has" if bias_from else "bias has"
        b = _array(spec["bias"], f"{what}: {has[:-4]}", source, base + ("bias",))
        if b.ndim == 0:
            b = b.reshape(1)
        elif b.ndim == 2 and 1 in b.shape and bias_from:  # one row or one column of a CSV file
            b = b.reshape(-1)
        if b.ndim != 1:
            raise _fail(f"{what}: {has[:-4]} has shape {b.shape}; expected a vector", source, base + ("bias",))
        if b.shape[0] != W.shape[0]:
            raise _fail(
                f"{what}: {has} {plural(b.shape[0], 'value')}, "
                f"but {whose} have {plural(W.shape[0], 'row')}; expected one bias per unit",
                source,
                base + ("bias",),
            )
    else:
        b = np.zeros(W.shape[0])
    act = resolve_activation(spec.get("activation"), f"{what} activation", source, base + ("activation",))
    exact = spec.get("exact")
    if exact is not None:
        from fractions import Fraction

        Wq, bq = exact
        Wq = np.array(Wq, dtype=object).reshape(W.shape)
        bq = np.array(bq if bq is not None else [Fraction(0)] * len(b), dtype=object).reshape(b.shape)
        Wq.flags.writeable = bq.flags.writeable = False
        exact = (Wq, bq)
    b.flags.writeable = False
    exact_params = tuple(spec["exact_params"]) if spec.get("exact_params") else None
    return Layer(name, W, b, act, has_bias, weights_from, bias_from, exact, exact_params)


def build_network(
    layers: Sequence[Mapping[str, Any]],
    *,
    name: str | None = None,
    description: str | None = None,
    input: Any = None,
    source: str = "<arrays>",
) -> Network:
    """Check every shape rule and build an immutable :class:`Network`.

    >>> net = build_network([{"weights": [[1.0, 2.0]], "activation": "relu"}])
    >>> net.sizes, net.layers[0].name
    ((2, 1), 'layer1')
    >>> build_network([{"weights": [[1.0, 2.0]]}, {"weights": [[1.0, 2.0]]}])
    Traceback (most recent call last):
    ...
    nncalc.errors.SpecError: <arrays>: layer 'layer2': weights have 2 columns, but layer 'layer1' has 1 unit; expected one column per unit of the layer before
    """
    if isinstance(layers, (str, bytes, Mapping)) or not isinstance(layers, Sequence) or not layers:
        raise _fail("'layers' must be a non-empty list of layers", source, ("layers",))
    built: list[Layer] = []
    seen: set[str] = set()
    for i, spec in enumerate(layers, 1):
        prev = built[-1] if built else None
        if isinstance(spec, Layer):  # already built, by build_layer
            if prev is not None and spec.nin != prev.nout:
                raise _fail(
                    f"layer '{spec.name}' takes {plural(spec.nin, 'input')}, but layer "
                    f"'{prev.name}' has {plural(prev.nout, 'unit')}",
                    source,
                    ("layers", i - 1, "weights"),
                )
            layer = spec
        elif isinstance(spec, Mapping):
            layer = build_layer(spec, i, prev, source)
        else:
            raise _fail(
                f"layer {i} must be a mapping (weights, bias, activation, name), got {type(spec).__name__}",
                source,
                ("layers", i - 1),
            )
        if layer.name in seen:
            raise _fail(f"layer name '{layer.name}' is used twice; names must be unique", source, ("layers", i - 1))
        seen.add(layer.name)
        built.append(layer)
    if name is not None:
        name = check_name(name, "name", source, ("name",))
    if description is not None:
        description = check_name(description, "description", source, ("description",))
    net = Network(tuple(built), name=name, description=description, source=source)
    if input is not None:
        net = replace(net, input=frozen(check_inputs(input, net)))
    return net


def length_problem(n: int, net: Network, what: str, output: bool = False) -> str | None:
    """What is wrong with an input (or, with ``output``, a target) of ``n`` values.

    >>> net = build_network([{"name": "hidden", "weights": [[1.0, 2.0]]}])
    >>> length_problem(3, net, "input")
    "input has 3 values, but layer 'hidden' takes 2 inputs (its weights have 2 columns)"
    """
    if output:
        last = net.layers[-1]
        if n != net.nout:
            return (
                f"{what} has {plural(n, 'value')}, but the output layer '{last.name}' has "
                f"{plural(net.nout, 'unit')}; expected one value per output unit"
            )
        return None
    if n != net.nin:
        first = net.layers[0]
        return (
            f"{what} has {plural(n, 'value')}, but layer '{first.name}' takes "
            f"{plural(net.nin, 'input')} (its weights have {plural(net.nin, 'column')})"
        )
    return None


def check_inputs(value: Any, net: Network, keep: bool = True) -> np.ndarray:
    """The default ``input``: one input or a batch, each with one value per input of the
    first layer (``keep``: as :func:`_array`)."""
    x = _array(value, "inputs", net.source, ("input",), keep)
    if x.ndim == 1:
        x = x.reshape(1, -1)
    if x.ndim != 2 or x.shape[0] == 0:
        raise _fail(f"input has shape {x.shape}; expected one input or a list of them", net.source, ("input",))
    problem = length_problem(x.shape[1], net, "input")
    if problem:
        raise _fail(problem, net.source, ("input",))
    return x
