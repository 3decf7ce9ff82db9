"""Special functions NumPy lacks, vectorised: the error function ``erf``.

NumPy has no ``erf``, and SciPy is a large dependency for one function, so nncalc
computes it from three classical expansions, each used where it is accurate:

- ``|x| < 1``: the Maclaurin series ``2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))``;
- ``1 <= |x| < 2.5``: the series of positive terms
  ``2/sqrt(pi) * x * exp(-x^2) * sum (2x^2)^n / (1*3*...*(2n+1))``, nested (Horner form),
  with the same rounded ``x^2`` in the sum and the exponential so their rounding cancels;
- ``|x| >= 2.5``: ``erf = 1 - erfc``, with ``erfc`` from its continued fraction
  ``exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))``.

Each uses a fixed number of whole-array steps. Against Python's ``math.erf`` the error is
within 4 units in the last place, about 3 at worst (tests/test_activations.py checks it).
"""

from __future__ import annotations

import math

import numpy as np

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI = math.sqrt(math.pi)
_MACLAURIN = tuple((-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(22))
_SERIES_TERMS = 50  # enough below |x| = 2.5: the last term is < 1e-17 of the sum
_FRACTION_TERMS = 90  # enough from |x| = 2.5 on
_SPLIT_LOW, _SPLIT_HIGH = 1.0, 2.5


def _exp_neg_square(t: np.ndarray) -> np.ndarray:
    """``exp(-t*t)`` without the rounding of ``t*t``, which the exponential would amplify.

    ``t`` is split as ``hi + lo`` with ``hi`` holding its top 26 mantissa bits, so
    ``hi*hi`` is exact and ``t*t = hi*hi + (2*hi + lo)*lo``.
    """
    hi = (t.view(np.int64) & ~np.int64((1 << 27) - 1)).view(np.float64)
    lo = t - hi
    return np.exp(-hi * hi) * np.exp(-(2.0 * hi + lo) * lo)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, element by element, in float64.

    >>> x = [0.0, 0.5, -1.0, 3.0, 1000.0]
    >>> bool(np.allclose(erf(np.array(x)), [math.erf(v) for v in x], rtol=1e-15, atol=0))
    True
    >>> erf(np.array([np.nan, -np.inf])).tolist()
    [nan, -1.0]
    """
    x = np.asarray(x, dtype=np.float64)
    t = np.abs(x)
    out = np.full_like(t, np.nan)  # NaN stays NaN: it falls in none of the ranges below

    small = t < _SPLIT_LOW
    s = t[small]
    s2 = s * s
    acc = np.full_like(s, _MACLAURIN[-1])
    for c in reversed(_MACLAURIN[:-1]):
        acc = acc * s2 + c
    out[small] = _TWO_OVER_SQRT_PI * s * acc

    middle = (t >= _SPLIT_LOW) & (t < _SPLIT_HIGH)
    m = t[middle]
    u = m * m
    acc = np.ones_like(m)
    for n in range(_SERIES_TERMS, 0, -1):
        acc = 1.0 + acc * (2.0 * u) / (2 * n + 1)
    out[middle] = _TWO_OVER_SQRT_PI * m * acc * np.exp(-u)

    out[np.isinf(t)] = 1.0
    far = (t >= _SPLIT_HIGH) & np.isfinite(t)
    f = t[far]
    fraction = f.copy()
    for k in range(_FRACTION_TERMS, 0, -1):
        fraction = f + (k / 2) / fraction
    out[far] = 1.0 - _exp_neg_square(f) / (_SQRT_PI * fraction)

    return np.copysign(out, x)
