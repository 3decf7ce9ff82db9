"""Beyond one machine: ``net.predict`` and ``net.stats`` inside Dask.

Dask's results are checked against ``net.predict`` on the whole array and against a
forward pass written out in NumPy here, under the synchronous and threaded schedulers.
A Network must pickle (Dask ships it to workers) and stay immutable.
"""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

import nncalc
from nncalc.errors import InputError

# Dask's own Parquet writer still calls a pandas API that pandas 3.1 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
da = pytest.importorskip("dask.array")
pd = pytest.importorskip("pandas")

from nncalc.dask import meta, output_columns, predict, predict_block, predict_frame  # noqa: E402
from nncalc.dask import stats as dask_stats  # noqa: E402

RNG = np.random.default_rng(21)
N, NIN = 5000, 20  # 20 inputs: wide enough for BLAS's path through the engine
X = RNG.normal(size=(N, NIN))
W1, B1 = RNG.normal(size=(16, NIN)) * 0.5, RNG.normal(size=16) * 0.1
W1[3], B1[3] = 0.0, -1.0  # a dead unit, for the statistics
W2, B2 = RNG.normal(size=(3, 16)), np.array([0.0, 0.5, -0.5])
NET = nncalc.from_arrays(
    [
        {"name": "hidden", "weights": W1, "bias": B1, "activation": "relu"},
        {"name": "probs", "weights": W2, "bias": B2, "activation": "softmax"},
    ],
    name="mlp",
)
COLUMNS = [f"x{i + 1}" for i in range(NIN)]


def numpy_forward(x: np.ndarray) -> np.ndarray:
    h = np.maximum(x @ W1.T + B1, 0.0)
    z = h @ W2.T + B2
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


WHOLE = NET.predict(X)


def test_the_references_agree():
    np.testing.assert_allclose(WHOLE, numpy_forward(X), rtol=1e-12, atol=1e-15)


