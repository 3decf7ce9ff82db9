"""Compute at the matmul limit on a busy machine: `predict` of a 784-512-256-10 network
(relu, relu, softmax) over 100,000 rows, in GFLOP/s, against a bare `X @ W1.T` of the
first layer measured in the same process (a new output array, as ``X @ W1.T`` makes, and
a preallocated one: the product alone, without the page faults of fresh memory), while one busy process (started here) keeps a
core occupied, as other work on a shared machine does.

Target: predict reaches at least 0.9x the bare matmul's GFLOP/s. ``--compare 262144``
also times predict with other block sizes (engine.BLOCK_VALUES), interleaved in the
same run.

    python benchmarks/predict_busy.py [--rows 100000] [--runs 5] [--no-load] [--compare N,...]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time

import numpy as np

import nncalc
from nncalc import engine

SIZES = (784, 512, 256, 10)


def busy(stop: multiprocessing.Event) -> None:  # type: ignore[valid-type]
    x = 0
    while not stop.is_set():
        for i in range(100_000):
            x += i * i


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-load", action="store_true", help="measure without the busy process")
    parser.add_argument("--compare", default="", help="other BLOCK_VALUES to time, comma-separated")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    layers = [
        {"weights": rng.normal(size=(o, i)) / np.sqrt(i), "bias": rng.normal(size=o), "activation": a}
        for i, o, a in zip(SIZES, SIZES[1:], ("relu", "relu", "softmax"))
    ]
    net = nncalc.from_arrays(layers)
    X = rng.normal(size=(args.rows, SIZES[0]))
    W1T = net.layers[0].W.T.copy()
    flops_bare = 2.0 * args.rows * SIZES[0] * SIZES[1]
    flops_net = 2.0 * args.rows * sum(i * o for i, o in zip(SIZES, SIZES[1:]))

    settings = [engine.BLOCK_VALUES, *(int(v) for v in args.compare.split(",") if v)]
    stop = multiprocessing.Event()
    load = None if args.no_load else multiprocessing.Process(target=busy, args=(stop,), daemon=True)
    if load is not None:
        load.start()
    try:
        bare: list[float] = []
        into: list[float] = []
        Z = np.empty((args.rows, SIZES[1]))
        np.matmul(X, W1T, out=Z)
        ours: dict[int, list[float]] = {v: [] for v in settings}
        net.predict(X[:1000])
        for _ in range(args.runs):
            t = time.perf_counter()
            X @ W1T
            bare.append(flops_bare / (time.perf_counter() - t) / 1e9)
            t = time.perf_counter()
            np.matmul(X, W1T, out=Z)
            into.append(flops_bare / (time.perf_counter() - t) / 1e9)
            for v in settings:
                engine.BLOCK_VALUES = v
                t = time.perf_counter()
                net.predict(X)
                ours[v].append(flops_net / (time.perf_counter() - t) / 1e9)
    finally:
        engine.BLOCK_VALUES = settings[0]
        stop.set()
        if load is not None:
            load.join()
    b = statistics.median(bare)
    p = statistics.median(into)
    state = "no other load" if args.no_load else "one busy process running"
    print(f"{args.rows:,} rows through 784-512-256-10, {state}, medians of {args.runs}:")
    print(f"  bare X @ W1.T                            {b:6.1f} GFLOP/s")
    print(f"  bare, into a preallocated output         {p:6.1f} GFLOP/s")
    for v in settings:
        engine.BLOCK_VALUES = v
        o = statistics.median(ours[v])
        label = f"nncalc predict, blocks of {engine.block_rows(net):,} rows"
        target = " (target >= 0.9x)" if v == settings[0] else ""
        print(f"  {label:<40} {o:6.1f} GFLOP/s  ratio {o / b:.2f}x{target}, {o / p:.2f}x the preallocated")
    engine.BLOCK_VALUES = settings[0]


if __name__ == "__main__":
    main()
