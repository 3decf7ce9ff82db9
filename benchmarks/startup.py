"""Start-up time of `nncalc forward two-layer --json`, as a ratio to importing its deps.

The baseline, `python -c "import numpy, yaml, typer"`, is measured in the same run,
interleaved with nncalc, so both see the same machine load. Target: ratio <= 1.3.
nncalc is byte-compiled first, as `pip install` leaves it.

    python benchmarks/startup.py [--runs 40]
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
    parser.add_argument("--runs", type=int, default=40)
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
    commands = {
        "baseline: python -c 'import numpy, yaml, typer'": [sys.executable, "-c", "import numpy, yaml, typer"],
        "nncalc forward two-layer --json": [*nncalc, "forward", "two-layer", "--json"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for cmd in commands.values():  # warm the file cache once
        timed(cmd)
    for _ in range(args.runs):
        for name, cmd in commands.items():
            times[name].append(timed(cmd))

    (base_name, base), (name, ours) = times.items()
    b, o = statistics.median(base), statistics.median(ours)
    print(f"{base_name:<50} median {b * 1000:7.1f} ms  (min {min(base) * 1000:.1f})")
    print(f"{name:<50} median {o * 1000:7.1f} ms  (min {min(ours) * 1000:.1f})")
    print(f"ratio (median): {o / b:.2f}x   ratio (min): {min(ours) / min(base):.2f}x   target <= 1.30x")


if __name__ == "__main__":
    main()