def assert_same_outputs(y: np.ndarray) -> None:
    assert y.shape == WHOLE.shape
    np.testing.assert_allclose(y, WHOLE, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(y, numpy_forward(X), rtol=1e-12, atol=1e-15)


@pytest.fixture(params=["synchronous", "threads"])
def scheduler(request):
    with dask.config.set(scheduler=request.param):
        yield request.param


@pytest.fixture(scope="module")
def csv_parts(tmp_path_factory):
    """X in four CSV files, with an id column the network does not take."""
    folder = tmp_path_factory.mktemp("parts")
    frame = pd.DataFrame(X, columns=COLUMNS)
    frame.insert(0, "id", np.arange(N))
    for k, part in enumerate(np.array_split(np.arange(N), 4)):
        frame.iloc[part].to_csv(folder / f"part-{k}.csv", index=False)
    return str(folder / "part-*.csv")


# ---------------------------------------------------------------------- DataFrames


def test_read_csv_map_partitions_to_csv_and_parquet(csv_parts, tmp_path, scheduler):
    ddf = dd.read_csv(csv_parts, blocksize="200KB")  # several partitions per file
    assert ddf.npartitions > 4
    out = ddf.map_partitions(predict_frame, NET, COLUMNS, meta=meta(NET))
    assert list(out.columns) == ["probs_1", "probs_2", "probs_3"]
    computed = out.compute()
    assert_same_outputs(computed.to_numpy())

    out.to_csv(str(tmp_path / "out-*.csv"), index=False)
    back = pd.concat(pd.read_csv(tmp_path / f"out-{k}.csv") for k in range(out.npartitions))
    assert_same_outputs(back.to_numpy())  # pandas writes floats at full round-trip precision

    out.to_parquet(str(tmp_path / "out.parquet"))
    assert_same_outputs(pd.read_parquet(tmp_path / "out.parquet").to_numpy())


def test_outputs_keep_the_rows_ids(csv_parts, scheduler):
    ddf = dd.read_csv(csv_parts, blocksize="200KB")
    # Outputs keep each partition's index, so they line up with the input's other columns.
    joined = meta(NET)
    joined.insert(0, "id", pd.Series(dtype="int64"))
    parts = ddf.map_partitions(lambda df: df[["id"]].join(predict_frame(df, NET, COLUMNS)), meta=joined)
    result = parts.compute().sort_values("id")
    assert result["id"].tolist() == list(range(N))
    assert_same_outputs(result[output_columns(NET)].to_numpy())


def test_predict_helper_on_a_dataframe(csv_parts, scheduler):
    ddf = dd.read_csv(csv_parts, blocksize="200KB")
    assert_same_outputs(predict(NET, ddf, COLUMNS).compute().to_numpy())


def test_empty_partitions(csv_parts, scheduler):
    ddf = dd.read_csv(csv_parts, blocksize="200KB")
    first = ddf[ddf["id"] < 1000]  # most partitions are empty now
    got = first.map_partitions(predict_frame, NET, COLUMNS, meta=meta(NET)).compute()
    assert_same_outputs_rows(got.to_numpy(), slice(0, 1000))


def assert_same_outputs_rows(y: np.ndarray, rows: slice) -> None:
    np.testing.assert_allclose(y, WHOLE[rows], rtol=1e-13, atol=1e-16)


def test_predict_frame_on_pandas():
    frame = pd.DataFrame(X[:10], columns=COLUMNS, index=range(100, 110))
    got = predict_frame(frame, NET)
    assert list(got.index) == list(range(100, 110))
    assert_same_outputs_rows(got.to_numpy(), slice(0, 10))
    assert list(meta(NET).dtypes) == [np.float64] * 3 and len(meta(NET)) == 0


def test_dataframe_errors():
    frame = pd.DataFrame(X[:3], columns=COLUMNS)
    with pytest.raises(InputError, match="no column 'x99' in the data"):
        predict_frame(frame, NET, ["x99"])
    with pytest.raises(InputError, match="the input has 19 values, but layer 'hidden' takes 20 inputs"):
        predict_frame(frame.iloc[:, 1:], NET)
    words = frame.astype(object)
    words.iloc[1, 2] = "seven"
    with pytest.raises(InputError, match="expected real numbers"):
        predict_frame(words, NET)
    with pytest.raises(TypeError, match="expected a Dask DataFrame or Array"):
        predict(NET, frame)


# -------------------------------------------------------------------------- Arrays


def test_map_blocks(tmp_path, scheduler):
    x = da.from_array(X, chunks=(700, NIN))
    y = x.map_blocks(predict_block, NET, chunks=(x.chunks[0], (NET.nout,)), dtype=np.float64)
    assert_same_outputs(y.compute())
    dd.from_dask_array(y, columns=output_columns(NET)).to_parquet(str(tmp_path / "y.parquet"))
    assert_same_outputs(pd.read_parquet(tmp_path / "y.parquet").to_numpy())
    dd.from_dask_array(y, columns=output_columns(NET)).to_csv(str(tmp_path / "y-*.csv"), index=False)
    back = pd.concat(pd.read_csv(tmp_path / f"y-{k}.csv") for k in range(y.numblocks[0]))
    assert_same_outputs(back.to_numpy())


def test_predict_helper_on_an_array_split_by_columns(scheduler):
    x = da.from_array(X, chunks=(900, 7))  # blocks of 7 columns: rejoined into whole rows
    y = predict(NET, x)
    assert y.chunks[1] == (3,)
    assert_same_outputs(y.compute())


def test_array_errors():
    with pytest.raises(InputError, match="each input row has 3 values, but layer 'hidden' takes 20 inputs"):
        predict(NET, da.ones((10, 3)))
    with pytest.raises(InputError, match="expected \\(rows, 20\\)"):
        predict(NET, da.ones(20))


# ---------------------------------------------------------------------- statistics


def _close(got: dict, want: dict) -> None:
    assert (got["inputs"], got["classes"]) == (want["inputs"], want["classes"])
    for g, w in zip(got["layers"], want["layers"]):
        assert (g["dead"], g["saturated"]) == (w["dead"], w["saturated"])
        for key in ("z", "a"):
            for stat in g[key]:
                np.testing.assert_allclose(g[key][stat], w[key][stat], rtol=1e-11, atol=1e-13)


def numpy_stats() -> dict:
    z1 = X @ W1.T + B1
    a2 = numpy_forward(X)
    return {
        "inputs": N,
        "classes": np.bincount(a2.argmax(axis=1), minlength=3).tolist(),
        "dead": (np.flatnonzero(z1.max(axis=0) <= 0) + 1).tolist(),
        "saturated": ((a2 * (1 - a2)) < 0.01).mean(axis=0).tolist(),
    }


def test_stats_over_partitions(csv_parts, scheduler):
    ddf = dd.read_csv(csv_parts, blocksize="200KB")
    got = dask_stats(NET, ddf, COLUMNS).to_dict()
    _close(got, NET.stats(X).to_dict())
    want = numpy_stats()
    assert got["classes"] == want["classes"]
    assert got["layers"][0]["dead"] == want["dead"] == [4]
    assert got["layers"][1]["saturated"] == want["saturated"]
    x = da.from_array(X, chunks=(600, 5))
    _close(dask_stats(NET, x).to_dict(), got)


def test_stats_errors():
    with pytest.raises(InputError, match="saturation threshold"):
        dask_stats(NET, da.ones((10, NIN)), saturation=2)
    with pytest.raises(TypeError):
        dask_stats(NET, X)


# ------------------------------------------------------- what Dask needs of a Network


def test_processes_scheduler_ships_the_network(csv_parts):
    # The multiprocessing scheduler sends the network to other processes (cloudpickle).
    ddf = dd.read_csv(csv_parts, blocksize="400KB")
    with dask.config.set(scheduler="processes", num_workers=2):
        assert_same_outputs(ddf.map_partitions(predict_frame, NET, COLUMNS, meta=meta(NET)).compute().to_numpy())


def test_network_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        NET.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        NET.layers[0].W = np.zeros((16, NIN))  # type: ignore[misc]
    for array in (NET.layers[0].W, NET.layers[0].b, NET.layers[1].W):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1.0
    assert not NET.layers[0].W.flags.writeable
    # The arrays given were copied: changing them later changes nothing.
    before = NET.predict(X[:5])
    W1[0, 0] += 1.0
    try:
        np.testing.assert_array_equal(NET.predict(X[:5]), before)
    finally:
        W1[0, 0] -= 1.0


def test_cloudpickle_round_trip():
    cloudpickle = pytest.importorskip("cloudpickle")
    back = cloudpickle.loads(cloudpickle.dumps(NET))
    np.testing.assert_array_equal(back.predict(X[:50]), WHOLE[:50])
    assert repr(back) == repr(NET)
    assert not back.layers[0].W.flags.writeable


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_pickle_round_trip(protocol):
    net = nncalc.from_arrays(
        [
            {"name": "hidden", "weights": W1, "bias": B1, "activation": {"name": "leaky_relu", "alpha": 0.2}},
            {"name": "probs", "weights": W2, "bias": B2, "activation": "softmax"},
        ],
        name="mlp",
    )
    back = pickle.loads(pickle.dumps(net, protocol=protocol))
    assert repr(back) == repr(net)
    np.testing.assert_array_equal(back.predict(X[:50]), net.predict(X[:50]))
    assert back.layers[0].activation.definition is net.layers[0].activation.definition
    assert back.layers[0].activation.kwargs == {"alpha": 0.2}
    for layer in back.layers:
        assert not layer.W.flags.writeable and not layer.b.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        back.layers[0].W[0, 0] = 1.0
