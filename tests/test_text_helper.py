"""A long stream's text made half by a second process (nncalc.pipeline.TextHelper):
the same bytes as made by one process, whatever happens to the helper.

Each test runs nncalc in a process of its own, through a wrapper that sets when the
helper starts (at once, or never) and counts the blocks it wrote; the reference is the
same command with no helper.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the helper needs POSIX pipes")

# argv: mode (on, off, kill), a file for the count of the helper's blocks, nncalc's args
WRAP = """\
import os, sys
from nncalc import pipeline
from nncalc.cli import forward, main

mode, report = sys.argv[1], sys.argv[2]
del sys.argv[1:3]
sys.argv[0] = "nncalc"
pipeline.HELPER_AFTER = 1 << 62 if mode == "off" else 0
pipeline._cores = lambda: 2
forward.TEXT_VALUES = 4096  # many blocks of text
made = [0]
start, take = pipeline.TextHelper.start, pipeline.TextHelper.take

def started(self):
    new = self._state == "new"
    start(self)
    if new and self._proc is not None:
        while self._state == "starting" and not self.ready():  # the blocks from the first on
            pass
        with open(report + ".pid", "w") as f:
            f.write(str(self._proc.pid))

def counted(self, ticket):
    text = take(self, ticket)
    made[0] += text is not None
    with open(report, "w") as f:
        f.write(str(made[0]))
    if mode == "kill" and made[0] == 2 and self._proc is not None:
        self._proc.kill()
        self._proc.wait()
    return text

pipeline.TextHelper.start, pipeline.TextHelper.take = started, counted
main()
"""

FORMATS = [["--json"], ["--json", "--outputs-only"]]


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    """100,000 rows of 2 inputs: blocks of text enough for the helper to write several."""
    path = tmp_path_factory.mktemp("helper") / "rows.csv"
    X = np.random.default_rng(4).normal(size=(100_000, 2)) * 10.0 ** np.random.default_rng(5).integers(-6, 6, (100_000, 1))
    path.write_text("x1,x2\n" + "".join(f"{a!r},{b!r}\n" for a, b in X.tolist()))
    return path


def nncalc(mode, tmp_path, args, **kwargs):
    report = tmp_path / f"count-{mode}"
    proc = subprocess.run([sys.executable, "-c", WRAP, mode, str(report), *args], **kwargs)
    count = int(report.read_text()) if report.exists() else 0
    return proc, count, report


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_same_bytes_with_and_without_the_helper(tmp_path, rows, fmt):
    args = ["forward", "two-layer", "--inputs", str(rows), *fmt]
    alone, none, _ = nncalc("off", tmp_path, args, capture_output=True)
    helped, blocks, _ = nncalc("on", tmp_path, args, capture_output=True)
    assert none == 0 and blocks >= 2  # the helper made blocks of its own
    assert (alone.returncode, alone.stderr) == (helped.returncode, helped.stderr) == (0, b"")
    assert helped.stdout == alone.stdout
    assert helped.stdout.count(b"\n") == 100_000


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_helper_that_dies_leaves_its_blocks_to_the_caller(tmp_path, rows, fmt):
    args = ["forward", "two-layer", "--inputs", str(rows), *fmt]
    alone, _, _ = nncalc("off", tmp_path, args, capture_output=True)
    helped, blocks, _ = nncalc("kill", tmp_path, args, capture_output=True)
    assert blocks == 2
    assert (helped.returncode, helped.stderr) == (0, b"")
    assert helped.stdout == alone.stdout


def test_a_bad_row_late_in_the_stream(tmp_path, rows):
    bad = tmp_path / "bad.csv"
    lines = rows.read_text().splitlines(keepends=True)
    lines[90_001] = "1,x\n"  # input 90,001, on line 90,002
    bad.write_text("".join(lines))
    args = ["forward", "two-layer", "--inputs", str(bad), "--json"]
    alone, _, _ = nncalc("off", tmp_path, args, capture_output=True)
    helped, blocks, _ = nncalc("on", tmp_path, args, capture_output=True)
    assert blocks >= 2
    assert helped.returncode == alone.returncode == 1
    assert helped.stderr == alone.stderr
    assert helped.stderr.decode().splitlines() == [f"error: {bad}:90002:3: 'x' is not a number; expected 2 numbers"]
    assert helped.stdout == alone.stdout and helped.stdout.count(b"\n") == 90_000


def test_a_closed_pipe_ends_quietly_and_the_helper_with_it(tmp_path, rows):
    report = tmp_path / "count-on"
    proc = subprocess.run(
        f"{sys.executable} -c '{WRAP}' on {report} forward two-layer --inputs {rows} --json"
        " | head -c 3000000 > /dev/null; echo ${PIPESTATUS[0]}",
        shell=True, capture_output=True, text=True, executable="/bin/bash",
    )
    assert proc.stderr == ""
    assert proc.stdout.strip() in ("0", "1")  # as without the helper: 0 if all was written
    assert int(report.read_text()) >= 1
    assert_ended(int((tmp_path / "count-on.pid").read_text()))


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_a_full_disk_is_one_error(tmp_path, rows):
    with open("/dev/full", "wb") as full:
        proc, _, report = nncalc("on", tmp_path, ["forward", "two-layer", "--inputs", str(rows), "--json"], stdout=full, stderr=subprocess.PIPE)
    assert proc.returncode == 1
    assert proc.stderr.decode().splitlines() == ["error: cannot write the output: No space left on device"]


def test_an_interrupt_ends_both(tmp_path, rows):
    report = tmp_path / "count-on"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRAP, "on", str(report), "forward", "two-layer", "--inputs", str(rows), "--json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not report.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C does: to the whole group
    _, err = proc.communicate()
    assert b"Traceback" not in err
    assert proc.returncode in (0, 130)  # 0 if it had ended already
    assert_ended(int((tmp_path / "count-on.pid").read_text()))


def assert_ended(pid):
    """The helper process ``pid`` has ended (it may take a moment after its caller)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    return  # ended, not yet reaped by whoever adopted it
        except FileNotFoundError:
            return
        time.sleep(0.02)
    raise AssertionError(f"the helper {pid} is still running")


