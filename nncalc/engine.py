"""The forward pass: pure NumPy, a whole batch at once, no I/O.

For every layer, as the seed writes it (``h = sigma(Wx + b)``, one row of W per unit),
over a batch stored one input per row::

    z = a @ W.T + b
    a = act(z)

The network was validated when it was loaded, so shapes are trusted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from nncalc.errors import ComputeError
from nncalc.network import Layer, Network


@dataclass(frozen=True, repr=False, eq=False)
class LayerTrace:
    """One layer's pre-activations ``z`` and activations ``a``, shape (batch, units)."""

    z: np.ndarray
    a: np.ndarray
    name: str = ""

    def __repr__(self) -> str:
        return f"<LayerTrace {self.name}: {self.z.shape[0]} × {self.z.shape[1]}>"


@dataclass(frozen=True, repr=False, eq=False)
class Trace:
    """Everything a forward pass computed: the inputs and each layer's ``z`` and ``a``.

    >>> import nncalc
    >>> trace = nncalc.load("two-layer").forward([1, 2])
    >>> trace
    <Trace two-layer network: 1 input, output [[0.28]]>
    >>> [t.name for t in trace.layers], trace.layers[0].z.tolist()
    (['hidden', 'output'], [[0.1, 0.8, 0.7]])
    """

    x: np.ndarray
    layers: tuple[LayerTrace, ...]
    network: Network | None = None

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1].a

    def __repr__(self) -> str:
        n = len(self.x)
        name = (self.network.name or self.network.source) if self.network is not None else "network"
        out = self.output
        shown = np.array2string(out, precision=10, threshold=12, edgeitems=2, separator=", ") if out.size <= 12 else f"array of shape {out.shape}"
        return f"<Trace {name}: {n:,} input{'s' if n != 1 else ''}, output {shown}>"

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        from nncalc.render.notebook import trace_bundle

        return trace_bundle(self)

    def inputs_to(self, k: int) -> np.ndarray:
        """What layer ``k`` multiplied by its weights: ``x`` or the previous ``a``."""
        return self.x if k == 0 else self.layers[k - 1].a


def forward(net: Network, x: np.ndarray, first: int = 1) -> Trace:
    """Run ``x`` (one input, or a batch with one input per row) through ``net``.

    ``first`` is the number of the batch's first input, for messages about a batch that is
    one chunk of a longer stream.

    >>> from nncalc.network import Layer, Network
    >>> from nncalc.activations import get
    >>> net = Network((Layer("n", np.array([[0.5, -0.2, 0.8]]), np.array([0.1]), get("relu")),))
    >>> t = forward(net, np.array([2.0, 3.0, -1.0]))
    >>> t.layers[0].z.round(12).tolist(), t.output.tolist()
    ([[-0.3]], [[0.0]])
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    a = x
    steps = []
    # Overflow is reported below, naming the layer and unit, rather than warned about.
    with np.errstate(all="ignore"):
        for layer in net.layers:
            z, a = _layer(net, layer, a, first)
            steps.append(LayerTrace(z, a, layer.name))
    return Trace(x, tuple(steps), net)


def _layer(
    net: Network, layer: Layer, a: np.ndarray, first: int, out: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One layer's ``z`` and ``a`` for the batch ``a`` (whose first input is number
    ``first``), under ``np.errstate(all="ignore")``: an overflow is a ComputeError naming
    the layer, the unit and the input. ``out``: where a product BLAS computes goes."""
    z = affine(a, layer.W, layer.b, out)
    a = layer.activation(z)
    # A NaN or an infinity makes a sum non-finite, so one reduction checks a whole array;
    # only then are the values searched (a sum that merely overflowed passes that search).
    if not (np.isfinite(z.sum()) and np.isfinite(a.sum())):
        _check_finite(net, layer.name, z, "z = Wx + b", first)
        _check_finite(net, layer.name, a, f"a = {layer.activation.name}(z)", first)
    return z, a


# Up to this many inputs per unit, z is summed term by term in the textbook's order,
# ((w1 x1 + w2 x2) + w3 x3) + b, with no fused multiply-add, so small networks give the
# numbers a person gets by hand (the seed's 0.28, not 0.27999999999999997) on every
# BLAS. Wider layers go to BLAS, whose summation order is its own.
SEQUENTIAL_MAX = 16


