"""Streams computed one chunk ahead in a worker thread write what one thread writes.

The reference is the stream without the worker: ``nncalc.pipeline.Ahead`` replaced by
the plain loop below (read a chunk, compute it, write it, then the next), as nncalc
streamed before. Both run in this process, with the same BLAS threads, so their bytes
must be equal: stdout, stderr and exit status, for every streamed format, many chunks
(made small here) and every way a stream stops early.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from nncalc import batches, pipeline
from nncalc.cli import forward as forward_cli

FORMATS = [["--csv"], ["--csv", "--no-header"], ["--json"], ["--json", "--outputs-only"]]


class Serial:
    """The stream without a worker: each chunk read, computed and handed out in turn."""

    def __init__(self, items, work, threaded=True):
        self.items, self.work = items, work

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def __iter__(self):
        for item in self.items:
            try:
                result = self.work(item)
            except Exception as e:
                yield item, None, e
                return
            yield item, result, None


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of a few rows, and text written a few numbers at a time."""
    monkeypatch.setattr(batches, "CHUNK_BYTES", 1)
    monkeypatch.setattr(batches, "MIN_ROWS", 7)
    monkeypatch.setattr(batches, "MAX_CHUNK_BYTES", 1 << 30)
    monkeypatch.setattr(forward_cli, "TEXT_VALUES", 5)


def both(run, monkeypatch, *args, input=None):
    """The result of ``run(*args)`` with the worker, and without it."""
    threaded = run(*args, input=input)
    with monkeypatch.context() as m:
        m.setattr(pipeline, "Ahead", Serial)
        serial = run(*args, input=input)
    return threaded, serial


def assert_same(threaded, serial):
    assert threaded.stdout_bytes == serial.stdout_bytes
    assert threaded.stderr == serial.stderr
    assert threaded.exit_code == serial.exit_code


def rows_file(tmp_path, rows, name="in.csv"):
    path = tmp_path / name
    path.write_text("".join(",".join(map(repr, row)) + "\n" for row in rows))
    return str(path)


WIDE = """\
layers:
  - name: hidden
    activation: tanh
    weights: {w1}
    bias: {b1}
  - name: "sortie é → σ"
    activation: softmax
    weights: {w2}
"""


def wide_spec(spec_file, seed=0):
    """20 inputs: wider than the term-by-term sums, so BLAS computes the products."""
    rng = np.random.default_rng(seed)
    w1, b1, w2 = rng.normal(size=(24, 20)), rng.normal(size=24), rng.normal(size=(3, 24))
    return spec_file(WIDE.format(w1=w1.tolist(), b1=b1.tolist(), w2=w2.tolist()))