def test_with_standard_input_and_error_closed(tmp_path, rows):
    """The helper's descriptor of the shared memory is 3 or more: with fd 0 and 2 closed,
    it would otherwise be one of the helper's standard streams."""
    args = ["forward", "two-layer", "--inputs", str(rows), "--json"]
    alone, _, _ = nncalc("off", tmp_path, args, capture_output=True)
    out = tmp_path / "out.json"
    report = tmp_path / "count-closed"
    command = " ".join([sys.executable, "-c", f"'{WRAP}'", "on", str(report), *args])
    proc = subprocess.run(f"{command} > {out} <&- 2>&-", shell=True, executable="/bin/bash")
    assert proc.returncode == 0
    assert int(report.read_text()) >= 2
    assert out.read_bytes() == alone.stdout


class Answers:
    """The helper's side of the pipes, as TextHelper reads and writes them."""

    def __init__(self, answers):
        self.answers, self.sent = answers, b""

    def write(self, data):
        self.sent += data

    def flush(self):
        pass

    def read(self, n):
        out, self.answers = self.answers[:n], self.answers[n:]
        return out


def helper_answering(answers):
    """A TextHelper that took one block (slot 0), whose helper answers ``answers``."""
    import mmap

    from nncalc.pipeline import TextHelper

    helper = TextHelper()
    helper._state = "ready"
    helper._memory = mmap.mmap(-1, helper.SLOTS * (8 * helper.NUMBERS + helper.TEXT))
    helper._proc = type("Proc", (), {"stdin": Answers(b""), "stdout": Answers(answers)})()
    assert helper.send((len, [np.arange(6.0).reshape(2, 3)], "utf-8", "strict")) == 0
    return helper


