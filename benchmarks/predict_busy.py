"""Compute at the matmul limit on a busy machine: `predict` of a 784-512-256-10 network
(relu, relu, softmax) over 100,000 rows, in GFLOP/s, against a bare `X @ W1.T` of the
first layer measured in the same process, while one busy process (started here) keeps a
core occupied, as other work on a shared machine does.

Target: predict reaches at least 0.9x the bare matmul's GFLOP/s.

    python benchmarks/predict_busy.py [--rows 100000] [--runs 3] [--no-load]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time

import numpy as np

import nncalc

SIZES = (784, 512, 256, 10)


def busy(stop: multiprocessing.Event) -> None:  # type: ignore[valid-type]
    x = 0
    while not stop.is_set():
        for i in range(100_000):
            x += i * i


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-load", action="store_true", help="measure without the busy process")
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

    stop = multiprocessing.Event()
    load = None if args.no_load else multiprocessing.Process(target=busy, args=(stop,), daemon=True)
    if load is not None:
        load.start()
    try:
        bare, ours = [], []
        net.predict(X[:1000])
        for _ in range(args.runs):
            t = time.perf_counter()
            X @ W1T
            bare.append(flops_bare / (time.perf_counter() - t) / 1e9)
            t = time.perf_counter()
            net.predict(X)
            ours.append(flops_net / (time.perf_counter() - t) / 1e9)
    finally:
        stop.set()
        if load is not None:
            load.join()
    b, o = statistics.median(bare), statistics.median(ours)
    state = "no other load" if args.no_load else "one busy process running"
    print(f"{args.rows:,} rows through 784-512-256-10, {state}, medians of {args.runs}:")
    print(f"  bare X @ W1.T       {b:6.1f} GFLOP/s")
    print(f"  nncalc predict      {o:6.1f} GFLOP/s")
    print(f"  ratio {o / b:.2f}x (target >= 0.9x)")


if __name__ == "__main__":
    main()
