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
# ru_maxrss is one process's peak (a process that started a helper of its own reports the
# larger of the two), so a thread here also adds up the resident memory of the command and
# every process under it every 5 ms: the peak reported is the larger of the two figures.
MEASURE = """\
import os, sys, threading, time
out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 1)
    os.execvp(cmd[0], cmd)
done = threading.Event()
tree_peak = [0]

def rss(p):
    try:
        with open(f"/proc/{p}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

def tree(p):
    pids, i = [p], 0
    while i < len(pids):
        try:
            for t in os.listdir(f"/proc/{pids[i]}/task"):
                with open(f"/proc/{pids[i]}/task/{t}/children") as f:
                    pids += [int(c) for c in f.read().split()]
        except OSError:
            pass
        i += 1
    return pids

def sample():
    while not done.wait(0.005):
        tree_peak[0] = max(tree_peak[0], sum(rss(p) for p in tree(pid)))

watcher = threading.Thread(target=sample, daemon=True)
watcher.start()
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - start
done.set()
watcher.join()
print(elapsed, max(usage.ru_maxrss, tree_peak[0]), status)
"""


def run(cmd: list[str], stdout_path: Path | None = None, cwd: Path | None = None) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (MiB) of one command and the processes it
    starts, run in ``cwd``."""
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

