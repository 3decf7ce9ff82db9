"""Work on the next item of a stream while the current one is used: a worker thread,
one item ahead.

Streamed output spends its time in two kinds of work: matrix products, during which
NumPy releases Python's lock (the GIL), and formatting numbers as text, which holds it.
Done in turn, their times add up; here the next chunk is read and computed in a worker
thread while the caller formats and writes the current one, so that the two overlap on
two cores.

The worker waits until the caller has taken each result before it starts the next: at
most two items are alive at once (the one being used, the one being computed), so
memory stays as flat as it was without the worker. Results come out in order; an
exception raised by the source or by the work comes out where it happened in that
order, after every result before it.
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Generic, Iterable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# While a worker runs, a thread waiting for the GIL asks for it after this many seconds
# (Python's default is 5 ms). The worker needs the GIL for a moment between its NumPy
# calls, while the caller holds it for long stretches formatting text; at 5 ms the worker
# waited for it more than it computed (benchmarks/streams.py: --json --outputs-only of a
# wide network took 4.7 s at 5 ms, 4.3 s at 0.5 ms, no better below).
SWITCH_INTERVAL = 0.0005


class _Slot:
    """One place to hand over a value: ``put`` waits until the value was taken (or the
    slot was closed), ``take`` until there is a value."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._value: object = None
        self._full = False
        self._closed = False

    def put(self, value: object) -> bool:
        """Hand ``value`` over and wait until it is taken; False if the slot was closed."""
        with self._cond:
            if self._closed:
                return False
            self._value, self._full = value, True
            self._cond.notify_all()
            while self._full and not self._closed:
                self._cond.wait()
            return not self._closed

    def take(self) -> object:
        with self._cond:
            while not self._full:
                self._cond.wait()
            value, self._value, self._full = self._value, None, False
            self._cond.notify_all()
            return value

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._value, self._full = None, False
            self._cond.notify_all()


class Ahead(Generic[T, R]):
    """``work(item)`` for every item of ``items``, computed in a worker thread one item
    ahead of the caller; iterate (inside ``with``) to get ``(item, result, error)``
    triples in order.

    ``error`` is the exception ``work(item)`` raised (``result`` is then None), and it is
    the last triple. An exception of ``items`` itself is raised by the iteration, after
    every item before it came out. Nothing here keeps a triple once it was handed out.

    The worker reads ``items`` too. Leaving the ``with`` block stops it at its next step;
    it is waited for only if it finished. With ``threaded=False`` everything happens in
    the caller's thread, one item at a time: for a source that may block for good (a
    terminal, a pipe), as a thread blocked reading standard input keeps its lock when the
    interpreter exits, and Python then aborts.

    >>> with Ahead(iter([1, 2, 3]), lambda x: 10 * x) as results:
    ...     [r for _, r, _ in results]
    [10, 20, 30]
    >>> with Ahead(iter([1, 0, 2]), lambda x: 1 / x) as results:
    ...     [(x, r, type(e).__name__) for x, r, e in results]
    [(1, 1.0, 'NoneType'), (0, None, 'ZeroDivisionError')]
    """

    def __init__(self, items: Iterable[T], work: Callable[[T], R], threaded: bool = True) -> None:
        self._items = iter(items)
        self._work = work
        self._slot = _Slot()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nncalc-ahead", daemon=True) if threaded else None
        self._done = False  # nothing more comes out
        self._finished = False  # the worker handed over its end

    def __enter__(self) -> Ahead[T, R]:
        if self._thread is not None:
            self._interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._interval, SWITCH_INTERVAL))
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._slot.close()
        if self._thread is not None:
            sys.setswitchinterval(self._interval)
            if self._finished:
                self._thread.join()
        else:
            self._close()

    def __iter__(self) -> Ahead[T, R]:
        return self

    def __next__(self) -> tuple[T, R | None, BaseException | None]:
        if self._done:
            raise StopIteration
        kind, item, value = self._slot.take() if self._thread is not None else self._step()
        if kind == "value":
            return item, value, None
        self._done = True
        if kind == "error":
            return item, None, value
        if kind == "raised":
            raise value
        self._finished = True
        raise StopIteration

    def _step(self) -> tuple[str, object, object]:
        """The next item and its result: ``(kind, item, result or exception)``."""
        try:
            item = next(self._items)
        except StopIteration:
            return "end", None, None
        except BaseException as e:  # raised by the caller, in order
            return "raised", None, e
        try:
            return "value", item, self._work(item)
        except BaseException as e:  # handed to the caller with its item
            return "error", item, e

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                step = self._step()
                if not self._slot.put(step) or step[0] != "value":
                    return
                del step  # the caller has it: this thread keeps nothing of it
        finally:
            self._close()

    def _close(self) -> None:
        close = getattr(self._items, "close", None)
        if close is not None:
            close()


