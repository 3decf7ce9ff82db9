"""Flat memory for a JSON document of inputs: `forward two-layer --inputs rows.json --csv`
on 2,000,000 rows, against the same rows as CSV, each in its own process. The document
is read a row at a time, so its peak should stay near the CSV path's (target < 64 MiB).

    python benchmarks/json_input.py [--rows 2000000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from measure import nncalc_command, run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    X = np.round(np.random.default_rng(0).normal(size=(args.rows, 2)), 6).tolist()
    with tempfile.TemporaryDirectory() as tmp:
        as_json, as_csv = Path(tmp) / "rows.json", Path(tmp) / "rows.csv"
        as_json.write_text("[\n" + ",\n".join(f"[{a}, {b}]" for a, b in X) + "\n]\n")
        as_csv.write_text("".join(f"{a},{b}\n" for a, b in X))
        print(f"{args.rows:,} rows through two-layer, --csv out:")
        for name, path in (("CSV", as_csv), ("JSON", as_json)):
            t, m = run([*nncalc_command(), "forward", "two-layer", "--inputs", str(path), "--csv"])
            print(f"  {name:<5} {t:6.2f} s  peak {m:6.1f} MiB (target < 64)")


if __name__ == "__main__":
    main()
