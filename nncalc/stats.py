"""Batch diagnostics: what every unit did over a batch, gathered in one pass.

The lesson names each activation's known problem: ReLU units can die (``z`` is never
positive, so they output 0 and pass no gradient back), and sigmoid, tanh and softmax
units saturate (their derivative is nearly 0, so they barely learn). :class:`Running`
measures both on real data, a chunk of inputs at a time, with memory that does not grow
with the number of inputs:

- per unit, the min, mean, population std and max of ``z`` and ``a``, and the fraction
  of inputs where ``a`` is exactly 0;
- **dead** units of ``relu`` and ``leaky_relu`` layers: ``z`` never positive;
- **saturated** units of ``sigmoid``, ``tanh``, ``softmax``, ``hard_sigmoid`` and
  ``hard_tanh`` layers: the fraction of inputs where the activation's derivative (the
  registry's; for softmax the Jacobian's diagonal ``a_i (1 - a_i)``) is below a threshold;
- **classes**, when the last layer is ``softmax``, ``log_softmax`` or ``sigmoid``: how
  many inputs chose each output unit by argmax (the first unit wins a tie). A single
  ``sigmoid`` unit is a yes/no classifier instead: class 0 when ``a < 0.5``, class 1
  when ``a >= 0.5``.

>>> import nncalc
>>> s = nncalc.load("two-layer").stats([[2, 0], [0, 0], [1, 0]])
>>> s
<Stats two-layer network: 3 inputs, 1 dead unit of 3 in ReLU layers>
>>> s.layers[0].dead.tolist(), s.layers[0].z.max.round(12).tolist()
([3], [0.5, 0.6, 0.0])
>>> list(s.to_dict()), list(s.to_dict()["layers"][0])
(['inputs', 'layers', 'classes'], ['name', 'activation', 'units', 'dead', 'saturated', 'z', 'a'])

Pure NumPy: nothing here reads files or prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from nncalc.engine import BLOCK_VALUES, forward
from nncalc.errors import InputError
from nncalc.network import length_problem

if TYPE_CHECKING:
    from nncalc.network import Layer, Network

DEAD_FAMILY = ("relu", "leaky_relu")  # layers whose units can die
SATURATING = ("sigmoid", "tanh", "softmax", "hard_sigmoid", "hard_tanh")  # layers that saturate
CLASSIFIERS = ("softmax", "log_softmax", "sigmoid")  # last layers whose argmax is a class
DEFAULT_SATURATION = 0.01  # the lesson's "gradient at saturation ≈ 0"

# Columns whose largest |value| reaches 2**400 are kept divided by a power of two, so
# that squares summed over any number of rows stay finite (2**800 * n < 2**1024).
_BIG = 2.0**400


class Moments:
    """Running min, mean, population std and max of each column of a stream of rows.

    Each chunk's mean and sum of squared deviations ``M`` are computed on their own, then
    merged with the running ones (Chan, Golub and LeVeque's parallel update): for parts
    of ``n_a`` and ``n_b`` rows, ``M = M_a + M_b + (mean_b - mean_a)^2 n_a n_b / n``.
    This never subtracts two large sums, so it stays accurate where the textbook
    ``E[x^2] - E[x]^2`` loses every digit.

    >>> m = Moments(1)
    >>> for chunk in ([[1e9 + 4]], [[1e9 + 7], [1e9 + 13]], [[1e9 + 16]]):
    ...     m.update(np.array(chunk))
    >>> float(m.mean[0] - 1e9), float(m.std[0])
    (10.0, 4.743416490252569)
    """

    def __init__(self, units: int) -> None:
        self.n = 0
        self.lo = np.full(units, np.inf)
        self.hi = np.full(units, -np.inf)
        self._mean = np.zeros(units)  # both divided by _scale (a power of two, mostly 1)
        self._m2 = np.zeros(units)
        self._scale = np.ones(units)

    def update(self, x: np.ndarray) -> None:
        """Add a chunk of rows (finite values, one column per unit)."""
        if len(x) == 0:
            return
        np.minimum(self.lo, x.min(axis=0), out=self.lo)
        np.maximum(self.hi, x.max(axis=0), out=self.hi)
        x = self._rescaled(x)
        mean = x.mean(axis=0)
        d = x - mean
        self._merge(len(x), mean, np.einsum("ij,ij->j", d, d))

    def merge(self, other: Moments) -> None:
        """Add what ``other`` has seen (of the same columns), as if this had seen it."""
        if other.n == 0:
            return
        np.minimum(self.lo, other.lo, out=self.lo)
        np.maximum(self.hi, other.hi, out=self.hi)
        self._rescale()
        ratio = other._scale / self._scale
        self._merge(other.n, other._mean * ratio, other._m2 * ratio * ratio)

    def _rescale(self) -> None:
        """Bring the running sums to the scale of the largest |value| seen."""
        big = np.maximum(-self.lo, self.hi)
        if not (big >= _BIG).any():
            return
        # frexp: big = m * 2**e with 0.5 <= m < 1, so values divided by 2**(e - 1) lie in
        # (-2, 2); 2**e itself would overflow for the largest floats (e = 1024).
        scale = np.where(big >= _BIG, np.ldexp(1.0, np.frexp(big)[1] - 1), 1.0)
        ratio = self._scale / scale
        self._mean *= ratio
        self._m2 *= ratio * ratio
        self._scale = scale

    def _rescaled(self, x: np.ndarray) -> np.ndarray:
        self._rescale()
        return x / self._scale if (self._scale != 1.0).any() else x

    def _merge(self, nb: int, mean_b: np.ndarray, m2_b: np.ndarray) -> None:
        na = self.n
        n = na + nb
        delta = mean_b - self._mean
        self._mean += delta * (nb / n)
        self._m2 += m2_b + delta * delta * (na * nb / n)
        self.n = n

    @property
    def mean(self) -> np.ndarray:
        # Rounding can leave a mean just outside [min, max], or a constant column's mean
        # off its value (a sum of 0.2s is not a multiple of 0.2): clip it.
        return np.clip(self._mean * self._scale, self.lo, self.hi)

    @property
    def std(self) -> np.ndarray:
        """The population standard deviation (divided by n, as ``np.std``); exactly 0
        for a column that never changed."""
        return np.where(self.lo == self.hi, 0.0, np.sqrt(self._m2 / self.n) * self._scale)


# ----------------------------------------------------------------------- the results


@dataclass(frozen=True, repr=False)
class Summary:
    """One quantity (``z`` or ``a``) of a layer over the batch: one value per unit."""

    min: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    max: np.ndarray

    def to_dict(self) -> dict[str, list[float]]:
        return {"min": self.min.tolist(), "mean": self.mean.tolist(), "std": self.std.tolist(), "max": self.max.tolist()}

    def __repr__(self) -> str:
        return f"<Summary of {len(self.min)} unit{'s' if len(self.min) != 1 else ''}>"


@dataclass(frozen=True, repr=False)
class LayerStats:
    """What one layer's units did over the batch.

    ``dead`` holds the 1-based numbers of units whose ``z`` was never positive (None for
    layers other than relu and leaky_relu); ``saturated`` the fraction of inputs on which
    each unit's derivative was below the threshold (None for layers that do not
    saturate); ``zeros`` the fraction of inputs on which each unit's ``a`` was exactly 0.
    """

    layer: Layer
    z: Summary
    a: Summary
    zeros: np.ndarray
    dead: np.ndarray | None
    saturated: np.ndarray | None

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def activation(self) -> str:
        return self.layer.activation.name

    @property
    def units(self) -> int:
        return self.layer.nout

    @property
    def saturated_share(self) -> float | None:
        """The fraction of all (input, unit) values that were saturated."""
        return None if self.saturated is None else float(self.saturated.mean())

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "activation": self.activation,
            "units": self.units,
            "dead": None if self.dead is None else self.dead.tolist(),
            "saturated": None if self.saturated is None else self.saturated.tolist(),
            "z": self.z.to_dict(),
            "a": self.a.to_dict(),
        }

    def __repr__(self) -> str:
        return f"<LayerStats {self.name}: {self.units} {self.layer.activation.label} units>"


@dataclass(frozen=True, repr=False)
class Stats:
    """Statistics of every layer over a batch: what :meth:`Network.stats` returns.

    ``to_dict()`` is what ``nncalc stats --json`` prints: ``inputs`` (how many), ``layers``
    (one object per layer: ``name``, ``activation``, ``units``, ``dead``, ``saturated``,
    ``z`` and ``a`` as ``{"min", "mean", "std", "max"}`` lists, one value per unit) and
    ``classes`` (inputs per class, or None).
    """

    network: Network
    inputs: int
    layers: tuple[LayerStats, ...]
    classes: np.ndarray | None
    saturation: float  # the derivative threshold below which a unit counts as saturated

    @property
    def binary(self) -> bool:
        """True when the classes are a single sigmoid unit's ``a < 0.5`` and ``a >= 0.5``."""
        last = self.network.layers[-1]
        return self.classes is not None and last.nout == 1 and last.activation.name == "sigmoid"

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": self.inputs,
            "layers": [layer.to_dict() for layer in self.layers],
            "classes": None if self.classes is None else self.classes.tolist(),
        }

    def __repr__(self) -> str:
        net = self.network
        parts = [f"{self.inputs:,} input{'s' if self.inputs != 1 else ''}"]
        family = [s for s in self.layers if s.dead is not None]
        if family:
            dead, units = sum(len(s.dead) for s in family), sum(s.units for s in family)  # type: ignore[arg-type]
            parts.append(f"{dead} dead unit{'s' if dead != 1 else ''} of {units} in ReLU layers")
        saturating = [s for s in self.layers if s.saturated is not None]
        if saturating:
            share = sum(float(s.saturated.sum()) for s in saturating) / sum(s.units for s in saturating)  # type: ignore[union-attr]
            parts.append(f"{share:.1%} saturated")
        return f"<Stats {net.name or net.source}: {', '.join(parts)}>"

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        from nncalc.render.stats import stats_bundle

        return stats_bundle(self)


