"""End to end: `nncalc forward two-layer --inputs rows.csv --csv` against scripts.

Two scripts do the same work on the same generated file, each in its own process:
- the naive script one writes by hand: np.loadtxt, the forward pass in NumPy, np.savetxt
  (target: nncalc at least 1.5x as fast);
- a polars script: polars.read_csv, the forward pass in NumPy, polars' write_csv
  (target: nncalc takes at most 0.9x its time). Where polars is not installed
  (`pip install polars`), pyarrow's CSV reader and writer stand in, and the output says so.
All run interleaved, --runs times each, and the medians are compared. Peak resident
memory of each process comes from os.wait4 (benchmarks/measure.py). Then nncalc alone
streams larger files, to show that its memory does not grow with the number of rows
(target: under 64 MiB). nncalc is byte-compiled first, as `pip install` leaves it.

    python benchmarks/end_to_end.py [--rows 1000000] [--runs 5] [--memory-rows 1000000,10000000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

NET = """\
import numpy as np
W1 = np.array([[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]]); b1 = np.array([0.1, -0.2, 0.0])
W2 = np.array([[0.7, -0.3, 0.5]]); b2 = np.array([0.1])
def net(X):
    return np.maximum(X @ W1.T + b1, 0) @ W2.T + b2
"""
NAIVE = f"""\
import sys
{NET}
X = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
np.savetxt(sys.argv[2], net(X))
"""
POLARS = f"""\
import sys
import polars as pl
{NET}
X = pl.read_csv(sys.argv[1]).to_numpy()
pl.DataFrame(net(X), schema=["output_1"]).write_csv(sys.argv[2])
"""
PYARROW = f"""\
import sys
import pyarrow as pa, pyarrow.csv as csv
{NET}
t = csv.read_csv(sys.argv[1])
X = np.column_stack([c.to_numpy() for c in t.columns])
csv.write_csv(pa.table({{"output_1": net(X)[:, 0]}}), sys.argv[2])
"""


def write_rows(path: Path, rows: int, seed: int = 0) -> None:
    """A CSV file of `rows` inputs of 2 values (6 decimals), written a chunk at a time."""
    rng = np.random.default_rng(seed)
    with path.open("w") as f:
        f.write("x1,x2\n")
        for start in range(0, rows, 1_000_000):
            chunk = np.round(rng.normal(size=(min(1_000_000, rows - start), 2)), 6)
            f.write("\n".join(f"{a},{b}" for a, b in chunk.tolist()) + "\n")


sys.path.insert(0, str(Path(__file__).parent))
from measure import compile_nncalc, nncalc_command, run  # noqa: E402  (benchmarks/measure.py)


def reads(path: Path, header: bool = True) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", skiprows=1 if header else 0, ndmin=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--memory-rows", default="1000000,10000000")
    args = parser.parse_args()
    compile_nncalc()
    nncalc = nncalc_command()
    try:
        import polars  # noqa: F401

        fast_name, fast_script = "polars", POLARS
    except ImportError:
        print("(polars is not installed: pyarrow's CSV reader and writer stand in for it)")
        fast_name, fast_script = "pyarrow", PYARROW

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "rows.csv"
        write_rows(data, args.rows)
        cases = {}
        for name, text in (("naive", NAIVE), (fast_name, fast_script)):
            (tmp / f"script_{name}.py").write_text(text)  # not polars.py: it would import itself
            cases[name] = ([sys.executable, str(tmp / f"script_{name}.py"), str(data), str(tmp / f"{name}.out")], None)
        cases["nncalc"] = ([*nncalc, "forward", "two-layer", "--inputs", str(data), "--csv"], tmp / "nncalc.out")

        times: dict[str, list[float]] = {name: [] for name in cases}
        peaks: dict[str, float] = {name: 0.0 for name in cases}
        for _ in range(args.runs):
            for name, (cmd, out) in cases.items():
                t, m = run(cmd, out)
                times[name].append(t)
                peaks[name] = max(peaks[name], m)

        # The same outputs (to the last bit or so: NumPy's matrix product may sum in
        # another order than nncalc's textbook order), every row present.
        ours = reads(tmp / "nncalc.out")
        for name, header in (("naive", False), (fast_name, True)):
            np.testing.assert_allclose(ours, reads(tmp / f"{name}.out", header), rtol=1e-12, atol=1e-15)

        rows = args.rows
        med = {name: statistics.median(t) for name, t in times.items()}
        print(f"{rows:,} rows of 2 inputs through two-layer, {args.runs} runs each, interleaved, medians:")
        for name in cases:
            print(f"  {name:<8} {med[name]:6.2f} s  {rows / med[name] / 1e6:5.2f} M rows/s  peak {peaks[name]:6.1f} MiB")
        print(f"  nncalc is {med['naive'] / med['nncalc']:.2f}x as fast as the naive script (target >= 1.5x)")
        print(f"  nncalc takes {med['nncalc'] / med[fast_name]:.2f}x the time of the {fast_name} script (target <= 0.9x)")

        for n in (int(s) for s in args.memory_rows.split(",") if s):
            big = tmp / f"rows-{n}.csv"
            write_rows(big, n, seed=1)
            t, m = run([*nncalc, "forward", "two-layer", "--inputs", str(big), "--csv"])
            big.unlink()
            print(f"  nncalc, {n:>11,} rows: {t:6.2f} s  {n / t / 1e6:5.2f} M rows/s  peak {m:6.1f} MiB (target < 64)")


if __name__ == "__main__":
    main()
