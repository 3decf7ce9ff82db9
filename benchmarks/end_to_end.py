"""End to end: `nncalc forward two-layer --inputs rows.csv --csv` against the naive script.

The naive script is what one would write by hand: np.loadtxt, the forward pass in NumPy,
np.savetxt. Both run as separate processes on the same generated file, interleaved, and
the medians are compared (target: nncalc at least 1.5x faster). Peak resident memory of
each process comes from os.wait4. Then nncalc alone streams larger files, to show that
its memory does not grow with the number of rows (target: under 150 MiB).

    python benchmarks/end_to_end.py [--rows 1000000] [--runs 3] [--memory-rows 2000000,20000000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

NAIVE = """\
import sys
import numpy as np
X = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
W1 = np.array([[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]]); b1 = np.array([0.1, -0.2, 0.0])
W2 = np.array([[0.7, -0.3, 0.5]]); b2 = np.array([0.1])
np.savetxt(sys.argv[2], np.maximum(X @ W1.T + b1, 0) @ W2.T + b2)
"""


def write_rows(path: Path, rows: int, seed: int = 0) -> None:
    """A CSV file of `rows` inputs of 2 values, written a chunk at a time."""
    rng = np.random.default_rng(seed)
    with path.open("w") as f:
        f.write("x1,x2\n")
        for start in range(0, rows, 1_000_000):
            chunk = np.round(rng.normal(size=(min(1_000_000, rows - start), 2)), 6)
            f.write("\n".join(f"{a},{b}" for a, b in chunk.tolist()) + "\n")


sys.path.insert(0, str(Path(__file__).parent))
from measure import nncalc_command, run  # noqa: E402  (benchmarks/measure.py)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-rows", default="2000000,20000000")
    args = parser.parse_args()
    nncalc = nncalc_command()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data, script = tmp / "rows.csv", tmp / "naive.py"
        script.write_text(NAIVE)
        write_rows(data, args.rows)
        naive_cmd = [sys.executable, str(script), str(data), str(tmp / "naive.out")]
        ours_cmd = [*nncalc, "forward", "two-layer", "--inputs", str(data), "--csv"]

        times: dict[str, list[float]] = {"naive": [], "nncalc": []}
        peaks: dict[str, float] = {"naive": 0.0, "nncalc": 0.0}
        for _ in range(args.runs):
            for name, cmd, out in (("naive", naive_cmd, None), ("nncalc", ours_cmd, tmp / "ours.out")):
                t, m = run(cmd, out)
                times[name].append(t)
                peaks[name] = max(peaks[name], m)

        ours = np.loadtxt(tmp / "ours.out", delimiter=",", skiprows=1)
        naive = np.loadtxt(tmp / "naive.out")
        assert np.allclose(ours, naive, rtol=1e-15, atol=0), "outputs differ"

        rows = args.rows
        print(f"{rows:,} rows of 2 inputs through two-layer, {args.runs} runs each, medians:")
        for name in times:
            med = statistics.median(times[name])
            print(f"  {name:<7} {med:6.2f} s  {rows / med / 1e6:5.2f} M rows/s  peak {peaks[name]:6.1f} MiB")
        speedup = statistics.median(times["naive"]) / statistics.median(times["nncalc"])
        print(f"  nncalc is {speedup:.2f}x as fast as the naive script (target >= 1.5x)")

        for n in (int(s) for s in args.memory_rows.split(",") if s):
            big = tmp / f"rows-{n}.csv"
            write_rows(big, n, seed=1)
            t, m = run([*nncalc, "forward", "two-layer", "--inputs", str(big), "--csv"])
            big.unlink()
            print(f"  nncalc, {n:>11,} rows: {t:6.2f} s  {n / t / 1e6:5.2f} M rows/s  peak {m:6.1f} MiB (target < 150)")


if __name__ == "__main__":
    main()
