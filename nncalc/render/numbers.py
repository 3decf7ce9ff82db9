"""Numbers as a person writes them, and weighted sums written out term by term."""

from __future__ import annotations

import math
from typing import Sequence

MAX_TERMS = 8  # a weighted sum with more inputs than this is shortened
HEAD, TAIL = 3, 2  # terms kept at each end of a shortened sum
SMALL = 4  # products of matrices up to 4x4 are written out entry by entry
MAX_UNITS = 32  # a layer with more units shows the first and last SHOWN_UNITS // 2
SHOWN_UNITS = 16


def shown_units(n: int, show_all: bool = False) -> tuple[list[int], int]:
    """The unit indices to show of a layer of ``n``, and how many are left out between.

    >>> shown_units(3)
    ([0, 1, 2], 0)
    >>> units, hidden = shown_units(40)
    >>> units[:9], hidden
    ([0, 1, 2, 3, 4, 5, 6, 7, 32], 24)
    """
    if show_all or n <= MAX_UNITS:
        return list(range(n)), 0
    half = SHOWN_UNITS // 2
    return [*range(half), *range(n - half, n)], n - SHOWN_UNITS


def fmt(x: float, precision: int = 10) -> str:
    """``x`` to ``precision`` significant digits, without float noise or a ``-0``.

    >>> fmt(0.27999999999999997), fmt(-0.30000000000000016), fmt(8.0), fmt(-0.0)
    ('0.28', '-0.3', '8', '0')
    >>> fmt(1234567.891, 4), fmt(1e-20)
    ('1.235e+06', '1e-20')
    """
    s = f"{x:.{precision}g}"
    return "0" if s == "-0" else s


def not_finite(x: float) -> str | None:
    """Why ``x`` is no number, or None if it is one.

    Inputs are always finite, so a NaN or an infinity in a result means float64 overflowed:
    the value itself (an infinity), or a step on the way to it (NaN, from inf - inf or 0 * inf).

    >>> not_finite(0.5), not_finite(float("inf")), not_finite(float("-inf")), not_finite(float("nan"))
    (None, 'overflow (> 1.8e308)', 'overflow (< -1.8e308)', 'undefined (overflow)')
    """
    if math.isnan(x):
        return "undefined (overflow)"
    if math.isinf(x):
        return "overflow (> 1.8e308)" if x > 0 else "overflow (< -1.8e308)"
    return None


def vector(values: Sequence[float], precision: int = 10, number=None) -> str:  # type: ignore[no-untyped-def]
    """A vector in brackets, each number formatted by :func:`fmt` (or ``number``).

    >>> vector([1.0, -0.5])
    '[1, -0.5]'
    """
    show = number or (lambda v: fmt(v, precision))
    return "[" + ", ".join(show(v) for v in values) + "]"


def short_vector(values: Sequence[float], precision: int = 10, show_all: bool = False, number=None) -> str:  # type: ignore[no-untyped-def]
    """A vector as :func:`vector` writes it, its middle left out like a large layer's units.

    >>> short_vector(range(40))
    '[0, 1, 2, 3, 4, 5, 6, 7, … 24 more …, 32, 33, 34, 35, 36, 37, 38, 39]'
    >>> short_vector(range(40), show_all=True) == vector(range(40))
    True
    """
    shown, hidden = shown_units(len(values), show_all)
    if not hidden:
        return vector(values, precision, number)
    show = number or (lambda v: fmt(v, precision))
    half = len(shown) // 2
    head = [show(values[i]) for i in shown[:half]]
    tail = [show(values[i]) for i in shown[half:]]
    return "[" + ", ".join([*head, f"… {hidden:,} more …", *tail]) + "]"


def sum_terms(
    w: Sequence[float],
    x: Sequence[float],
    b: float | None,
    precision: int = 10,
    max_terms: int = MAX_TERMS,
    number=None,  # type: ignore[no-untyped-def]
    gap: str = "… {n} more terms …",
    bracket=None,  # type: ignore[no-untyped-def]
) -> list[str]:
    """The terms of ``w . x + b`` as the seed writes them; ``b=None`` leaves the bias out.

    A negative bias is bracketed like the weights. More than ``max_terms`` inputs are
    shortened to the first and last few terms, with ``gap`` between. ``number`` formats
    each number (default: :func:`fmt` at ``precision``); ``bracket`` puts a formatted
    number in brackets (default: ``(x)``).

    >>> sum_terms([0.4, 0.3], [1, 2], -0.2)
    ['(0.4)(1)', '(0.3)(2)', '(-0.2)']
    """
    show = number or (lambda v: fmt(v, precision))
    put = bracket or (lambda s: f"({s})")
    n = len(w)

    def term(i: int) -> str:
        return put(show(w[i])) + put(show(x[i]))

    if n > max_terms:  # only the terms shown are formatted
        terms = [*map(term, range(HEAD)), gap.format(n=n - HEAD - TAIL), *map(term, range(n - TAIL, n))]
    else:
        terms = [term(i) for i in range(n)]
    if b is not None:
        terms.append(put(show(b)) if b < 0 else show(b))
    return terms
