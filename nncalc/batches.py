"""Which inputs a command runs, and in what chunks: ``--input`` vectors first, then
each ``--inputs`` file, streamed so that memory stays flat however long the files are.

Chunks are sized by values, not rows: a chunk holds about as many numbers as the caller
keeps of it, whatever the width of the network. The readers yield what suits their
format (a block of text lines, a slice of a .npy file); here larger pieces are cut and
smaller ones joined.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np

from nncalc.errors import NncalcError

if TYPE_CHECKING:
    from nncalc.network import Network

MAX_SHOWN_INPUTS = 5  # tables and worked examples of a larger batch show this many

# What a chunk may take: about CHUNK_BYTES of memory for the values its forward pass holds
# (inputs, every z and a, outputs: 8 bytes each) and for the text written of them (about
# 20 characters a number, in up to three copies at once). Where that leaves fewer than
# MIN_ROWS rows (a wide network), up to MAX_CHUNK_BYTES are taken to reach them: matrix
# products of fewer rows lose much of their speed when other work shares the cores
# (benchmarks/predict_busy.py).
CHUNK_BYTES = 16 << 20
MAX_CHUNK_BYTES = 64 << 20
MIN_ROWS = 2048
TEXT_BYTES = 64
KEEP = ("trace", "inputs", "outputs")


def chunk_rows(net: Network, keep: str = "trace") -> int:
    """The rows in a chunk of inputs of ``net``, by what the caller writes of each row:
    ``"trace"`` (the inputs, every z and a, and the outputs, as ``--json`` writes them),
    ``"inputs"`` (inputs and outputs, as ``--json --outputs-only`` writes them) or
    ``"outputs"`` (as ``--csv`` writes them; tables keep only the first rows).

    >>> import nncalc
    >>> net = nncalc.load("two-layer")
    >>> chunk_rows(net), chunk_rows(net, "outputs")
    (21183, 110376)
    """
    held = net.nin + 2 * sum(layer.nout for layer in net.layers) + net.nout
    if keep not in KEEP:
        raise ValueError(f"keep={keep!r}: expected one of {', '.join(KEEP)}")
    written = {"trace": held, "inputs": net.nin + net.nout, "outputs": net.nout}[keep]
    per_row = 8 * held + TEXT_BYTES * written
    rows = CHUNK_BYTES // per_row
    if rows < MIN_ROWS:
        rows = min(MIN_ROWS, MAX_CHUNK_BYTES // per_row)
    return max(1, rows)


def batches(
    net: Network, vectors: np.ndarray | None, files: list[str] | None, fmt: str | None = None, keep: str = "trace"
) -> Iterator[np.ndarray]:
    """The inputs to run, in chunks of :func:`chunk_rows` rows (the last may be
    shorter): ``vectors`` (or the spec's input when there are no files either), then each
    file's rows. A bad row in a file raises InputError after every row before it came out."""
    rows = chunk_rows(net, keep)

    def sources() -> Iterator[np.ndarray]:
        if vectors is not None:
            yield vectors
        if files:
            from nncalc.inputs import read_inputs

            for path in files:
                yield from read_inputs(path, net, fmt, rows)

    return regroup(sources(), rows)


def regroup(chunks: Iterator[np.ndarray], rows: int) -> Iterator[np.ndarray]:
    """The rows of ``chunks`` in chunks of ``rows`` rows (the last may be shorter).

    When ``chunks`` raises an NncalcError (a bad row), the rows before it come out first.

    >>> [len(c) for c in regroup(iter([np.zeros((5, 2)), np.zeros((1, 2)), np.zeros((9, 2))]), 4)]
    [4, 4, 4, 3]
    """
    held: list[np.ndarray] = []
    n = 0
    try:
        for x in chunks:
            while len(x):
                if not held and len(x) >= rows:
                    yield x[:rows]
                    x = x[rows:]
                    continue
                part = x[: rows - n]
                held.append(part)
                n += len(part)
                x = x[len(part) :]
                if n == rows:
                    yield np.concatenate(held)
                    held, n = [], 0
    except NncalcError:
        if held:
            yield np.concatenate(held)
        raise
    if held:
        yield np.concatenate(held)


def first_inputs(chunks: Iterator[np.ndarray], n: int = MAX_SHOWN_INPUTS) -> tuple[np.ndarray, int]:
    """The first ``n`` inputs of a stream, and how many there are in all (the whole
    stream is read, so a bad row anywhere is still reported)."""
    shown: list[np.ndarray] = []
    total = 0
    for x in chunks:
        if len(shown) < n:
            shown.extend(x[: n - len(shown)])
        total += len(x)
    return np.array(shown), total
