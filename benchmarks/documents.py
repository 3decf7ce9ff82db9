"""Documents and tables scale with what they show; exact arithmetic stays quick.

Three measurements, each as a ratio to a reference in the same run, commands
interleaved so all see the same machine load (medians of ``--runs``):

1. ``forward --format markdown`` and ``--format latex`` of one 2048×2048 layer, against
   the default table of the same: goal at most 1.5x (only the weights shown are formatted);
2. ``forward --all`` of a 1000-unit layer (each sigmoid worked out), against ``--json``
   of the same: goal at most 2x (tables that need no wrapping are drawn without Rich's
   layout engine);
3. ``forward --exact --json`` of a 64-64 layer over 100 inputs given in the spec: goal
   "a few seconds"; its ratio to the float ``--json`` is printed too.

Each command's peak resident memory is printed beside its time.

    python benchmarks/documents.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import nncalc_command, run  # noqa: E402


def files(folder: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    np.save(folder / "w2048.npy", rng.normal(size=(2048, 2048)) / 45)
    np.save(folder / "x2048.npy", rng.normal(size=(1, 2048)))
    (folder / "big.yaml").write_text("layers:\n  - {name: big, weights: {file: w2048.npy}, activation: tanh}\n")
    np.save(folder / "w1000.npy", rng.normal(size=(1000, 4)))
    (folder / "wide.yaml").write_text(
        "input: [1, 2, 3, 4]\nlayers:\n  - {name: wide, weights: {file: w1000.npy}, activation: sigmoid}\n"
    )
    W = np.round(rng.normal(size=(64, 64)) / 8, 2)
    b = np.round(rng.normal(size=64) / 8, 2)
    X = rng.integers(-9, 10, size=(100, 64)) / 4
    (folder / "exact.yaml").write_text(
        f"input: {X.tolist()}\nlayers:\n  - {{name: l64, activation: relu, weights: {W.tolist()}, bias: {b.tolist()}}}\n"
    )
    return {"big": folder / "big.yaml", "x": folder / "x2048.npy", "wide": folder / "wide.yaml", "exact": folder / "exact.yaml"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    nncalc = nncalc_command()
    with tempfile.TemporaryDirectory() as tmp:
        f = files(Path(tmp))
        big = [*nncalc, "forward", str(f["big"]), "--inputs", str(f["x"])]
        wide = [*nncalc, "forward", str(f["wide"])]
        exact = [*nncalc, "forward", str(f["exact"])]
        groups = [
            ("2048×2048 layer", {"table": big, "markdown": [*big, "-f", "markdown"], "latex": [*big, "-f", "latex"]}, "table", 1.5),
            ("1000 units", {"--json": [*wide, "--json"], "--all": [*wide, "--all"]}, "--json", 2.0),
            ("64-64 over 100 inputs", {"--json": [*exact, "--json"], "--exact --json": [*exact, "--exact", "--json"]}, "--json", None),
        ]
        for title, commands, reference, goal in groups:
            for cmd in commands.values():  # warm the file cache
                run(cmd)
            times: dict[str, list[float]] = {name: [] for name in commands}
            peaks: dict[str, float] = {}
            for _ in range(args.runs):
                for name, cmd in commands.items():
                    seconds, peak = run(cmd)
                    times[name].append(seconds)
                    peaks[name] = max(peaks.get(name, 0.0), peak)
            base = statistics.median(times[reference])
            print(f"{title}:")
            for name in commands:
                t = statistics.median(times[name])
                ratio = t / base
                mark = ""
                if name != reference and goal is not None:
                    mark = f"  (goal <= {goal}x: {'met' if ratio <= goal else 'NOT met'})"
                print(f"  {name:<16} {t:6.3f} s  {peaks[name]:6.0f} MiB  {ratio:5.2f}x{mark}")
            if goal is None:
                t = statistics.median(times["--exact --json"])
                print(f"  (goal: a few seconds: {'met' if t < 5 else 'NOT met'})")


if __name__ == "__main__":
    main()
