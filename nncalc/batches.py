"""Which inputs a command runs, and in what chunks: ``--input`` vectors first, then
each ``--inputs`` file, streamed so that memory stays flat however long the files are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np

if TYPE_CHECKING:
    from nncalc.network import Network

MAX_SHOWN_INPUTS = 5  # tables and worked examples of a larger batch show this many


def batches(
    net: Network, vectors: np.ndarray | None, files: list[str] | None, fmt: str | None = None
) -> Iterator[np.ndarray]:
    """The inputs to run, in chunks: ``vectors`` (or the spec's input when there are no
    files either), then each file's rows."""
    from nncalc.inputs import read_inputs

    if vectors is not None:
        yield vectors
    for path in files or ():
        yield from read_inputs(path, net, fmt)


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
