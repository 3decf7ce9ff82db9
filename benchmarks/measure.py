"""Time and peak memory of one command, measured from a small process of its own.

Shared by the benchmarks: ``run(cmd)`` returns wall seconds and peak resident MiB.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

# Measures one command from a small process of its own: a child's peak memory (ru_maxrss)
# counts the pages it inherits at fork, so forking from this large process would inflate it.
MEASURE = """\
import os, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 1)
    os.execvp(cmd[0], cmd)
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, status)
"""


def run(cmd: list[str], stdout_path: Path | None = None, cwd: Path | None = None) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (MiB) of one process, run in ``cwd``."""
    out = str(stdout_path) if stdout_path else os.devnull
    report = subprocess.run(
        [sys.executable, "-c", MEASURE, out, *cmd], capture_output=True, text=True, check=True, cwd=cwd
    )
    elapsed, peak_kib, status = report.stdout.split()
    if int(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return float(elapsed), int(peak_kib) / 1024


def nncalc_command() -> list[str]:
    exe = shutil.which("nncalc", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "nncalc"]


def compile_nncalc() -> None:
    """Byte-compile nncalc, as pip install leaves it: an editable install, or
    PYTHONDONTWRITEBYTECODE, would otherwise compile its source on every run."""
    import compileall

    import nncalc

    compileall.compile_dir(Path(nncalc.__file__).parent, quiet=1)