def test_a_block_goes_through_shared_memory():
    import pickle

    helper = helper_answering(b"")
    sent = helper._proc.stdin.sent
    assert sent[:1] == b"J" and int.from_bytes(sent[1:9], "little") == len(sent) - 9
    assert pickle.loads(sent[9:]) == (0, len, [(2, 3)], "utf-8", "strict")
    assert np.frombuffer(helper._memory, np.float64, 6).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    # the text the helper made, read where it put it
    helper._memory[8 * helper.NUMBERS : 8 * helper.NUMBERS + 5] = b"text!"
    helper._proc.stdout = Answers(b"D\0" + (5).to_bytes(8, "little"))
    assert bytes(helper.take(0)) == b"text!"
    assert helper.ready()


def test_a_helper_that_cannot_make_a_block_leaves_it_to_the_caller():
    helper = helper_answering(b"E\0" + bytes(8))
    assert helper.take(0) is None
    assert helper.ready()  # a block it could not make: the next one still goes to it


@pytest.mark.parametrize("answers", [b"", b"D\0\0", b"D\1" + (5).to_bytes(8, "little"), b"?" * 10])
def test_a_helper_that_ended_or_answers_nonsense_gets_no_more_blocks(answers):
    helper = helper_answering(answers)
    assert helper.take(0) is None
    assert not helper.ready()
    assert helper.send((len, [np.zeros((1, 1))], "utf-8", "strict")) is None


def test_the_helper_holds_at_most_its_slots_and_blocks_it_has_room_for():
    helper = helper_answering(b"")
    assert helper.send((len, [np.zeros((1, 1))], "utf-8", "strict")) == 1
    assert helper.send((len, [np.zeros((1, 1))], "utf-8", "strict")) is None  # two held
    helper._sent = []
    assert helper.send((len, [np.zeros((1, helper.NUMBERS + 1))], "utf-8", "strict")) is None  # too large


class FakeHelper:
    """A helper in this process: it takes ``room`` blocks at once, and each block it
    took is ready only after ``slow`` questions whether it is done."""

    def __init__(self, room=2, slow=0, fails=()):
        self.room, self.slow, self.fails = room, slow, set(fails)
        self.held, self.asked, self.sent = [], 0, []

    def start(self):
        pass

    def send(self, job):
        render, block, encoding, errors = job
        if len(self.held) >= self.room:
            return None
        self.held.append(block)
        self.sent.append(block)
        return block

    def done(self, ticket):
        self.asked += 1
        return self.asked > self.slow

    def take(self, ticket):
        assert self.held.pop(0) == ticket, "taken in the order sent"
        self.asked = 0
        return None if ticket in self.fails else f"<{ticket} by the helper>".encode()


def made_here(block, encoding, errors):
    if block == "bad":
        raise ValueError("bad block")
    return f"<{block}>".encode()


@pytest.mark.parametrize("slow", [0, 1, 5])
@pytest.mark.parametrize("room", [1, 2, 3])
def test_texts_come_out_in_order_whoever_made_them(room, slow):
    from nncalc.pipeline import texts

    blocks = list(range(23))
    helper = FakeHelper(room, slow, fails={7})
    out = [bytes(t) for t in texts(blocks, made_here, "utf-8", "strict", helper, help_from=4)]
    assert [int(t[1:].split(b">")[0].split(b" ")[0]) for t in out] == blocks
    theirs = [k for k, t in enumerate(out) if b"helper" in t]
    assert all(k % 2 == 1 for k in theirs)  # the odd blocks, from the first after block 4
    assert min(theirs) == 5 and (7 not in helper.sent or b"<7>" in out)  # one it could not make, made here
    assert helper.held == []


def test_an_error_comes_out_in_its_turn():
    """A block made ahead that fails is made again in its turn: the blocks before it
    come out first, the helper's among them."""
    from nncalc.pipeline import texts

    blocks = [0, 1, 2, 3, "bad", 5, 6]
    helper = FakeHelper(room=2, slow=10)
    out = []
    with pytest.raises(ValueError, match="bad block"):
        for t in texts(blocks, made_here, "utf-8", "strict", helper):
            out.append(bytes(t))
    assert out == [b"<0>", b"<1 by the helper>", b"<2>", b"<3 by the helper>"]
