"""Networks over data larger than memory, or than one machine, with Dask.

nncalc schedules nothing itself: Dask splits the data into partitions (or blocks), runs
:meth:`Network.predict` on each wherever it likes, and writes the results out. A
:class:`~nncalc.network.Network` is immutable and pickles, so Dask can ship it to
threads, processes or other machines. These helpers do the wiring that is easy to get
wrong: the output's column names and ``meta`` for a DataFrame, the output's chunks for
an Array, and statistics merged across partitions.

Install with ``pip install 'nncalc[dask]'``. Dask is imported only when a function here
needs it.

>>> import nncalc, pandas as pd
>>> net = nncalc.load("two-layer")
>>> predict_frame(pd.DataFrame({"x1": [1.0, 0.0], "x2": [2.0, 0.0]}), net)
   output_1
0      0.28
1      0.17
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from nncalc.network import Network
    from nncalc.stats import Running, Stats


def output_columns(net: Network) -> list[str]:
    """The output's column names, as ``nncalc forward --csv`` writes them: the last
    layer's name and each unit's number.

    >>> import nncalc
    >>> output_columns(nncalc.load("linear-stack"))
    ['layer2_1', 'layer2_2']
    """
    name = net.layers[-1].name
    return [f"{name}_{j + 1}" for j in range(net.nout)]


def meta(net: Network) -> pd.DataFrame:
    """An empty DataFrame shaped like :func:`predict_frame`'s result: Dask's ``meta``."""
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype="float64") for c in output_columns(net)})


def _rows(net: Network, df: pd.DataFrame, columns: Sequence[str] | None) -> np.ndarray:
    """The input rows of a partition: the chosen columns (default: all), as float64."""
    from nncalc.errors import InputError

    if columns is not None:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise InputError(f"no column {missing[0]!r} in the data; its columns are {', '.join(map(str, df.columns))}")
        df = df[list(columns)]
    if len(df) == 0:  # an empty partition: nothing to check or run
        return np.empty((0, net.nin))
    return net._batch(df.to_numpy())


def predict_frame(df: pd.DataFrame, net: Network, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """``net.predict`` on a pandas DataFrame: a DataFrame of outputs with the same index,
    one column per output unit (:func:`output_columns`). ``columns`` picks the input
    columns, in order (default: every column). The frame comes first, as Dask's
    ``map_partitions`` passes it::

        ddf.map_partitions(predict_frame, net, meta=meta(net))
    """
    import pandas as pd

    x = _rows(net, df, columns)
    y = net.predict(x) if len(x) else np.empty((0, net.nout))
    return pd.DataFrame(y, index=df.index, columns=output_columns(net))


def predict_block(block: np.ndarray, net: Network) -> np.ndarray:
    """``net.predict`` on one block of a Dask Array (rows of inputs); an empty block
    gives an empty result. For ``map_blocks``."""
    if block.shape[0] == 0:
        return np.empty((0, net.nout))
    return net.predict(block)


def predict(net: Network, data: Any, columns: Sequence[str] | None = None) -> Any:
    """The outputs of ``net`` over a Dask DataFrame or Array, lazily: one row per input.

    A DataFrame gives a DataFrame (columns from :func:`output_columns`, the same index);
    ``columns`` picks its input columns. An Array of shape (rows, inputs) gives an Array
    of shape (rows, outputs), chunked by rows as the input is.
    """
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(data, dd.DataFrame):
        return data.map_partitions(predict_frame, net, columns, meta=meta(net))
    if isinstance(data, da.Array):
        _check_array(net, data)
        if data.numblocks[1] > 1:  # every block must hold whole rows
            data = data.rechunk({1: -1})
        return data.map_blocks(predict_block, net, chunks=(data.chunks[0], (net.nout,)), dtype=np.float64)
    raise TypeError(f"expected a Dask DataFrame or Array, got {type(data).__name__}")


def _check_array(net: Network, data: Any) -> None:
    from nncalc.errors import InputError
    from nncalc.network import length_problem

    if data.ndim != 2:
        raise InputError(f"the input array has shape {data.shape}; expected (rows, {net.nin})")
    problem = length_problem(data.shape[1], net, "each input row")
    if problem:
        raise InputError(problem)


def _partition_stats(part: Any, net: Network, columns: Sequence[str] | None, saturation: float) -> Running:
    from nncalc.stats import Running

    running = Running(net, saturation)
    x = _rows(net, part, columns) if hasattr(part, "columns") else part
    if len(x):
        running.update(np.asarray(x, dtype=np.float64))
    return running


def _merged(parts: list[Running]) -> Running:
    first, *rest = parts
    for other in rest:
        first.merge(other)
    return first


def stats(
    net: Network, data: Any, columns: Sequence[str] | None = None, saturation: float = 0.01
) -> Stats:
    """:meth:`Network.stats` over a Dask DataFrame or Array: each partition is summed up
    where it lies, and the partial statistics (a few numbers per unit) are merged.
    Computes now, with Dask's current scheduler."""
    import dask
    import dask.array as da
    import dask.dataframe as dd

    from nncalc.stats import check_threshold

    check_threshold(saturation)
    if isinstance(data, da.Array):
        _check_array(net, data)
        parts = data.rechunk({1: -1}).to_delayed().ravel().tolist()
    elif isinstance(data, dd.DataFrame):
        parts = data.to_delayed()
    else:
        raise TypeError(f"expected a Dask DataFrame or Array, got {type(data).__name__}")
    partial = [dask.delayed(_partition_stats)(p, net, columns, saturation) for p in parts]
    (running,) = dask.compute(dask.delayed(_merged)(partial))
    return running.result()