# What writing a number as text and a floating-point operation of a matrix product cost,
# about, on one core: ~45 ns a number (orjson's shortest digits, then the JSON layout),
# ~30 GFLOP/s (benchmarks/streams.py).
TEXT_SECONDS = 45e-9
FLOP_SECONDS = 1 / 30e9


@contextmanager
def leave_a_core(numbers_per_row: int, flops_per_row: float) -> Iterator[None]:
    """While the block runs, BLAS uses one core less than it may (never fewer than one
    thread), if writing a row's ``numbers_per_row`` numbers as text takes at least half
    as long as its ``flops_per_row`` of matrix products on one core.

    Then the caller's thread is busy writing text most of the time, and BLAS threads on
    every core only contend with it (each waits for the others, spinning, at every
    product): on two cores, one BLAS thread beside the writer is faster than two. Where
    the products dominate (``--csv``, a small output of a large network), they keep every
    core. threadpoolctl finds and sets the BLAS library's threads.

    The number of BLAS threads can change the last bits of a wide layer's sums (BLAS
    splits its work differently), as it does from one machine to another.
    """
    if not flops_per_row or _text_over_products(numbers_per_row, flops_per_row) < 0.5:
        yield  # no BLAS at all (small layers are summed term by term), or BLAS dominates
        return
    cores = _cores()
    blas, now = _blas()
    if now <= 1 or cores - 1 >= now:
        yield
        return
    with blas.limit(limits=max(1, cores - 1)):
        yield


def _text_over_products(numbers_per_row: int, flops_per_row: float) -> float:
    """How many times longer writing a row's numbers takes than its products, on a core."""
    products = flops_per_row * FLOP_SECONDS
    return numbers_per_row * TEXT_SECONDS / products if products else float("inf")


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _blas() -> tuple[object, int]:
    """The loaded BLAS libraries (threadpoolctl) and the fewest threads any may use."""
    from threadpoolctl import ThreadpoolController

    blas = ThreadpoolController().select(user_api="blas")
    return blas, min((lib.num_threads for lib in blas.lib_controllers), default=1)


# Held by the one call of spread_blocks() that runs blocks in threads: a call made
# meanwhile (from another thread: Dask's workers, a thread pool) runs its blocks in its own
# thread, as its caller already shares the cores out.
_SPREADING = threading.Lock()


def spread_blocks(count: int, worker: Callable[[], Callable[[int], None]]) -> None:
    """``work(i)`` for every block ``i`` of ``range(count)``, in as many threads as BLAS
    may use cores (the caller's thread one of them), each product in one BLAS thread.

    ``worker()`` is called once in each thread and gives that thread's ``work``, so that
    each thread keeps its own buffers. Blocks are taken in order, the next one by the next
    free thread. Once a block raised an exception no later block is started; every
    earlier one is finished, and the exception of the lowest block that raised one comes
    out when every thread has stopped. An interrupt (Ctrl-C) stops every thread at its
    next block.

    Each thread runs its matrix products in one BLAS thread: a BLAS call split over every
    core waits at its end for the slowest of its threads, and a busy machine makes one of
    them slow at every call; the elementwise work between products (biases, activations,
    the overflow checks) runs on one core. Blocks in threads of their own wait for
    nothing and spread that work too: predict over 100,000 rows of 784-512-256-10 went
    from 0.62x of the GFLOP/s of a single ``X @ W1.T`` to 1.24-1.40x (0.92-0.97x of one
    into a preallocated output) with a busy process running, and from 0.79x to 1.02-1.25x
    (0.82-0.84x) on a quiet machine (benchmarks/predict_busy.py). One BLAS thread
    sums in its own order: the last bits of a wide layer's sums can differ from those of a
    product split over threads, as they differ from one machine to another.
    """
    threads = 1
    if count > 1 and _SPREADING.acquire(blocking=False):
        try:
            blas, now = _blas()
            threads = min(count, _cores(), now)
            if threads > 1:
                with blas.limit(limits=1):
                    _in_threads(count, worker, threads)
                return
        finally:
            _SPREADING.release()
    work = worker()
    for i in range(count):
        work(i)


