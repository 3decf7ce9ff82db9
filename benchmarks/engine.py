"""Engine throughput: 1,000,000 inputs of 64 features through 64-256-256-10 (relu, relu,
softmax) in float64, against the bare NumPy expression of the same network, in one process.

Measured, interleaved, --runs times each (medians compared):
- bare NumPy: the whole batch in one expression, as one would write it by hand;
- bare NumPy in blocks: the same expression over the blocks nncalc uses (for reference);
- nncalc predict: what `--csv` and `--json --outputs-only` run;
- nncalc forward: the full trace of every z and a (what tables and `--json` show);
- PyTorch float64 on the CPU, when torch is installed.
Targets: nncalc predict >= 0.9x bare NumPy, and >= PyTorch. ``--compare 262144`` also
times predict with other block sizes (engine.BLOCK_VALUES), interleaved in the same run.

    python benchmarks/engine.py [--rows 1000000] [--runs 3] [--compare N,...]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from nncalc import engine
from nncalc.activations import get
from nncalc.network import Layer, Network

SIZES = (64, 256, 256, 10)
ACTIVATIONS = ("relu", "relu", "softmax")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", default="", help="other BLOCK_VALUES to time, comma-separated")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    Ws = [rng.normal(size=(o, i)) / np.sqrt(i) for i, o in zip(SIZES, SIZES[1:])]
    bs = [rng.normal(size=o) for o in SIZES[1:]]
    net = Network(tuple(Layer(f"l{k}", W, b, get(a)) for k, (W, b, a) in enumerate(zip(Ws, bs, ACTIVATIONS))))
    X = rng.normal(size=(args.rows, SIZES[0]))

    def bare(x: np.ndarray) -> np.ndarray:
        h = np.maximum(x @ Ws[0].T + bs[0], 0)
        h = np.maximum(h @ Ws[1].T + bs[1], 0)
        z = h @ Ws[2].T + bs[2]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    block = engine.block_rows(net)

    def bare_blocks(x: np.ndarray) -> np.ndarray:
        return np.concatenate([bare(x[i : i + block]) for i in range(0, len(x), block)])

    variants = {
        "bare NumPy, whole batch": bare,
        f"bare NumPy, blocks of {block}": bare_blocks,
        "nncalc predict": lambda x: engine.predict(net, x),
    }
    default = engine.BLOCK_VALUES

    def predict_with(values: int):  # type: ignore[no-untyped-def]
        def run(x: np.ndarray) -> np.ndarray:
            engine.BLOCK_VALUES = values
            try:
                return engine.predict(net, x)
            finally:
                engine.BLOCK_VALUES = default

        return run

    for v in (int(v) for v in args.compare.split(",") if v):
        engine.BLOCK_VALUES = v
        variants[f"nncalc predict, blocks of {engine.block_rows(net):,} rows"] = predict_with(v)
        engine.BLOCK_VALUES = default
    variants |= {
        "nncalc forward (full trace)": lambda x: engine.forward(net, x).output,
    }
    try:
        import torch

        tW = [torch.tensor(W) for W in Ws]
        tb = [torch.tensor(b) for b in bs]

        def with_torch(x: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                t = torch.from_numpy(x)
                t = torch.relu(t @ tW[0].T + tb[0])
                t = torch.relu(t @ tW[1].T + tb[1])
                return torch.softmax(t @ tW[2].T + tb[2], dim=1).numpy()

        variants[f"PyTorch {torch.__version__} float64 ({torch.get_num_threads()} threads)"] = with_torch
    except ImportError:
        print("(torch is not installed: no PyTorch comparison)")

    reference = bare(X[:1000])
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.runs):
        for name, fn in variants.items():
            start = time.perf_counter()
            out = fn(X)
            times[name].append(time.perf_counter() - start)
            np.testing.assert_allclose(out[:1000], reference, rtol=1e-12, atol=1e-15)
            del out

    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"{args.rows:,} inputs through {'-'.join(map(str, SIZES))} ({', '.join(ACTIVATIONS)}), float64, "
          f"medians of {args.runs}:")
    for name, t in med.items():
        print(f"  {name:<42} {t:6.2f} s  {args.rows / t / 1e6:5.2f} M inputs/s")
    ours = med["nncalc predict"]
    print(f"  nncalc predict vs bare NumPy whole batch: {med['bare NumPy, whole batch'] / ours:.2f}x throughput (target >= 0.9)")
    print(f"  nncalc predict vs bare NumPy in blocks:   {med[f'bare NumPy, blocks of {block}'] / ours:.2f}x")
    for name in med:
        if name.startswith("nncalc predict, blocks of"):
            print(f"  {name} vs bare NumPy whole batch: {med['bare NumPy, whole batch'] / med[name]:.2f}x")
    torch_name = next((n for n in med if n.startswith("PyTorch")), None)
    if torch_name:
        print(f"  nncalc predict vs PyTorch:                {med[torch_name] / ours:.2f}x throughput (target >= 1.0)")


if __name__ == "__main__":
    main()