def affine(a: np.ndarray, W: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``z = a @ W.T + b`` over a batch ``a`` of shape (batch, inputs); a wide layer's
    product is written into ``out`` where one is given (a buffer kept from block to block).

    >>> affine(np.array([[0.1, 0.8, 0.7]]), np.array([[0.7, -0.3, 0.5]]), np.array([0.1])).tolist()
    [[0.28]]
    """
    nin = W.shape[1]
    if nin > SEQUENTIAL_MAX:
        z = np.matmul(a, W.T, out=out)
    else:
        # Column by column (Fortran order): each product runs down a whole column of the
        # batch, where a row at a time ran a loop of a few units per row (timed by hand:
        # 4.6 ms against 0.8 ms for 110,000 rows through the seed's 2-3-1 network;
        # benchmarks/end_to_end.py measures the whole path). The same sums, term by term.
        z = np.empty((len(a), len(W)), order="F")
        np.multiply(a[:, :1], W[:, 0], out=z)
        if nin > 1:
            term = np.empty_like(z)
            for j in range(1, nin):
                np.multiply(a[:, j : j + 1], W[:, j], out=term)
                z += term
    z += b
    return z


# predict() works in blocks of rows holding about this many values in the widest layer:
# 4,096 rows of a 512-unit layer, 16 MiB an array. Blocks keep memory flat however long
# the batch is, and each is large enough for BLAS to reach full speed even when its
# threads share the cores with other work (512-row blocks ran at a third of the speed).
# Each matrix product's output goes to a buffer kept from block to block: a new array for
# every product was new memory faulted in page by page (60,000 page faults over 100,000
# rows of 784-512-256-10, 0.69x of a single product of the whole batch; 0.77-0.87x with
# the buffers, benchmarks/predict_busy.py). Larger blocks gained nothing there: each
# activation's output is still a new array, and beyond 32 MiB every one is a new mapping.
# The blocks are spread over the cores, each in a thread of its own with one BLAS thread
# (nncalc.pipeline.spread_blocks); 2,048-row blocks did as well as 4,096, 8,192 worse.
BLOCK_VALUES = 1 << 21


def block_rows(net: Network) -> int:
    """The rows of a block of ``predict``: BLOCK_VALUES values in its widest layer.

    >>> from nncalc.network import build_network
    >>> block_rows(build_network([{"weights": np.ones((512, 784))}, {"weights": np.ones((10, 512))}]))
    4096
    """
    return max(64, BLOCK_VALUES // max(layer.nout for layer in net.layers))


def predict(net: Network, x: np.ndarray, first: int = 1) -> np.ndarray:
    """Only the outputs of ``forward``, computed a block of rows at a time
    (:func:`block_rows`), so memory stays flat however long the batch is.

    The same numbers as ``forward(net, x).output`` computed block by block, and the same
    error for the first input that overflows. The blocks are computed in as many threads
    as BLAS may use cores, each product in one BLAS thread (see
    :func:`nncalc.pipeline.spread_blocks`); a wide layer's sums can then differ in their
    last bits from those of ``forward``, as they differ between machines.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    rows = block_rows(net)
    if len(x) <= rows:
        return forward(net, x, first).output
    out = np.empty((len(x), net.nout))
    from nncalc.pipeline import spread_blocks

    def worker() -> Callable[[int], None]:
        # Each product BLAS computes (a wide layer's) is written into its own buffer.
        buffers = [np.empty((rows, layer.nout)) if layer.nin > SEQUENTIAL_MAX else None for layer in net.layers]

        def work(block: int) -> None:
            i = block * rows
            a = x[i : i + rows]
            with np.errstate(all="ignore"):
                for layer, buffer in zip(net.layers, buffers):
                    _, a = _layer(net, layer, a, first + i, None if buffer is None else buffer[: len(a)])
            out[i : i + len(a)] = a

        return work

    spread_blocks(-(-len(x) // rows), worker)
    return out


def _check_finite(net: Network, name: str, values: np.ndarray, what: str, first: int) -> None:
    if np.isfinite(values).all():
        return
    row, unit = np.argwhere(~np.isfinite(values))[0]
    which = f" for input {first + row}" if len(values) > 1 or first > 1 else ""
    e = ComputeError(
        f"layer '{name}', unit {unit + 1}: {what} overflows float64{which}; "
        "the weights or inputs are too large to compute with",
        source=net.source,
    )
    e.input = int(first + row)  # the number of the input, counting from 1 over the stream
    raise e