def _in_threads(count: int, worker: Callable[[], Callable[[int], None]], threads: int) -> None:
    lock = threading.Lock()
    state = {"next": 0, "end": count, "error": None}

    def run() -> None:
        work = worker()
        while True:
            with lock:
                i = state["next"]
                if i >= state["end"]:
                    return
                state["next"] = i + 1
            try:
                work(i)
            except Exception as e:  # the lowest block's goes out, in order
                with lock:
                    if i < state["end"]:
                        state["end"], state["error"] = i, e
                return

    others = [threading.Thread(target=run, name="nncalc-block", daemon=True) for _ in range(threads - 1)]
    for thread in others:
        thread.start()
    try:
        run()
    finally:
        with lock:  # an interrupt stops the others at their next block
            state["end"] = min(state["end"], state["next"])
        for thread in others:
            thread.join()
    if state["error"] is not None:
        raise state["error"]


# -- a second process writing text


def text_bound(numbers_per_row: int, flops_per_row: float) -> bool:
    """Whether writing a row's numbers as text takes at least twice as long as its
    matrix products: then one core writes text while the others wait for it, and a
    second process making text (:class:`TextHelper`) has a core to run on. Where the two
    take about as long, every core is busy already (``--json --outputs-only`` of
    784-512-256-10: timed by hand, the helper made it slower, as it takes its time from
    the products)."""
    return _cores() > 1 and _text_over_products(numbers_per_row, flops_per_row) >= 2


# A helper process is started once a stream has written this many numbers (about a
# fifth of a second of text on one core): a short stream never pays for its start.
HELPER_AFTER = 1 << 22

# What the helper runs: sys.path is the caller's, so that it imports the same nncalc
# (and not one in the current directory, which ``python -m`` would put first).
_HELPER_CODE = "import sys; sys.path[:] = {path!r}; from nncalc.pipeline import _serve; _serve({fd})"


