"""`nncalc stats` against `nncalc forward --csv` on the same large CSV file.

A 784-128-64-10 network (relu, relu, softmax; He-normal weights in .npy files, as a
trained MNIST MLP would be stored) and a CSV file of `--rows` inputs of 784 values in
[0, 1) with 6 decimals (about 7 GB for 1,000,000 rows) are written to a temporary
folder. Both commands read the whole file in one streamed pass; they run as separate
processes, interleaved, and the medians are compared (goal: stats takes at most 1.5
times as long as forward --csv). Peak resident memory of each comes from os.wait4 in a
small helper process (see end_to_end.py), so it does not grow with the number of rows.

    python benchmarks/stats.py [--rows 1000000] [--runs 1] [--folder DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from end_to_end import nncalc_command, run  # noqa: E402

SIZES = (784, 128, 64, 10)
ACTIVATIONS = ("relu", "relu", "softmax")
CHUNK = 8192  # rows written at a time


def write_network(folder: Path, seed: int = 0) -> Path:
    """The network as a spec whose weights and biases are .npy files beside it."""
    rng = np.random.default_rng(seed)
    lines = ["name: mnist-mlp", "layers:"]
    for k, (nin, nout, act) in enumerate(zip(SIZES, SIZES[1:], ACTIVATIONS), 1):
        np.save(folder / f"fc{k}_weight.npy", rng.normal(scale=np.sqrt(2.0 / nin), size=(nout, nin)))
        np.save(folder / f"fc{k}_bias.npy", rng.normal(scale=0.01, size=nout))
        lines += [
            f"  - name: fc{k}",
            f"    activation: {act}",
            f"    weights: {{file: fc{k}_weight.npy}}",
            f"    bias: {{file: fc{k}_bias.npy}}",
        ]
    spec = folder / "mnist-mlp.yaml"
    spec.write_text("\n".join(lines) + "\n")
    return spec


def write_rows(path: Path, rows: int, width: int = SIZES[0], seed: int = 1) -> None:
    """`rows` lines of `width` values 0.dddddd, built as bytes by NumPy (fast enough for
    gigabytes): each value is 8 characters and a comma, the last comma a newline."""
    rng = np.random.default_rng(seed)
    with path.open("wb") as f:
        f.write((",".join(f"x{j + 1}" for j in range(width)) + "\n").encode())
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            text = np.empty((n, width, 9), dtype=np.uint8)
            text[:, :, 0] = ord("0")
            text[:, :, 1] = ord(".")
            text[:, :, 2:8] = rng.integers(ord("0"), ord("9") + 1, size=(n, width, 6), dtype=np.uint8)
            text[:, :, 8] = ord(",")
            text[:, -1, 8] = ord("\n")
            f.write(text.tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--folder", help="where to write the files (default: a temporary folder)")
    args = parser.parse_args()
    nncalc = nncalc_command()

    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        folder = Path(tmp)
        spec = write_network(folder)
        data = folder / "rows.csv"
        start = time.perf_counter()
        write_rows(data, args.rows)
        size = data.stat().st_size
        print(f"wrote {args.rows:,} rows x {SIZES[0]} values, {size / 1e9:.2f} GB, in {time.perf_counter() - start:.0f} s")

        commands = {
            "forward --csv": [*nncalc, "forward", str(spec), "--inputs", str(data), "--csv"],
            "stats": [*nncalc, "stats", str(spec), "--inputs", str(data), "--json"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        peaks: dict[str, float] = {name: 0.0 for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                out = folder / f"{name.split()[0]}.out"
                t, m = run(cmd, out)
                times[name].append(t)
                peaks[name] = max(peaks[name], m)

        result = json.loads((folder / "stats.out").read_text())
        assert result["inputs"] == args.rows, result["inputs"]
        with (folder / "forward.out").open() as f:
            assert sum(1 for _ in f) == args.rows + 1  # a header, then one line per input

        sizes = "-".join(map(str, SIZES))
        print(f"{args.rows:,} rows through {sizes} ({', '.join(ACTIVATIONS)}), {args.runs} run(s) each, medians:")
        for name in commands:
            med = statistics.median(times[name])
            print(
                f"  {name:<14} {med:7.1f} s  {args.rows / med / 1e3:6.1f} k rows/s  "
                f"{size / med / 1e6:6.1f} MB/s  peak {peaks[name]:7.1f} MiB"
            )
        ratio = statistics.median(times["stats"]) / statistics.median(times["forward --csv"])
        print(f"  stats takes {ratio:.2f}x the time of forward --csv (goal <= 1.5)")
        dead = {layer["name"]: len(layer["dead"]) for layer in result["layers"] if layer["dead"] is not None}
        print(f"  dead units found: {dead}; classes: {result['classes']}")


if __name__ == "__main__":
    main()
