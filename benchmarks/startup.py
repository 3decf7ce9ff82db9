"""Start-up time of nncalc's quick commands, as ratios to importing its dependencies.

The baseline, `python -c "import numpy, yaml, typer"`, is measured in the same run,
interleaved with each command, so all see the same machine load. Targets: `--help`,
`activations`, `collapse linear-stack` and the table of `forward two-layer` within 1.3x,
`forward two-layer --json` within 1.15x. nncalc is byte-compiled first, as `pip install`
leaves it.

    python benchmarks/startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    # The script installed beside this interpreter (not a shell shim found on PATH).
    # pip byte-compiles a package when it installs it (numpy, yaml and typer too); an
    # editable install, or PYTHONDONTWRITEBYTECODE, would leave nncalc compiling its source
    # on every run. Compile it once, as an install would.
    import compileall

    import nncalc

    compileall.compile_dir(Path(nncalc.__file__).parent, quiet=1)
    print(f"(byte-compiled {Path(nncalc.__file__).parent}, as pip install does)")

    exe = shutil.which("nncalc", path=str(Path(sys.executable).parent))
    nncalc = [exe] if exe else [sys.executable, "-m", "nncalc"]
    base_cmd = [sys.executable, "-c", "import numpy, yaml, typer"]
    commands = {
        "nncalc --help": ([*nncalc, "--help"], 1.3),
        "nncalc forward two-layer": ([*nncalc, "forward", "two-layer"], 1.3),
        "nncalc forward two-layer --json": ([*nncalc, "forward", "two-layer", "--json"], 1.15),
        "nncalc activations": ([*nncalc, "activations"], 1.3),
        "nncalc collapse linear-stack": ([*nncalc, "collapse", "linear-stack"], 1.3),
    }
    timed(base_cmd)
    for cmd, _ in commands.values():  # warm the file cache once
        timed(cmd)
    base: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, (cmd, _) in commands.items():
            base.append(timed(base_cmd))
            times[name].append(timed(cmd))
    b = statistics.median(base)
    print(f"{'baseline: python -c import numpy, yaml, typer':<36} median {b * 1000:6.1f} ms")
    for name, (_, target) in commands.items():
        o = statistics.median(times[name])
        print(f"{name:<36} median {o * 1000:6.1f} ms   ratio {o / b:.2f}x   target <= {target:.2f}x")


if __name__ == "__main__":
    main()