@pytest.mark.parametrize("fmt", FORMATS)
def test_many_chunks_of_the_seed_network(run, monkeypatch, tmp_path, small_chunks, fmt):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2)) * 10.0 ** rng.integers(-6, 8, size=(200, 1))
    threaded, serial = both(run, monkeypatch, "forward", "two-layer", "--inputs", rows_file(tmp_path, X.tolist()), *fmt)
    assert threaded.exit_code == 0, threaded.output
    assert_same(threaded, serial)
    lines = threaded.stdout.splitlines()
    assert len(lines) == 200 + (fmt == ["--csv"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_many_chunks_through_blas(run, monkeypatch, tmp_path, spec_file, small_chunks, fmt):
    X = np.random.default_rng(2).normal(size=(150, 20))
    path = tmp_path / "in.npy"
    np.save(path, X)
    threaded, serial = both(run, monkeypatch, "forward", wide_spec(spec_file), "--inputs", str(path), *fmt)
    assert threaded.exit_code == 0, threaded.output
    assert_same(threaded, serial)
    if fmt == ["--json", "--outputs-only"]:
        # against NumPy written here, to rounding: the bytes are the serial stream's
        rows = [json.loads(line) for line in threaded.stdout.splitlines()]
        assert np.array_equal([r["input"] for r in rows], X)
        assert np.allclose(np.sum([r["output"] for r in rows], axis=1), 1.0, rtol=1e-14)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("bad", [1, 2, 7, 8, 50, 150])  # first row, first of a chunk, mid-chunk, last
def test_a_bad_row(run, monkeypatch, tmp_path, small_chunks, fmt, bad):
    lines = [f"{k},{-k / 3}" for k in range(150)]
    lines[bad - 1] = "1,oops"
    path = tmp_path / "in.csv"
    path.write_text("\n".join(lines) + "\n")
    threaded, serial = both(run, monkeypatch, "forward", "two-layer", "--inputs", str(path), *fmt)
    assert_same(threaded, serial)
    assert threaded.exit_code == 1
    assert f"in.csv:{bad}:" in threaded.stderr
    if bad == 1:
        assert threaded.stdout_bytes == b""  # no header either


OVERFLOW = "layers:\n  - weights: [[1e200]]\n  - weights: [[1e200]]\n"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("at", [1, 2, 7, 8, 9, 40, 100])
def test_an_overflow(run, monkeypatch, tmp_path, spec_file, small_chunks, fmt, at):
    """The outputs of every input before the one that overflows come out, then one error."""
    rows = [[1e-300]] * 100
    rows[at - 1] = [1.0]
    threaded, serial = both(run, monkeypatch, "forward", spec_file(OVERFLOW), "--inputs", rows_file(tmp_path, rows), *fmt)
    assert_same(threaded, serial)
    assert threaded.exit_code == 1
    assert len(threaded.stdout.splitlines()) == (at - 1) + (fmt == ["--csv"] and at > 1)
    assert f"for input {at};" in threaded.stderr


@pytest.mark.parametrize("fmt", FORMATS)
def test_inputs_before_files_and_files_after_files(run, monkeypatch, tmp_path, small_chunks, fmt):
    a = rows_file(tmp_path, [[k, 1.0] for k in range(30)], "a.csv")
    b = rows_file(tmp_path, [[1.0, k] for k in range(25)], "b.csv")
    args = ["forward", "two-layer", "-i", "1,2", "-i", "3,4", "--inputs", a, "--inputs", b, *fmt]
    threaded, serial = both(run, monkeypatch, *args)
    assert threaded.exit_code == 0, threaded.output
    assert_same(threaded, serial)


def test_an_empty_file(run, monkeypatch, tmp_path):
    (tmp_path / "empty.csv").write_text("")
    threaded, serial = both(run, monkeypatch, "forward", "two-layer", "--inputs", str(tmp_path / "empty.csv"), "--csv")
    assert_same(threaded, serial)
    assert (threaded.exit_code, threaded.stdout_bytes) == (1, b"")


@pytest.mark.parametrize("fmt", FORMATS)
def test_standard_input(run, monkeypatch, small_chunks, fmt):
    text = "".join(f"{k},{k / 7}\n" for k in range(60)) + "1,x\n"
    threaded, serial = both(run, monkeypatch, "forward", "two-layer", "--inputs", "-", *fmt, input=text)
    assert_same(threaded, serial)
    assert threaded.exit_code == 1 and "<stdin>:61:" in threaded.stderr


# -- the worker itself


def test_results_come_in_order_and_the_worker_stays_one_ahead():
    events = []

    def items():
        for k in range(6):
            events.append(("read", k))
            yield k

    def work(k):
        events.append(("computed", k))
        return k * k

    with pipeline.Ahead(items(), work) as results:
        got = []
        for k, square, error in results:
            events.append(("taken", k))
            got.append((k, square, error))
    assert got == [(k, k * k, None) for k in range(6)]
    # item k + 2 is read only once k + 1 was taken: at most two alive at a time
    for k in range(4):
        assert events.index(("taken", k + 1)) < events.index(("read", k + 2))


def test_an_error_of_the_source_comes_after_every_item_before_it():
    def items():
        yield 1
        yield 2
        raise KeyError("row 3")

    got = []
    with pytest.raises(KeyError, match="row 3"):
        with pipeline.Ahead(items(), lambda x: -x) as results:
            for triple in results:
                got.append(triple)
    assert got == [(1, -1, None), (2, -2, None)]


def test_an_error_of_the_work_is_the_last_triple_with_its_item():
    computed = []

    def work(x):
        computed.append(x)
        if x == 3:
            raise ArithmeticError("3")
        return x

    with pipeline.Ahead(iter(range(10)), work) as results:
        got = list(results)
    assert [t[:2] for t in got] == [(0, 0), (1, 1), (2, 2), (3, None)]
    assert isinstance(got[-1][2], ArithmeticError)
    assert computed == [0, 1, 2, 3]  # nothing after the error is computed


@pytest.mark.parametrize("threaded", [True, False])
def test_leaving_early_stops_the_worker_and_closes_the_source(threaded):
    closed = threading.Event()

    def items():
        try:
            for k in range(1000):
                yield k
        finally:
            closed.set()

    with pytest.raises(RuntimeError, match="stop"):
        with pipeline.Ahead(items(), lambda x: x, threaded) as results:
            for k, _, _ in results:
                if k == 3:
                    raise RuntimeError("stop")
    if threaded:
        results._thread.join()  # it ends: its hand-over was refused
    assert closed.is_set()


@pytest.mark.parametrize("threaded", [True, False])
def test_with_and_without_a_thread_the_same_triples(threaded):
    def items():
        yield from range(4)
        raise KeyError("bad")

    out = []
    with pytest.raises(KeyError):
        with pipeline.Ahead(items(), lambda x: 1 / (5 - x), threaded) as results:
            out.extend((k, r, e) for k, r, e in results)
    assert out == [(k, 1 / (5 - k), None) for k in range(4)]
    with pipeline.Ahead(items(), lambda x: 1 / (2 - x), threaded) as results:
        out = [(k, e is None) for k, _, e in results]
    assert out == [(0, True), (1, True), (2, False)]


# -- the real process: pipes, full disks, interrupts, encodings


def entry():
    exe = shutil.which("nncalc")
    if exe is None:
        pytest.skip("nncalc is not installed on PATH")
    return exe


@pytest.fixture
def wide_npy(tmp_path, spec_file):
    """A stream of many chunks through BLAS: 60,000 rows of 20 inputs."""
    path = tmp_path / "wide.npy"
    np.save(path, np.random.default_rng(3).normal(size=(60_000, 20)))
    return wide_spec(spec_file), str(path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_closed_pipe_ends_quietly(wide_npy, fmt):
    spec, data = wide_npy
    proc = subprocess.run(
        f"{entry()} forward {spec} --inputs {data} {' '.join(fmt)} | head -c 100 > /dev/null; echo $" + "{PIPESTATUS[0]}",
        shell=True, capture_output=True, text=True, executable="/bin/bash",
    )
    assert proc.stderr == ""
    assert proc.stdout.strip() in ("0", "1")  # 0 if it had written everything


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_full_disk_is_one_error(wide_npy, fmt):
    spec, data = wide_npy
    with open("/dev/full", "w") as full:
        proc = subprocess.run([entry(), "forward", spec, "--inputs", data, *fmt], stdout=full, stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == ["error: cannot write the output: No space left on device"]


def test_an_interrupt_while_reading_standard_input():
    """Standard input is read by the main thread only: an interrupt while it waits for
    more rows ends the process as before (no worker holds stdin's lock at exit)."""
    proc = subprocess.Popen(
        [entry(), "forward", "two-layer", "--inputs", "-", "--csv"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    proc.stdin.write(b"1,2\n" * 1000)
    proc.stdin.flush()
    # wait until it has read those rows and waits for more: in read(0, ...)
    syscall = f"/proc/{proc.pid}/syscall"
    if not os.path.exists(syscall):
        proc.kill()
        pytest.skip("no /proc/PID/syscall")
    while proc.poll() is None:
        with open(syscall) as f:
            if f.read().startswith("0 0x0 "):
                break
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate()
    assert (proc.returncode, out) == (130, b"")
    assert b"Fatal" not in err and b"Traceback" not in err


# The stream written as text, through sys.stdout, as it was before bytes went straight
# to the binary stream below it.
AS_TEXT = """\
import sys
from nncalc.cli import forward, main
class Text:
    def write(self, b):
        sys.stdout.write(bytes(b).decode("utf-8"))

    def flush(self):
        sys.stdout.flush()

forward._output = lambda: (Text(), "utf-8", "strict")
sys.argv[0] = "nncalc"
main()
"""


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("encoding", ["utf-8", "latin-1", "utf-16", "ascii"])
def test_streams_in_other_encodings(wide_npy, fmt, encoding):
    """Bytes go straight to stdout only where they are what the text would give: the
    same bytes as the text written through sys.stdout, in every encoding."""
    spec, data = wide_npy
    args = ["forward", spec, "--inputs", data, *fmt]
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    ours = subprocess.run([sys.executable, "-m", "nncalc", *args], capture_output=True, env=env)
    text = subprocess.run([sys.executable, "-c", AS_TEXT, *args], capture_output=True, env=env)
    assert ours.returncode == text.returncode == 0, ours.stderr
    assert ours.stdout == text.stdout
    assert ours.stdout.decode(encoding).count("\n") == 60_000 + (fmt == ["--csv"])


def test_the_switch_interval_comes_back():
    before = sys.getswitchinterval()
    with pipeline.Ahead(iter(range(3)), lambda x: x) as results:
        assert sys.getswitchinterval() <= pipeline.SWITCH_INTERVAL
        list(results)
    assert sys.getswitchinterval() == before


# -- spread_blocks: blocks of predict in threads of their own


class FakeBlas:
    """What spread_blocks reads of threadpoolctl: the threads BLAS may use, and a limit."""

    def __init__(self, threads):
        self.threads, self.limits = threads, []

    @contextlib.contextmanager
    def limit(self, limits):
        self.limits.append(limits)
        yield


@pytest.fixture
def cores(monkeypatch):
    """spread_blocks on a machine of 4 cores whose BLAS may use 4 threads."""
    blas = FakeBlas(4)
    monkeypatch.setattr(pipeline, "_cores", lambda: 4)
    monkeypatch.setattr(pipeline, "_blas", lambda: (blas, blas.threads))
    return blas


def recording(log, fail=(), slow=()):
    """A worker() whose work(i) logs (thread, i), sleeps in the ``slow`` blocks and raises
    in the ``fail`` ones."""

    def worker():
        log.append(("worker", threading.get_ident()))

        def work(i):
            if i in slow:
                time.sleep(0.05)
            log.append((threading.get_ident(), i))
            if i in fail:
                raise ValueError(f"block {i}")

        return work

    return worker


def test_every_block_once_each_thread_its_own_worker(cores):
    log = []
    pipeline.spread_blocks(50, recording(log, slow={0, 1, 2}))
    done = sorted(i for who, i in log if who != "worker")
    workers = [t for who, t in log if who == "worker"]
    assert done == list(range(50))
    assert len(workers) == len(set(workers)) == 4  # one worker() in each of 4 threads
    assert {who for who, _ in log if who != "worker"} <= set(workers)
    assert cores.limits == [1]  # one BLAS thread each, while the blocks run


@pytest.mark.parametrize("count", [0, 1])
def test_one_block_or_none_stays_in_the_callers_thread(cores, count):
    log = []
    pipeline.spread_blocks(count, recording(log))
    assert [who for who, _ in log] == ["worker"] + [threading.get_ident()] * count
    assert cores.limits == []


def test_one_blas_thread_means_one_thread(monkeypatch):
    blas = FakeBlas(1)
    monkeypatch.setattr(pipeline, "_blas", lambda: (blas, 1))
    log = []
    pipeline.spread_blocks(20, recording(log))
    assert {who for who, _ in log if who != "worker"} == {threading.get_ident()}
    assert [i for who, i in log if who != "worker"] == list(range(20))


def test_the_lowest_failing_block_wins_and_none_starts_after_it(cores):
    # Block 3 is slow to fail: blocks 9 and later fail first, in other threads.
    threads = threading.active_count()
    log = []
    with pytest.raises(ValueError, match="^block 3$"):
        pipeline.spread_blocks(400, recording(log, fail={3, *range(9, 400)}, slow={3}))
    done = [i for who, i in log if who != "worker"]
    assert set(range(3)) <= set(done)  # every block before it finished
    assert max(done) < 3 + 4 + 4  # at most a block a thread was started after it
    assert threading.active_count() == threads  # every thread stopped


def test_an_interrupt_stops_every_thread(cores):
    threads = threading.active_count()
    log = []
    main = threading.get_ident()

    def worker():
        def work(i):
            log.append(i)
            time.sleep(0.001)
            if threading.get_ident() == main and i > 20:
                raise KeyboardInterrupt

        return work

    with pytest.raises(KeyboardInterrupt):
        pipeline.spread_blocks(100_000, worker)
    assert len(log) < 1000
    assert threading.active_count() == threads


def test_a_second_caller_meanwhile_runs_in_its_own_thread(cores):
    inner = []

    def worker():
        def work(i):
            if i == 0:
                pipeline.spread_blocks(10, recording(inner))

        return work

    pipeline.spread_blocks(4, worker)
    assert {who for who, _ in inner if who != "worker"} == {inner[0][1]}
    assert cores.limits == [1]  # only the first caller set the limit


def test_standard_output_closed_is_one_error():
    proc = subprocess.run(f"{entry()} forward two-layer --json >&-", shell=True, capture_output=True, text=True, executable="/bin/bash")
    assert proc.returncode == 1
    assert proc.stderr == "error: cannot write the output: standard output is closed\n"


NONBLOCKING = """\
import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
proc = subprocess.Popen(sys.argv[1:], stdout=w, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
os.close(w)
chunks = []
while chunk := os.read(r, 1 << 16):
    chunks.append(chunk)
    if len(chunks) % 8 == 0:
        time.sleep(0.001)  # a slow reader: the pipe fills, and a write takes part or nothing
sys.stdout.buffer.write(b"".join(chunks))
sys.exit(proc.wait())
"""


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unbuffered_non_blocking_output_gets_every_byte(wide_npy, fmt):
    """python -u (PYTHONUNBUFFERED) writes through a raw stream, which may take part of
    a write, or none of it where the output is non-blocking: the rest follows."""
    spec, data = wide_npy
    args = [entry(), "forward", spec, "--inputs", data, *fmt]
    want = subprocess.run(args, capture_output=True)
    got = subprocess.run([sys.executable, "-c", NONBLOCKING, *args], capture_output=True)
    assert got.returncode == 0 and got.stderr == b""
    assert got.stdout == want.stdout


def test_names_in_a_stateful_encoding(spec_file):
    """ISO-2022 writes a Korean name with ESC, SO and SI bytes: the records stay JSON."""
    layers = "".join(f"  - name: 한{k}\n    weights: [[1, 0], [0, 1]]\n" for k in range(8))
    spec = spec_file("input: [1, 2]\nlayers:\n" + layers)
    for encoding in ("iso2022_kr", "iso2022_jp_2"):
        proc = subprocess.run([entry(), "forward", spec, "--json"], capture_output=True, env={**os.environ, "PYTHONIOENCODING": encoding})
        assert proc.returncode == 0, proc.stderr
        record = json.loads(proc.stdout.decode(encoding))
        assert [layer["name"] for layer in record["layers"]] == [f"한{k}" for k in range(8)]
        assert record["output"] == [1.0, 2.0]
