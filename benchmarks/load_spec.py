"""Loading large specs: `nncalc validate` against a bare libyaml load of the same file.

Three specs: the one `nncalc init 999,1000` writes (about a million inline numbers, the
largest init agrees to write), a small spec whose aliases expand to 9 million values
(just under the alias limit), and the seed's two-layer example. Each command runs in its
own process, interleaved, and the medians are compared. Targets: validating the init
spec takes at most 2x the bare load, with a peak under 300 MiB; the alias spec loads in a
few seconds.

    python benchmarks/load_spec.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import nncalc_command, run  # noqa: E402

BARE = "import sys, yaml\nwith open(sys.argv[1]) as f:\n    yaml.load(f, Loader=yaml.CSafeLoader)\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    nncalc = nncalc_command()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = tmp / "init-999-1000.yaml"
        subprocess.run([*nncalc, "init", "999,1000", "--seed", "0", "-o", str(big)], check=True, capture_output=True)
        alias = tmp / "aliases.yaml"
        alias.write_text(
            "layers:\n  - weights: [&r [" + ", ".join(["0.5"] * 3000) + "], " + ", ".join(["*r"] * 2999) + "]\n"
        )
        bare = tmp / "bare.py"
        bare.write_text(BARE)
        cases = {
            "bare yaml.load (CSafeLoader)": [sys.executable, str(bare), str(big)],
            "nncalc validate": [*nncalc, "validate", str(big)],
        }
        times: dict[str, list[float]] = {k: [] for k in cases}
        peaks: dict[str, float] = {k: 0.0 for k in cases}
        for _ in range(args.runs):
            for name, cmd in cases.items():
                t, m = run(cmd)
                times[name].append(t)
                peaks[name] = max(peaks[name], m)
        print(f"{big.name} ({big.stat().st_size / 1e6:.1f} MB), {args.runs} runs each, medians:")
        for name in cases:
            print(f"  {name:<30} {statistics.median(times[name]):6.2f} s  peak {peaks[name]:6.1f} MiB")
        ratio = statistics.median(times["nncalc validate"]) / statistics.median(times["bare yaml.load (CSafeLoader)"])
        print(f"  ratio nncalc / bare: {ratio:.2f}x (target <= 2x), nncalc peak {peaks['nncalc validate']:.0f} MiB (target < 300)")
        t, m = run([*nncalc, "validate", str(alias)])
        print(f"alias spec ({alias.stat().st_size / 1e3:.0f} KB expanding to 9,000,000 values): {t:.2f} s, peak {m:.0f} MiB")
        t, m = run([*nncalc, "validate", "two-layer"])
        print(f"two-layer example: {t:.3f} s, peak {m:.0f} MiB")


if __name__ == "__main__":
    main()