class TextHelper:
    """A second Python process that makes part of a stream's text.

    Text is made by code that holds Python's lock (orjson, bytes.replace), so a thread
    cannot make it beside the caller; a process can. The caller hands the helper the
    numbers of a block ahead (:meth:`send`): they are copied into memory both processes
    map, and the helper makes that block's text there while the caller makes the blocks
    before it. When the caller comes to that block, it takes the text (:meth:`take`) and
    writes it itself, in order: the helper never writes the output, so an error writing
    it is the caller's own, and a helper that fails leaves nothing half written.

    The helper runs the same code on the same numbers, so its text is the caller's, byte
    for byte. It is a convenience, never a dependency: where it cannot start (no POSIX
    pipes or shared memory, no interpreter to run), has not started yet, fails to make a
    block's text or has ended, ``send`` or ``take`` returns None and the caller makes that
    block itself. The helper ignores Ctrl-C (the caller decides what an interrupt does)
    and ends when the caller closes it or exits: its standard input then ends.
    """

    SLOTS = 2  # blocks the helper may hold at once
    NUMBERS = 1 << 17  # the numbers of a block it takes, at most (float64)
    TEXT = 1 << 22  # the bytes of a block's text it can hand back, at most

    def __init__(self) -> None:
        self._proc: Any = None
        self._state = "new"  # new, starting, ready, gone
        self._memory: Any = None
        self._sent: list[int] = []  # the slots holding blocks, in the order sent

    def start(self) -> None:
        if self._state != "new":
            return
        self._state = "gone"
        if os.name != "posix" or not sys.executable or not hasattr(os, "memfd_create"):
            return
        import fcntl
        import mmap
        import subprocess

        size = self._numbers_at(self.SLOTS)
        try:
            fd = os.memfd_create("nncalc-text", os.MFD_CLOEXEC)
        except OSError:
            return
        try:
            os.ftruncate(fd, size)
            self._memory = mmap.mmap(fd, size)
            # the helper keeps the descriptor under a number of 3 or more, clear of its
            # standard streams
            mine = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-c", _HELPER_CODE.format(path=sys.path, fd=mine)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    pass_fds=(mine,),
                    bufsize=0,  # answers read as they come (done() asks the pipe)
                )
            finally:
                os.close(mine)
        except (OSError, ValueError):
            self._release()
            return
        finally:
            os.close(fd)
        self._state = "starting"

    def ready(self) -> bool:
        """Whether the helper takes blocks (it says so once it has imported what it
        needs; until then the caller makes every block itself)."""
        if self._state == "starting":
            import select

            try:
                waiting, _, _ = select.select([self._proc.stdout], [], [], 0)
                if waiting:
                    self._state = "ready" if self._proc.stdout.read(1) == b"R" else "gone"
            except (OSError, ValueError):
                self._state = "gone"
        return self._state == "ready"

    def send(self, job: tuple[Any, ...]) -> int | None:
        """Hand over ``(render, arrays, encoding, errors)``: the helper makes its text
        at once. A ticket for :meth:`take`, or None if the helper cannot take the block
        (it is not ready, holds as many blocks as it may, or the block is too large)."""
        if len(self._sent) >= self.SLOTS or not self.ready():
            return None
        import pickle

        import numpy as np

        render, arrays, encoding, errors = job
        shapes = [tuple(a.shape) for a in arrays]
        if sum(a.size for a in arrays) > self.NUMBERS:
            return None
        slot = min(set(range(self.SLOTS)) - set(self._sent))
        numbers = np.frombuffer(self._memory, np.float64, self.NUMBERS, self._numbers_at(slot))
        at = 0
        for a in arrays:
            numbers[at : at + a.size].reshape(a.shape)[...] = a
            at += a.size
        del numbers  # the memory is not held from this side
        try:
            data = pickle.dumps((slot, render, shapes, encoding, errors), protocol=pickle.HIGHEST_PROTOCOL)
            self._proc.stdin.write(b"J" + len(data).to_bytes(8, "little") + data)
            self._proc.stdin.flush()
        except (OSError, ValueError, pickle.PicklingError, AttributeError, TypeError):
            self._state = "gone"
            return None
        self._sent.append(slot)
        return slot

    def done(self, ticket: int) -> bool:
        """Whether the text of the oldest block sent (``ticket``) is made already."""
        import select

        try:
            return bool(select.select([self._proc.stdout], [], [], 0)[0])
        except (OSError, ValueError, AttributeError):
            return True

    def take(self, ticket: int) -> memoryview | None:
        """The text of the block sent with ``ticket`` (blocks are taken in the order
        they were sent), valid until the next :meth:`send`; None where the helper could
        not make it, or has ended: the caller makes it."""
        assert self._sent and self._sent[0] == ticket, "blocks are taken in the order sent"
        self._sent.pop(0)
        if self._state != "ready":
            return None
        answer = b""
        try:
            while len(answer) < 10 and (more := self._proc.stdout.read(10 - len(answer))):
                answer += more
        except (OSError, ValueError):
            pass
        if answer[:1] == b"D" and len(answer) == 10 and answer[1] == ticket:
            at = self._text_at(ticket)
            return memoryview(self._memory)[at : at + int.from_bytes(answer[2:], "little")]
        if answer[:1] != b"E" or len(answer) != 10:
            self._state = "gone"  # it ended: no more blocks to it
        return None

    @classmethod
    def _numbers_at(cls, slot: int) -> int:
        """Where a slot's numbers begin in the shared memory (its text follows them)."""
        return slot * (8 * cls.NUMBERS + cls.TEXT)

    @classmethod
    def _text_at(cls, slot: int) -> int:
        return cls._numbers_at(slot) + 8 * cls.NUMBERS

    def close(self) -> None:
        proc, self._proc, self._state = self._proc, None, "gone"
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            try:
                proc.wait(timeout=5)
            except Exception:  # noqa: BLE001 - it did not end: it is ended
                proc.kill()
                proc.wait()
        self._release()

    def _release(self) -> None:
        memory, self._memory = self._memory, None
        if memory is not None:
            try:
                memory.close()
            except BufferError:  # a view of it is still held: it goes with the view
                pass


