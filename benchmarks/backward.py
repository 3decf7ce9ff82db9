"""Backward-pass throughput: a 784-128-64-10 network (relu, relu, softmax) with
cross-entropy over 100,000 inputs in float64, nncalc against PyTorch CPU autograd, in one
process.

Both compute the same thing: the forward pass, the batch's mean loss, and the gradient
of every weight and bias (not of the inputs, which training does not need). Measured
interleaved, --runs times each, medians compared; the gradients are checked to agree
first. Target: nncalc <= 1.2x PyTorch's time.

With --startup, also the start-up of `nncalc backward two-layer --target 1 --json` as a
ratio to `python -c "import numpy, yaml, typer"` (target <= 1.3x, as for `forward`).

    python benchmarks/backward.py [--rows 100000] [--runs 5] [--startup]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SIZES = (784, 128, 64, 10)
ACTIVATIONS = ("relu", "relu", "softmax")


def network(rng):  # type: ignore[no-untyped-def]
    import numpy as np

    from nncalc.activations import get
    from nncalc.network import Layer, Network, frozen

    layers = []
    for k, (nin, nout) in enumerate(zip(SIZES, SIZES[1:])):
        W = rng.normal(size=(nout, nin)) * np.sqrt(2.0 / nin)  # He-normal
        b = rng.normal(size=nout) * 0.1
        layers.append(Layer(f"l{k + 1}", frozen(W), frozen(b), get(ACTIVATIONS[k])))
    return Network(tuple(layers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--startup", action="store_true", help="also measure the command's start-up")
    parser.add_argument("--threads", type=int, help="threads for both NumPy's BLAS and PyTorch (default: theirs)")
    args = parser.parse_args()
    if args.threads:  # before NumPy loads its BLAS
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)

    import numpy as np
    import torch

    from nncalc.backward import backward

    if args.threads:
        torch.set_num_threads(args.threads)

    rng = np.random.default_rng(0)
    net = network(rng)
    X = rng.random(size=(args.rows, SIZES[0]))
    classes = rng.integers(1, SIZES[-1] + 1, size=args.rows)

    Xt = torch.from_numpy(X)
    labels = torch.from_numpy(classes - 1)
    params = [
        (torch.tensor(layer.W, requires_grad=True), torch.tensor(layer.b, requires_grad=True)) for layer in net.layers
    ]

    def ours():  # type: ignore[no-untyped-def]
        g = backward(net, X, loss="cross-entropy", classes=classes, per_input=False)
        return [lg.grad_W for lg in g.layers]

    def theirs():  # type: ignore[no-untyped-def]
        for W, b in params:
            W.grad = b.grad = None
        a = Xt
        for k, (W, b) in enumerate(params):
            z = torch.nn.functional.linear(a, W, b)
            a = torch.relu(z) if k < len(params) - 1 else z
        torch.nn.functional.cross_entropy(a, labels).backward()  # softmax + CE, on z
        return [W.grad.numpy() for W, _ in params]

    got, want = ours(), theirs()
    worst = max(float(np.abs(g - w).max() / np.abs(w).max()) for g, w in zip(got, want))
    print(f"gradients agree: largest difference {worst:.2e} of the largest entry")

    variants = {"PyTorch CPU float64 autograd": theirs, "nncalc backward": ours}
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.runs):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    (tname, t), (oname, o) = times.items()
    print(f"threads: torch {torch.get_num_threads()}; {args.rows:,} inputs of {SIZES[0]}, {' - '.join(map(str, SIZES))}")
    for name, ts in times.items():
        print(f"{name:<32} median {statistics.median(ts):7.3f} s   (min {min(ts):.3f}, runs {', '.join(f'{v:.3f}' for v in ts)})")
    ratio = statistics.median(o) / statistics.median(t)
    print(f"ratio nncalc / PyTorch (median): {ratio:.2f}x   (min/min {min(o) / min(t):.2f}x)   target <= 1.20x")

    if args.startup:
        startup(max(10, args.runs * 4))


def startup(runs: int) -> None:
    import compileall
    import shutil

    import nncalc

    compileall.compile_dir(Path(nncalc.__file__).parent, quiet=1)  # as pip install leaves it
    exe = shutil.which("nncalc", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "nncalc"]
    commands = {
        "baseline: python -c 'import numpy, yaml, typer'": [sys.executable, "-c", "import numpy, yaml, typer"],
        "nncalc backward two-layer --target 1 --json": [*cmd, "backward", "two-layer", "--target", "1", "--json"],
        "nncalc forward two-layer --json": [*cmd, "forward", "two-layer", "--json"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for c in commands.values():
        subprocess.run(c, check=True, stdout=subprocess.DEVNULL)
    for _ in range(runs):
        for name, c in commands.items():
            start = time.perf_counter()
            subprocess.run(c, check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(next(iter(times.values())))
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"{name:<50} median {m * 1000:7.1f} ms   ratio {m / base:.2f}x")


if __name__ == "__main__":
    main()
