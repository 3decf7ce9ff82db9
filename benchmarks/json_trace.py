"""Full-trace JSON: `nncalc forward two-layer --inputs rows.csv --json` on 1,000,000 rows,
against the same command of an earlier nncalc (a git revision, default: the last one
before the block-wise writers), measured in the same run.

Both run in their own processes, interleaved, --runs times each (medians compared);
target: at most 0.5x the earlier time. Then every line of the new output is read back
with the json module and compared with the earlier output's line: the same keys, and
every float equal (only the form of a number may differ: 1e16 for 1e+16, 0.00001 for
1e-05). Both versions are byte-compiled first, as `pip install` leaves them.

    python benchmarks/json_trace.py [--rows 1000000] [--runs 3] [--baseline REV]
"""

from __future__ import annotations

import argparse
import compileall
import io
import json
import math
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from end_to_end import write_rows  # noqa: E402
from measure import compile_nncalc, nncalc_command, run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "c3e54b0"  # nncalc before the block-wise CSV/JSON writers


def same(a: object, b: object) -> bool:
    """Equal JSON values, floats compared exactly (and -0.0 apart from 0.0)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", default=BASELINE, help="the git revision to compare with")
    args = parser.parse_args()
    compile_nncalc()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.baseline, "nncalc"], check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp / "baseline", filter="data")
        compileall.compile_dir(tmp / "baseline" / "nncalc", quiet=1)
        data = tmp / "rows.csv"
        write_rows(data, args.rows)
        flags = ["forward", "two-layer", "--inputs", str(data), "--json"]
        env = f"PYTHONPATH={tmp / 'baseline'}"
        cases = {
            f"nncalc {args.baseline}": (["env", env, sys.executable, "-m", "nncalc", *flags], tmp / "before.ndjson"),
            "nncalc now": ([*nncalc_command(), *flags], tmp / "now.ndjson"),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        peaks: dict[str, float] = {name: 0.0 for name in cases}
        for _ in range(args.runs):
            for name, (cmd, out) in cases.items():
                t, m = run(cmd, out, cwd=tmp)  # not where `python -m` would find this nncalc
                times[name].append(t)
                peaks[name] = max(peaks[name], m)
        med = {name: statistics.median(t) for name, t in times.items()}
        print(f"{args.rows:,} rows through two-layer, --json (every z and a), {args.runs} runs each, medians:")
        for name in cases:
            size = os.path.getsize(cases[name][1]) / 2**20
            print(f"  {name:<18} {med[name]:6.2f} s  peak {peaks[name]:6.1f} MiB  {size:,.0f} MiB written")
        before, now = med[f"nncalc {args.baseline}"], med["nncalc now"]
        print(f"  now takes {now / before:.2f}x the earlier time (target <= 0.5x)")

        n = 0
        with open(cases[f"nncalc {args.baseline}"][1]) as a, open(cases["nncalc now"][1]) as b:
            for line_a, line_b in zip(a, b, strict=True):
                if not same(json.loads(line_a), json.loads(line_b)):
                    raise SystemExit(f"line {n + 1} differs:\n{line_a}{line_b}")
                n += 1
        print(f"  all {n:,} lines are JSON with the same values as before")


if __name__ == "__main__":
    main()