# Blocks of text made before their turn, at most, while the helper makes one before them.
MADE_AHEAD = 2


def texts(
    blocks: Sequence[Any],
    render: Callable[[Any, str, str], Any],
    encoding: str,
    errors: str,
    helper: TextHelper | None = None,
    help_from: int = 0,
) -> Iterator[Any]:
    """``render(block, encoding, errors)`` of every block, in order; with ``helper``,
    from block ``help_from`` on, every other block is made by the helper meanwhile.

    The helper gets the odd blocks ahead while it has room for them, in order; while a
    block of the helper's is not ready, the next blocks of this side are made (at most
    MADE_AHEAD), and come out in their turn. A block the helper could not make is made
    here; an error making a block is raised in its turn, after every block before it.
    """
    theirs: dict[int, int] = {}  # block: the helper's ticket for it
    made: dict[int, Any] = {}  # blocks made here before their turn
    after = 1  # the helper's blocks go in order: the next is this one or later
    for k, block in enumerate(blocks):
        if k in theirs:
            ticket = theirs.pop(k)
            ahead = (j for j in range(k + 1, len(blocks)) if j not in theirs and j not in made)
            while len(made) < MADE_AHEAD and not helper.done(ticket):  # type: ignore[union-attr]
                j = next(ahead, None)
                if j is None:
                    break
                try:
                    made[j] = render(blocks[j], encoding, errors)
                except Exception:  # noqa: BLE001 - raised again in its turn, after the blocks before it
                    break
            text = helper.take(ticket)  # type: ignore[union-attr]
            yield text if text is not None else render(block, encoding, errors)
            continue
        if helper is not None and k >= help_from:
            helper.start()
            for j in range(max(k + 1, after), len(blocks), 2):
                if j not in made:
                    ticket = helper.send((render, blocks[j], encoding, errors))
                    if ticket is None:
                        break
                    theirs[j], after = ticket, j + 2
        yield made.pop(k) if k in made else render(block, encoding, errors)


def _serve(fd: int) -> None:  # pragma: no cover - runs in the helper process (tests drive it through TextHelper)
    """The helper's loop, until its input ends: ``J``, a length and a pickled job
    ``(slot, render, shapes, encoding, errors)``, whose numbers are in the slot of the
    memory ``fd`` holds: make its text, put it in the slot and answer ``D``, the slot and
    its length in 8 bytes; or ``E``, the slot and 8 bytes where it could not be made
    (the caller makes it, and raises its error)."""
    import mmap
    import pickle
    import signal

    import numpy as np

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stdin, answer = sys.stdin.buffer, sys.stdout.buffer
    try:
        memory = mmap.mmap(fd, os.fstat(fd).st_size)
        answer.write(b"R")
        answer.flush()
        while stdin.read(1) == b"J":
            slot, render, shapes, encoding, errors = pickle.loads(stdin.read(int.from_bytes(stdin.read(8), "little")))
            arrays, at, text = [], TextHelper._numbers_at(slot), None
            for shape in shapes:
                count = int(np.prod(shape))
                arrays.append(np.frombuffer(memory, np.float64, count, at).reshape(shape))
                at += 8 * count
            try:
                text = memoryview(render(arrays, encoding, errors)).cast("B")
                if len(text) > TextHelper.TEXT:
                    raise ValueError("the text is larger than the room for it")
                start = TextHelper._text_at(slot)
                memory[start : start + len(text)] = text
                answer.write(b"D" + bytes([slot]) + len(text).to_bytes(8, "little"))
            except Exception:  # noqa: BLE001 - the caller makes it again, and raises
                answer.write(b"E" + bytes([slot]) + bytes(8))
            del arrays, text
            answer.flush()
    except BaseException:  # noqa: BLE001 - the caller went away: end quietly
        pass
    os._exit(0)