# ----------------------------------------------------------------------- gathering


class _LayerRunning:
    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self.z = Moments(layer.nout)
        # a = z for an identity activation: one set of moments serves both.
        self.a = self.z if layer.activation.is_identity else Moments(layer.nout)
        self.zeros = np.zeros(layer.nout, dtype=np.int64)
        name = layer.activation.name
        self.saturated = np.zeros(layer.nout, dtype=np.int64) if name in SATURATING else None

    def update(self, z: np.ndarray, a: np.ndarray, threshold: float) -> None:
        self.z.update(z)
        if self.a is not self.z:
            self.a.update(a)
        self.zeros += np.count_nonzero(a == 0.0, axis=0)
        if self.saturated is not None:
            self.saturated += np.count_nonzero(self.layer.activation.grad(z) < threshold, axis=0)

    def merge(self, other: _LayerRunning) -> None:
        self.z.merge(other.z)
        if self.a is not self.z:
            self.a.merge(other.a)
        self.zeros += other.zeros
        if self.saturated is not None:
            self.saturated += other.saturated

    def result(self) -> LayerStats:
        n = self.z.n

        def summary(m: Moments) -> Summary:
            return Summary(_frozen(m.lo), _frozen(m.mean), _frozen(m.std), _frozen(m.hi))

        z = summary(self.z)
        dead = np.flatnonzero(self.z.hi <= 0.0) + 1 if self.layer.activation.name in DEAD_FAMILY else None
        saturated = self.saturated / n if self.saturated is not None else None
        a = z if self.a is self.z else summary(self.a)
        return LayerStats(self.layer, z, a, _frozen(self.zeros / n), _frozen(dead), _frozen(saturated))


