"""The universal approximation theorem, built: one hidden ReLU layer that interpolates f.

With knots ``x_0 < x_1 < … < x_N`` and slopes ``s_i = (f(x_(i+1)) − f(x_i)) / (x_(i+1) − x_i)``,
the network

    network(x) = f(x_0) + Σ_i c_i · relu(x − x_i),   c_0 = s_0,  c_i = s_i − s_(i−1)

has N hidden units (unit i computes ``relu(x − x_i)``, weight 1 and bias −x_i) and equals
the piecewise-linear interpolant of f on [x_0, x_N]: each unit switches on at its knot and
bends the line by the change of slope there. For a twice-differentiable f on [a, b] with
evenly spaced knots, linear interpolation is within ``(b − a)² · max|f''| / (8N²)`` of f,
so the error falls as 1/N².

Pure NumPy: :func:`approximate` takes any vectorised ``f`` (such as a parsed
:class:`~nncalc.expression.Expression`), :func:`interpolate` takes sample points.

>>> study = approximate(lambda x: x * x, 0.0, 1.0, [2, 4])
>>> [round(fit.max_error, 6) for fit in study.fits], [round(fit.bound, 6) for fit in study.fits]
([0.0625, 0.015625], [0.0625, 0.015625])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from nncalc.errors import InputError
from nncalc.network import Network

MAX_UNITS = 100_000
GRID_POINTS = 10_001  # at least this many points measure the error, and estimate f''
MIN_PER_INTERVAL = 16  # and at least this many per interval between knots
CURVE_POINTS = 1_001  # points of the plotted curves (plus the knots, when few)
_EPS = np.finfo(np.float64).eps


def _g(x: float) -> str:
    return f"{x:.10g}"


@dataclass(frozen=True)
class Curvature:
    """The estimate of max|f''| on [a, b] that the bound uses.

    ``status`` is ``"estimated"`` (max|f''| ≈ ``max_abs``, at ``at``), ``"flat"`` (f'' is
    below what float64 resolves at f's size; ``max_abs`` is that limit, so the bound is
    still an upper bound), or ``"unbounded"`` (the estimate grows as the grid is refined:
    a kink, a pole or a vertical tangent near ``at``; there is no bound).
    """

    status: str
    max_abs: float | None
    at: float
    points: int  # grid points of the estimate

    @property
    def bounded(self) -> bool:
        return self.status != "unbounded"


@dataclass(frozen=True)
class Fit:
    """One network: N hidden ReLU units interpolating at N + 1 knots, and how close it is."""

    knots: np.ndarray  # x_0 … x_N
    values: np.ndarray  # f(x_0) … f(x_N)
    slopes: np.ndarray  # s_0 … s_(N−1)
    weights: np.ndarray  # c_0 … c_(N−1), the output layer's weights
    max_error: float  # largest |f − network| on the grid (at the samples, for samples)
    max_error_at: float
    grid_points: int
    bound: float | None  # (b − a)² · max|f''| / (8N²), when f'' is bounded

    @property
    def units(self) -> int:
        return len(self.weights)

    @property
    def bias(self) -> float:
        """The output bias: f(x_0), the network's value left of the first knot."""
        return float(self.values[0])

    @property
    def ratio(self) -> float | None:
        """max_error / bound: how much of the bound the error uses (≤ 1)."""
        if self.bound is None or self.bound == 0:
            return None
        return self.max_error / self.bound

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The network's output at ``x`` (any order), from its own weights, in O(len(x) + N).

        On [x_k, x_(k+1)] the units 0…k are on, so the output is
        ``f(x_0) + V_k + C_k·(x − x_k)`` with ``C_k = c_0 + … + c_k`` and ``V_k`` the
        active units' sum at x_k, built up knot by knot.
        """
        x = np.asarray(x, dtype=np.float64)
        C = np.cumsum(self.weights)
        V = np.concatenate(([0.0], np.cumsum(C[:-1] * np.diff(self.knots)[:-1])))
        k = np.clip(np.searchsorted(self.knots, x, side="right") - 1, 0, self.units - 1)
        with np.errstate(all="ignore"):
            on = self.bias + V[k] + C[k] * (x - self.knots[k])
        return np.where(x < self.knots[0], self.bias, on)

    def network(self, name: str | None = None, description: str | None = None) -> Network:
        """The network as nncalc runs it: 1 input, N relu units, 1 linear output.

        Its default input is the middle of the range, so ``forward`` runs it as it is.
        """
        from nncalc.network import build_network

        n = self.units
        layers = [
            {
                "name": "hidden",
                "weights": np.ones((n, 1)),
                "bias": 0.0 - self.knots[:-1],  # 0.0 − x: no "-0.0" in the spec
                "activation": "relu",
            },
            {
                "name": "output",
                "weights": self.weights.reshape(1, n),
                "bias": [self.bias],
                "activation": "linear",
            },
        ]
        middle = self.knots[0] / 2 + self.knots[-1] / 2  # no overflow near float64's limit
        return build_network(layers, name=name, description=description, input=[[middle]])


@dataclass(frozen=True)
class Study:
    """A function (or samples) approximated with one or more unit counts."""

    label: str  # the function's text, or where the samples came from
    a: float
    b: float
    fits: tuple[Fit, ...]  # by number of units, fewest first
    curvature: Curvature | None  # None for samples: there is no f between them
    curve_x: np.ndarray  # where plots draw f and each network
    curve_f: np.ndarray | None  # f there (None for samples)

    @property
    def from_samples(self) -> bool:
        return self.curvature is None

    @property
    def largest(self) -> Fit:
        return self.fits[-1]

    def curve(self, fit: Fit) -> np.ndarray:
        """The network ``fit`` at :attr:`curve_x`, for plots."""
        return fit(self.curve_x)

    def error_curve(self, fit: Fit) -> np.ndarray | None:
        """|f − network| at :attr:`curve_x` (None for samples: there is no f to compare)."""
        if self.curve_f is None:
            return None
        with np.errstate(all="ignore"):
            return np.abs(self.curve_f - fit(self.curve_x))

    @property
    def falls(self) -> list[tuple[float, float] | None]:
        """For each fit after the first: (how many times smaller its error is than the
        previous fit's, what 1/N² predicts: (N / N_previous)²)."""
        out: list[tuple[float, float] | None] = [None]
        for prev, fit in zip(self.fits, self.fits[1:]):
            ok = fit.max_error > 0 and math.isfinite(prev.max_error / fit.max_error)
            out.append((prev.max_error / fit.max_error, (fit.units / prev.units) ** 2) if ok else None)
        return out

    @property
    def order(self) -> float | None:
        """p in ``error ≈ K / N^p``, fitted by least squares on log error against log N
        (2 for a smooth f); None with fewer than two fits or rounding-level errors."""
        if len(self.fits) < 2 or self.curvature is None or self.curvature.status == "flat":
            return None
        err = np.array([fit.max_error for fit in self.fits])
        if not (err > 0).all() or not np.isfinite(err).all():
            return None
        n = np.log([fit.units for fit in self.fits])
        slope = np.polyfit(n, np.log(err), 1)[0]
        return float(-slope)


# ----------------------------------------------------------------------------- building


def _finite(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, label: str) -> np.ndarray:
    """f on x, or an InputError naming the first point where f is not finite."""
    y = np.asarray(f(x), dtype=np.float64)
    if y.shape != x.shape:
        y = np.array(np.broadcast_to(y, x.shape))
    bad = ~np.isfinite(y)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"f(x) = {label} is not finite at x = {_g(x[i])} (it is {y[i]}); choose a range where f is defined")
    return y


