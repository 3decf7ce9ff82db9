"""Flat memory on every streamed output: `--csv`, `--json --outputs-only` and `--json`.

Two data sets, each through `nncalc forward ... --inputs FILE` in its own process
(peak resident memory from os.wait4, benchmarks/measure.py):
- wide: 100,000 rows of 784 inputs (a .npy of random float64, or CSV with --wide-format
  csv) through a 784-512-256-10 network (relu, relu, softmax) read from .npy weights;
- long: 10,000,000 rows of 2 inputs (CSV, 6 decimals) through the seed's two-layer network.
Targets: every peak under 150 MiB (nncalc reads its inputs a chunk at a time: nothing
of the input file is mapped), and `--json --outputs-only` at most 2x the time of
`--csv` on the same data. Output goes to /dev/null. Modes run interleaved, --runs times
each (medians). nncalc is byte-compiled first, as `pip install` leaves it.

    python benchmarks/streams.py [--wide-rows 100000] [--long-rows 10000000] [--runs 1]
                                 [--wide-format npy] [--only wide|long]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from end_to_end import write_rows  # noqa: E402
from measure import compile_nncalc, nncalc_command, run  # noqa: E402

SIZES = (784, 512, 256, 10)
MODES = {"--csv": ["--csv"], "--json --outputs-only": ["--json", "--outputs-only"], "--json": ["--json"]}


def wide_network(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    layers = []
    for k, (i, o, act) in enumerate(zip(SIZES, SIZES[1:], ("relu", "relu", "softmax"))):
        np.save(folder / f"w{k}.npy", rng.normal(size=(o, i)) / np.sqrt(i))
        np.save(folder / f"b{k}.npy", rng.normal(size=o))
        layers.append(f"  - {{name: l{k}, activation: {act}, weights: {{file: w{k}.npy}}, bias: {{file: b{k}.npy}}}}")
    spec = folder / "wide.yaml"
    spec.write_text("layers:\n" + "\n".join(layers) + "\n")
    return spec


def wide_inputs(folder: Path, rows: int, fmt: str) -> Path:
    """Random float64 rows of 784 inputs, written a block at a time."""
    rng = np.random.default_rng(1)
    path = folder / f"wide.{fmt}"
    if fmt == "npy":
        out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(rows, SIZES[0]))
        for s in range(0, rows, 10_000):
            out[s : s + 10_000] = rng.normal(size=(min(10_000, rows - s), SIZES[0]))
        out.flush()
        del out
    else:
        with path.open("w") as f:
            for s in range(0, rows, 1_000):
                block = np.round(rng.normal(size=(min(1_000, rows - s), SIZES[0])), 6)
                f.write("\n".join(",".join(map(repr, row)) for row in block.tolist()) + "\n")
    return path


def measure(name: str, rows: int, base: list[str], runs: int) -> None:
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    peaks: dict[str, float] = {mode: 0.0 for mode in MODES}
    for _ in range(runs):
        for mode, flags in MODES.items():
            t, m = run([*base, *flags])
            times[mode].append(t)
            peaks[mode] = max(peaks[mode], m)
    med = {mode: statistics.median(t) for mode, t in times.items()}
    print(f"{name}: {rows:,} rows, medians of {runs}:")
    for mode in MODES:
        print(f"  {mode:<22} {med[mode]:7.2f} s  peak {peaks[mode]:6.1f} MiB (target < 150)")
    ratio = med["--json --outputs-only"] / med["--csv"]
    print(f"  --json --outputs-only takes {ratio:.2f}x the time of --csv (target <= 2x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wide-rows", type=int, default=100_000)
    parser.add_argument("--long-rows", type=int, default=10_000_000)
    parser.add_argument("--wide-format", choices=("npy", "csv"), default="npy")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only", choices=("wide", "long"))
    args = parser.parse_args()
    compile_nncalc()
    nncalc = nncalc_command()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.only != "long":
            spec = wide_network(tmp)
            data = wide_inputs(tmp, args.wide_rows, args.wide_format)
            measure(
                f"wide, 784-512-256-10 from .{args.wide_format} ({data.stat().st_size / 2**20:,.0f} MiB)",
                args.wide_rows,
                [*nncalc, "forward", str(spec), "--inputs", str(data)],
                args.runs,
            )
            data.unlink()
        if args.only != "wide":
            data = tmp / "long.csv"
            write_rows(data, args.long_rows)
            measure(
                f"long, two-layer from CSV ({data.stat().st_size / 2**20:,.0f} MiB)",
                args.long_rows,
                [*nncalc, "forward", "two-layer", "--inputs", str(data)],
                args.runs,
            )


if __name__ == "__main__":
    main()