def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    """A read-only copy: a result does not change under its reader."""
    if a is None:
        return None
    a = np.array(a)
    a.flags.writeable = False
    return a


def check_threshold(saturation: Any) -> float:
    """The saturation threshold as a float: a derivative above 0 and at most 1.

    >>> check_threshold(0.05)
    0.05
    >>> check_threshold(5)
    Traceback (most recent call last):
    ...
    nncalc.errors.InputError: the saturation threshold must be a number above 0 and at most 1 (a derivative, like 0.01), got 5
    """
    ok = isinstance(saturation, (int, float, np.integer, np.floating)) and not isinstance(saturation, bool)
    if not ok or not 0.0 < float(saturation) <= 1.0:
        raise InputError(
            f"the saturation threshold must be a number above 0 and at most 1 (a derivative, like 0.01), got {saturation!r}"
        )
    return float(saturation)


class Running:
    """Statistics being gathered: :meth:`update` with each chunk of inputs, then
    :meth:`result`. Memory depends on the network, never on how many inputs went by.

    Two ``Running`` of the same network :meth:`merge`, so parts of a data set can be
    summed up apart (on Dask's workers, say) and combined.

    >>> import nncalc
    >>> net = nncalc.load("two-layer")
    >>> run = Running(net)
    >>> run.update(np.array([[2.0, 0.0]]))
    >>> run.update(np.array([[0.0, 0.0], [1.0, 0.0]]))
    >>> run.result().layers[0].dead.tolist()
    [3]
    """

    def __init__(self, net: Network, saturation: float = DEFAULT_SATURATION) -> None:
        self.network = net
        self.saturation = check_threshold(saturation)
        self.n = 0
        self._layers = [_LayerRunning(layer) for layer in net.layers]
        last = net.layers[-1]
        self._classes = None
        if last.activation.name in CLASSIFIERS:
            binary = last.nout == 1 and last.activation.name == "sigmoid"
            self._classes = np.zeros(2 if binary else last.nout, dtype=np.int64)
        # Blocks of rows as predict() uses: each layer's values stay small, memory flat.
        self._rows = max(64, BLOCK_VALUES // max(layer.nout for layer in net.layers))

    def update(self, x: np.ndarray, first: int | None = None) -> None:
        """Add a chunk of inputs: a 2-D array, one input per row, of finite numbers (a
        stream's reader or :meth:`Network.stats` checked them). ``first`` numbers its
        first input in messages (default: it follows the inputs already seen)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2:
            raise InputError(f"a chunk of inputs must be a 2-D array (rows, {self.network.nin}), got shape {x.shape}")
        problem = length_problem(x.shape[1], self.network, "each input")
        if problem:
            raise InputError(problem)
        first = self.n + 1 if first is None else first
        for i in range(0, len(x), self._rows):
            block = x[i : i + self._rows]
            trace = forward(self.network, block, first + i)
            for running, lt in zip(self._layers, trace.layers):
                running.update(lt.z, lt.a, self.saturation)
            if self._classes is not None:
                self._classes += self._count_classes(trace.output)
            self.n += len(block)

    def _count_classes(self, out: np.ndarray) -> np.ndarray:
        if out.shape[1] == 1:  # one sigmoid unit: class 1 when a >= 0.5
            yes = int(np.count_nonzero(out[:, 0] >= 0.5))
            return np.array([len(out) - yes, yes])
        return np.bincount(out.argmax(axis=1), minlength=out.shape[1])

    def merge(self, other: Running) -> Running:
        """Add what ``other`` (over the same network and threshold) has seen; returns self."""
        def shape(net: Network) -> tuple[Any, ...]:
            return net.sizes, tuple(layer.activation.label for layer in net.layers)

        if other.network is not self.network and shape(other.network) != shape(self.network):
            raise InputError("cannot merge the statistics of two different networks")
        if other.saturation != self.saturation:
            raise InputError(
                f"cannot merge statistics with saturation thresholds {self.saturation:g} and {other.saturation:g}"
            )
        for mine, theirs in zip(self._layers, other._layers):
            mine.merge(theirs)
        if self._classes is not None:
            self._classes += other._classes
        self.n += other.n
        return self

    def result(self) -> Stats:
        """The statistics so far; InputError when no input has been seen."""
        if self.n == 0:
            raise InputError("no inputs: statistics need at least one")
        classes = _frozen(self._classes)
        return Stats(self.network, self.n, tuple(r.result() for r in self._layers), classes, self.saturation)


def compute(net: Network, chunks: Iterable[np.ndarray], saturation: float = DEFAULT_SATURATION) -> Stats:
    """Statistics of ``net`` over a stream of input chunks (each a 2-D array of rows)."""
    running = Running(net, saturation)
    for x in chunks:
        running.update(x)
    return running.result()