def fit_knots(
    knots: np.ndarray, values: np.ndarray, what: str = "f", source: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The slopes s_i and output weights c_i of the interpolating network.

    >>> s, c = fit_knots(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 0.0]))
    >>> s.tolist(), c.tolist()
    ([1.0, -1.0], [1.0, -2.0])
    """
    with np.errstate(all="ignore"):
        slopes = np.diff(values) / np.diff(knots)
        weights = np.concatenate((slopes[:1], np.diff(slopes)))
    for name, arr in (("slope", slopes), ("change of slope", weights)):
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.argmax(bad))
            lo, hi = knots[i], knots[min(i + 1, len(knots) - 1)]
            raise InputError(
                f"the {name} of {what} between x = {_g(lo)} and x = {_g(hi)} is too large for float64",
                source=source,
            )
    return slopes, weights


def _grid(knots: np.ndarray) -> tuple[np.ndarray, int]:
    """Points that measure the error: each interval between knots cut into the same even
    number of pieces (so the knots and every midpoint are on the grid)."""
    n = len(knots) - 1
    per = max(MIN_PER_INTERVAL, math.ceil((GRID_POINTS - 1) / n))
    per += per % 2
    t = np.arange(per) / per
    inner = knots[:-1, None] + t * np.diff(knots)[:, None]
    return np.concatenate((inner.ravel(), knots[-1:])), per


def _second_difference(y: np.ndarray, h: float) -> np.ndarray:
    """|f''| at every grid point: second differences inside, and at each end the linear
    extrapolation of its two neighbours (so that a maximum at an end, like e^x's at b,
    is not missed by a step)."""
    d = (y[2:] - 2 * y[1:-1] + y[:-2]) / (h * h)
    if len(d) < 2:
        return np.abs(np.concatenate((d[:1], d, d[-1:])))
    return np.abs(np.concatenate(([2 * d[0] - d[1]], d, [2 * d[-1] - d[-2]])))


def curvature(f: Callable[[np.ndarray], np.ndarray], a: float, b: float, label: str = "f") -> Curvature:
    """max|f''| on [a, b], estimated from second differences on a fine grid.

    The estimate is trusted when it stands well above float64's rounding at f's size,
    else a coarser grid is tried. It is checked against a grid four times coarser, with a
    wider stencil that sees a kink whichever grid point is nearest: if it grows by half
    or more when the grid is refined, f'' is unbounded on [a, b].

    >>> c = curvature(np.sin, 0.0, np.pi)
    >>> c.status, round(c.max_abs, 6), round(c.at, 3)
    ('estimated', 1.0, 1.571)
    >>> curvature(np.abs, -1.0, 2.0).status
    'unbounded'
    """
    limit = 0.0
    for points in (GRID_POINTS, (GRID_POINTS - 1) // 10 + 1, (GRID_POINTS - 1) // 100 + 1):
        x = np.linspace(a, b, points)
        h = (b - a) / (points - 1)
        y = _finite(f, x, label)
        with np.errstate(all="ignore"):
            d2 = _second_difference(y, h)
            noise = 4 * _EPS * float(np.max(np.abs(y))) / (h * h)
        if not np.isfinite(d2).all():
            i = int(np.argmax(~np.isfinite(d2)))
            return Curvature("unbounded", None, float(x[i]), points)
        k = int(np.argmax(d2))
        estimate = float(d2[k])
        limit = float(100 * noise)
        if estimate <= limit:
            continue  # rounding, not curvature: try a coarser grid
        coarse = (points - 1) // 4 + 1
        xc = np.linspace(a, b, coarse)
        with np.errstate(all="ignore"):
            fine_wide = _wide(y, h)
            coarse_wide = _wide(_finite(f, xc, label), 4 * h)
        if fine_wide.max() > 1.5 * coarse_wide.max():
            j = int(np.argmax(fine_wide))
            return Curvature("unbounded", None, float(x[j + 1] + h / 2), points)
        return Curvature("estimated", estimate, float(x[k]), points)
    return Curvature("flat", limit, float((a + b) / 2), points)


def _wide(y: np.ndarray, h: float) -> np.ndarray:
    """|s_(j+1) − s_(j−1)| / 2h for the slopes s of neighbouring cells: a kink inside the
    middle cell changes it by the whole jump of slope, whichever the grid."""
    return np.abs(y[3:] - y[2:-1] - y[1:-2] + y[:-3]) / (2 * h * h)


def _curve_x(a: float, b: float, knot_sets: Sequence[np.ndarray]) -> np.ndarray:
    """Where to draw the curves: an even grid, plus the knots of small networks, so that
    each corner of a network is drawn where it is."""
    parts = [np.linspace(a, b, CURVE_POINTS)] + [k for k in knot_sets if len(k) <= 2 * CURVE_POINTS]
    return np.unique(np.concatenate(parts))


def check_units(n: int) -> None:
    if not 1 <= n <= MAX_UNITS:
        raise InputError(f"{n:,} hidden units: expected between 1 and {MAX_UNITS:,}")


def approximate(
    f: Callable[[np.ndarray], np.ndarray], a: float, b: float, units: Sequence[int], label: str = "f"
) -> Study:
    """A network with N hidden ReLU units for each N in ``units``, interpolating ``f`` at
    N + 1 evenly spaced knots of [a, b], each with its largest error on a grid of at
    least :data:`GRID_POINTS` points and the bound (b − a)² · max|f''| / (8N²).

    ``f`` maps a float64 array to one of the same shape; ``label`` names it in messages.
    """
    if not (math.isfinite(a) and math.isfinite(b) and a < b):
        raise InputError(f"the range [{_g(a)}, {_g(b)}] must have two finite ends, the first the smaller")
    if not math.isfinite(b - a):
        raise InputError(f"the range [{_g(a)}, {_g(b)}] is too wide for float64")
    if not units:
        raise InputError("expected at least one number of hidden units")
    for n in units:
        check_units(n)
    counts = sorted(set(units))
    fits = []
    bent = None
    for n in counts:
        knots = np.linspace(a, b, n + 1)
        if not (np.diff(knots) > 0).all():
            raise InputError(f"the range [{_g(a)}, {_g(b)}] is too narrow for {n:,} units in float64")
        grid, per = _grid(knots)
        y = _finite(f, grid, label)
        values = y[::per]  # the knots are every per-th grid point
        slopes, weights = fit_knots(knots, values)
        fit = Fit(knots, values, slopes, weights, 0.0, float(a), len(grid), None)
        with np.errstate(all="ignore"):
            err = np.abs(y - fit(grid))
        if not np.isfinite(err).all():
            raise InputError(f"the error of {label} is too large for float64")
        k = int(np.argmax(err))
        if bent is None:
            bent = curvature(f, a, b, label)
        bound = None
        if bent.max_abs is not None:
            try:
                bound = (b - a) ** 2 * bent.max_abs / (8 * n * n)
            except OverflowError:  # past float64: no bound to show
                bound = math.inf
            bound = bound if math.isfinite(bound) else None
        fits.append(Fit(knots, values, slopes, weights, float(err[k]), float(grid[k]), len(grid), bound))
    curve_x = _curve_x(a, b, [fit.knots for fit in fits])
    return Study(label, a, b, tuple(fits), bent, curve_x, _finite(f, curve_x, label))


def interpolate(x: np.ndarray, y: np.ndarray, units: int | None = None, source: str = "samples") -> Study:
    """The network through sample points (x, y): the samples, sorted by x, are its knots.

    Duplicate x values are refused (the network is a function); ``units``, if given,
    must be one less than the number of samples. The error reported is the largest
    |network − y| at the samples (rounding only: the network passes through each one);
    without f between the samples there is no bound.

    >>> fit = interpolate(np.array([2.0, 0.0, 1.0]), np.array([0.0, 0.0, 1.0])).largest
    >>> fit.knots.tolist(), fit.weights.tolist(), fit.bias
    ([0.0, 1.0, 2.0], [1.0, -2.0], 0.0)
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if len(x) < 2:
        raise InputError(f"{len(x)} sample{'s' if len(x) != 1 else ''}: a network needs at least 2 (x, y) pairs", source=source)
    if units is not None and units != len(x) - 1:
        raise InputError(
            f"{len(x):,} samples make a network of {len(x) - 1:,} hidden units (one less), not {units:,}",
            source=source,
        )
    check_units(len(x) - 1)
    for name, v in (("x", x), ("y", y)):
        if not np.isfinite(v).all():
            raise InputError(f"sample {int(np.argmax(~np.isfinite(v))) + 1}: {name} is not a finite number", source=source)
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    same = np.flatnonzero(np.diff(xs) == 0)
    if len(same):
        first, second = sorted(order[same[0] : same[0] + 2] + 1)
        raise InputError(
            f"x = {_g(xs[same[0]])} is given twice (samples {first} and {second}); "
            "each x needs one y",
            source=source,
        )
    slopes, weights = fit_knots(xs, ys, "the samples", source)
    fit = Fit(xs, ys, slopes, weights, 0.0, float(xs[0]), len(xs), None)
    with np.errstate(all="ignore"):
        err = np.abs(ys - fit(xs))
    k = int(np.argmax(err))
    fit = Fit(xs, ys, slopes, weights, float(err[k]), float(xs[k]), len(xs), None)
    a, b = float(xs[0]), float(xs[-1])
    if not math.isfinite(b - a):
        raise InputError("the samples' x values span more than float64 can hold", source=source)
    return Study(source, a, b, (fit,), None, _curve_x(a, b, [xs]), None)
