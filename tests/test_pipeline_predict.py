"""``predict`` block by block, into buffers kept from block to block: the numbers of
``forward`` over each block, and forward's error for the first input that overflows.

The reference is ``forward`` run here on the same blocks, and plain NumPy for the
narrow, term-by-term layers.
"""

from __future__ import annotations

import numpy as np
import pytest

import nncalc
from nncalc import engine, pipeline
from nncalc.errors import ComputeError


class OneThread:
    @staticmethod
    def limit(limits):
        import contextlib

        return contextlib.nullcontext()


@pytest.fixture(params=[1, 4], ids=["one thread", "four threads"])
def threads(request, monkeypatch):
    """predict with its blocks in the caller's thread, and spread over four threads."""
    monkeypatch.setattr(pipeline, "_cores", lambda: request.param)
    monkeypatch.setattr(pipeline, "_blas", lambda: (OneThread, request.param))
    return request.param


def network(sizes, acts, seed=0):
    rng = np.random.default_rng(seed)
    return nncalc.from_arrays(
        [
            {"weights": rng.normal(size=(o, i)) / np.sqrt(i), "bias": rng.normal(size=o), "activation": a}
            for i, o, a in zip(sizes, sizes[1:], acts)
        ]
    )


@pytest.mark.parametrize(
    "sizes, acts",
    [
        ((40, 30, 20, 5), ("relu", "tanh", "softmax")),  # every product through BLAS
        ((3, 40, 2), ("relu", "linear")),  # a narrow layer summed term by term, then BLAS
        ((30, 4, 4, 3), ("linear", "sigmoid", "linear")),  # BLAS, then two narrow layers
    ],
)
@pytest.mark.parametrize("n", [1, 63, 64, 65, 1000])
def test_blocks_give_forwards_numbers(monkeypatch, sizes, acts, n, threads):
    monkeypatch.setattr(engine, "BLOCK_VALUES", 64 * max(sizes[1:]))  # 64 rows a block
    net = network(sizes, acts)
    X = np.random.default_rng(n).normal(size=(n, sizes[0])) * 3
    want = np.concatenate([engine.forward(net, X[i : i + 64]).output for i in range(0, n, 64)])
    got = engine.predict(net, X)
    assert got.tobytes() == want.tobytes()
    F = np.asfortranarray(X)  # BLAS may sum another way: forward on the same blocks
    want = np.concatenate([engine.forward(net, F[i : i + 64]).output for i in range(0, n, 64)])
    assert engine.predict(net, F).tobytes() == want.tobytes()


def test_narrow_layers_are_the_hand_sums(monkeypatch, threads):
    """The seed's two-layer network, in blocks of 64 rows: (w1 x1 + w2 x2) + b."""
    monkeypatch.setattr(engine, "BLOCK_VALUES", 64 * 3)
    W1, b1 = [[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]], [0.1, -0.2, 0.0]
    W2, b2 = [[0.7, -0.3, 0.5]], [0.1]
    X = np.random.default_rng(5).normal(size=(300, 2))
    h = [[max(w[0] * x[0] + w[1] * x[1] + b, 0.0) for w, b in zip(W1, b1)] for x in X.tolist()]
    y = [[W2[0][0] * r[0] + W2[0][1] * r[1] + W2[0][2] * r[2] + b2[0]] for r in h]
    assert engine.predict(nncalc.load("two-layer"), X).tolist() == y


@pytest.mark.parametrize("bad", [0, 63, 64, 130, 199])
def test_the_first_overflow_is_reported_as_forward_reports_it(monkeypatch, bad, threads):
    monkeypatch.setattr(engine, "BLOCK_VALUES", 64 * 30)
    rng = np.random.default_rng(bad)
    net = nncalc.from_arrays(
        [{"weights": rng.random((30, 40)) + 0.5, "activation": "relu"}, {"weights": rng.random((5, 30)) - 0.5}]
    )
    X = np.ones((200, 40))
    X[bad] = 1e307  # 40 terms of at least 5e306: beyond float64
    X[min(bad + 5, 199)] = -1e307
    with pytest.raises(ComputeError) as whole:
        engine.forward(net, X)
    with pytest.raises(ComputeError) as blocks:
        engine.predict(net, X, first=1)
    assert str(blocks.value) == str(whole.value)
    assert blocks.value.input == whole.value.input == bad + 1
