"""``nncalc forward``: every z = Wx + b and a = σ(z), as tables, documents or data."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any, Callable, Iterator, List

import typer

from nncalc.cli.common import (
    ActivationsOption,
    AllowOutsideOption,
    CsvOption,
    InputFormatOption,
    InputOption,
    InputsOption,
    PrecisionOption,
    SpecArgument,
    choose_format,
    command,
    console,
    format_option,
    inputs,
    json_option,
    load_network,
    reported,
    write_document,
)
from nncalc.errors import ComputeError, InputError

if TYPE_CHECKING:
    import numpy as np

    from nncalc.network import Network

FORMATS_OUT = ("table", "json", "csv", "markdown", "latex")


@command(
    "nncalc forward two-layer",
    "nncalc forward net.yaml --input 1,2 --input -3,4",
    "nncalc forward net.yaml --input 1,2 --json | jq '.output'",
    "nncalc forward net.yaml --inputs data.csv --csv > outputs.csv",
    "nncalc forward two-layer --format markdown > example2.md",
    "cat net.yaml | nncalc forward - --input 1,2",
    "nncalc forward model.onnx --inputs batch.npy --csv",
    "nncalc forward model.safetensors --activations relu,softmax --input 5.1,3.5,1.4,0.2",
)
def forward(
    spec: SpecArgument,
    input: InputOption = None,
    inputs_: InputsOption = None,
    input_format: InputFormatOption = None,
    format: format_option(FORMATS_OUT) = None,
    json: json_option("Print JSON: one object per input and line, with every layer's z and a.") = False,
    csv: CsvOption = False,
    no_header: Annotated[bool, typer.Option("--no-header", help="With --csv: no header line.")] = False,
    outputs_only: Annotated[
        bool, typer.Option("--outputs-only", help="With --json: only each input and output, not every layer.")
    ] = False,
    precision: PrecisionOption = 10,
    all_units: Annotated[
        bool, typer.Option("--all", help="Show every unit and value of large layers (over 32 are shortened).")
    ] = False,
    allow_outside_paths: AllowOutsideOption = False,
    activations: ActivationsOption = None,
    brief: Annotated[
        bool, typer.Option("--brief", help="Tables and documents give each activation's value only, not its formula worked out.")
    ] = False,
    exact: Annotated[
        bool,
        typer.Option(
            "--exact",
            help="Compute with fractions, every number exactly as written (0.1 is 1/10, 1/3 is 1/3); "
            "for linear, relu, leaky_relu, hard_sigmoid, hard_swish and hard_tanh layers.",
        ),
    ] = False,
) -> None:
    """Run a forward pass and show every z = Wx + b and a = σ(z), term by term.

    Inputs come from --input, --inputs files, or the spec's own input. Tables and
    worked examples (--format markdown or latex) show the first few inputs of a large
    batch; --json (one object per line) and --csv stream every input with flat memory.
    """
    from nncalc.batches import batches, first_inputs

    with reported():
        fmt = choose_format(format, FORMATS_OUT, json=json, csv=csv)
        for flag, given, needs in (("--no-header", no_header, "csv"), ("--outputs-only", outputs_only, "json")):
            if given and fmt != needs:
                raise InputError(f"{flag} goes with --{needs} (the output here is {fmt})")
        if input_format is not None:
            from nncalc.inputs import FORMATS

            if input_format not in FORMATS:
                raise InputError(f"--input-format '{input_format}': expected one of {', '.join(FORMATS)}")
        files = inputs_ or []
        if spec == "-" and "-" in files:
            raise InputError("standard input can hold the spec or the inputs, not both")
        if files:
            from nncalc.inputs import check_sources

            check_sources(files)
        net = load_network(spec, allow_outside_paths, activations) if not exact else _load_exact(spec, allow_outside_paths)
        if exact:
            return _forward_exact(net, input, files, fmt, precision, all_units, brief, no_header, outputs_only)
        vectors = inputs(net, input) if input or not files else None
        keep = ("inputs" if outputs_only else "trace") if fmt == "json" else "outputs"
        chunks = batches(net, vectors, files, input_format, keep=keep)
        if fmt in ("csv", "json"):
            _streamed(net, chunks, fmt, outputs_only, no_header, bool(files) and "-" not in files)
        else:
            from nncalc.engine import forward as run

            shown, total = first_inputs(chunks)
            trace = run(net, shown)
            if fmt == "table":
                from nncalc.render.table import forward_tables, more_inputs_note

                out = console()
                forward_tables(out, net, trace, precision=precision, show_all=all_units, total=total, brief=brief)
                more_inputs_note(out, len(shown), total)
            else:
                from nncalc.render.worked import forward_doc

                write_document(forward_doc(net, trace, precision, all_units, total, brief=brief), fmt)


def _streamed(net: Network, chunks: Iterator[np.ndarray], fmt: str, outputs_only: bool, no_header: bool, files: bool) -> None:
    """``--csv``, ``--json`` or ``--json --outputs-only`` of every chunk, as each is
    computed (:func:`_stream`); ``files``: the inputs come from files, not standard input."""
    from nncalc.engine import SEQUENTIAL_MAX
    from nncalc.pipeline import leave_a_core, text_bound

    compute: Callable[[np.ndarray, int], Arrays]
    header = ""
    if fmt == "csv":
        from nncalc.engine import predict
        from nncalc.render.data import csv_bytes as render
        from nncalc.render.data import csv_header

        numbers, header = net.nout, "" if no_header else csv_header(net)
        compute = lambda x, first: [predict(net, x, first)]  # noqa: E731
    elif outputs_only:
        from nncalc.engine import predict
        from nncalc.render.data import outputs_only_bytes as render

        numbers = net.nin + net.nout
        compute = lambda x, first: [x, predict(net, x, first)]  # noqa: E731
    else:
        from nncalc.engine import forward as run
        from nncalc.render.data import trace_arrays, trace_bytes

        numbers, render = net.nin + sum(2 * layer.nout for layer in net.layers) + net.nout, trace_bytes(net)
        compute = lambda x, first: trace_arrays(run(net, x, first))  # noqa: E731
    # The products BLAS computes per input, against the numbers written of it.
    flops = 2.0 * sum(layer.nin * layer.nout for layer in net.layers if layer.nin > SEQUENTIAL_MAX)
    # A worker thread reads and computes the next chunk while JSON is written
    # (nncalc.pipeline.Ahead), when it reads files other than standard input (inputs
    # given on the command line or in the spec are few, and a thread takes milliseconds
    # to start). CSV holds a few numbers a row, written in no time: there the worker
    # gained nothing and held one more chunk (benchmarks/streams.py).
    threaded = fmt == "json" and files
    with leave_a_core(numbers, flops):
        _stream(chunks, compute, render, header, threaded, threaded and text_bound(numbers, flops))


# Rows are formatted about this many numbers at a time: the text of a chunk never exists
# whole, and no single call holds Python's lock for long (the worker computing the next
# chunk needs it between its NumPy calls).
TEXT_VALUES = 1 << 16

Arrays = List["np.ndarray"]


def _stream(
    chunks: Iterator[np.ndarray],
    compute: Callable[[np.ndarray, int], Arrays],
    render: Callable[[Arrays, str, str], bytes | bytearray],
    header: str = "",
    threaded: bool = True,
    helper: bool = False,
) -> None:
    """Write each chunk as soon as it is computed, so memory stays flat.

    ``compute(x, first)`` gives the arrays written of a chunk ``x`` whose first input is
    number ``first``, one row per input; ``render(arrays, encoding, errors)`` their text.
    The next chunk is read and computed in a worker thread while this one is formatted
    and written (nncalc.pipeline), in order, holding at most two chunks; one after the
    other where ``threaded`` is false (standard input is read only by the main thread).
    With ``helper``, half of a long stream's text is made by a second process
    (nncalc.pipeline.TextHelper), every other block of rows, while this one makes the
    blocks between; all of it is written here, in order.

    The header goes out with the first rows, so input that is bad from its first row
    leaves stdout empty.
    """
    from contextlib import closing, nullcontext

    from nncalc.pipeline import HELPER_AFTER, Ahead, TextHelper, texts

    out, encoding, errors = _output()
    write = out.write
    pending = header.encode(encoding, errors)
    second = TextHelper() if helper else None
    written = 0  # numbers

    def emit(text: bytes | bytearray | memoryview) -> None:
        nonlocal pending
        if pending:
            write(pending)
            pending = b""
        write(text)

    def put(arrays: Arrays) -> None:
        nonlocal written
        n = len(arrays[0])
        width = sum(a.shape[1] for a in arrays)
        step = max(1, TEXT_VALUES // width)
        blocks = [[a[i : i + step] for a in arrays] for i in range(0, n, step)]
        # the helper starts once the stream has written HELPER_AFTER numbers
        help_from = max(0, -(-(HELPER_AFTER - written) // (width * step)))
        for text in texts(blocks, render, encoding, errors, second, help_from):
            emit(text)
        written += width * n

    def numbered() -> Iterator[tuple[int, np.ndarray]]:
        first = 1
        try:
            for x in chunks:
                yield first, x
                first += len(x)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    with closing(second) if second else nullcontext(), Ahead(numbered(), lambda item: compute(item[1], item[0]), threaded) as results:
        for item, arrays, error in results:
            if error is not None:
                # The inputs before the one that overflowed are valid: their outputs go
                # out before the error, as they do before a bad row of a file.
                first, x = item
                good = getattr(error, "input", first) - first if isinstance(error, ComputeError) else 0
                if good > 0:
                    put(compute(x[:good], first))
                raise error
            del item  # its inputs: only the arrays are written
            put(arrays)
            del arrays
    if pending:
        write(pending)


def _output() -> tuple[Any, str, str]:
    """How streamed text reaches stdout: a stream taking bytes (``write``, ``flush``),
    and the encoding and error handling to make them with (stdout's own, so the bytes are
    what writing the text would give). Bytes go straight to the binary stream below
    sys.stdout where its encoding keeps ASCII as it is and no newline is translated;
    else they are written as text.
    """
    import io
    import os

    out = sys.stdout
    binary = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None) or "utf-8"
    errors = getattr(out, "errors", None) or "strict"
    ascii = bytes(range(128))
    try:
        keeps_ascii = ascii.decode("ascii").encode(encoding, errors) == ascii
    except (LookupError, UnicodeError):
        keeps_ascii = False
    if binary is not None and keeps_ascii and os.linesep == "\n":
        out.flush()
        if isinstance(binary, io.RawIOBase):  # unbuffered (python -u): it may write part
            return _Whole(binary), encoding, errors
        return binary, encoding, errors
    return _AsText(out), "utf-8", "strict"


class _AsText:
    """A text stream taking UTF-8 bytes."""

    def __init__(self, text: Any) -> None:
        self.text = text

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.text.write(bytes(data).decode("utf-8"))

    def flush(self) -> None:
        self.text.flush()


class _Whole:
    """A raw (unbuffered) binary stream written whole: a raw write may take only part of
    the bytes, or none where the stream is set non-blocking and full; the rest is written
    again once the stream takes more, as a buffered stream does."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def write(self, data: bytes | bytearray | memoryview) -> None:
        import select

        view = memoryview(data).cast("B")
        while len(view):
            n = self.raw.write(view)
            if n is None:  # non-blocking, and full for now
                select.select([], [self.raw], [])
                continue
            view = view[n:]

    def flush(self) -> None:
        self.raw.flush()


def _load_exact(spec: str, allow_outside: bool) -> Network:
    from nncalc.spec import load_spec

    return load_spec(spec, allow_outside=allow_outside, exact=True)


def _forward_exact(
    net: Network,
    given: list[str] | None,
    files: list[str],
    fmt: str,
    precision: int,
    show_all: bool,
    brief: bool,
    no_header: bool,
    outputs_only: bool,
) -> None:
    """``--exact``: the same pass in fractions, beside the float one (tables show the
    exact values; JSON adds them as strings)."""
    from nncalc import exact
    from nncalc.batches import MAX_SHOWN_INPUTS
    from nncalc.engine import forward as run
    from nncalc.render import exactdata

    if files:
        raise InputError("--exact reads its inputs from --input or the spec's input, not from --inputs files")
    exact.check(net)
    if given:
        vectors = inputs(net, given)  # every check and message of --input
        X = exact.exact_vectors(given, what="--input")
    else:
        vectors = inputs(net, None)
        X = exact.exact_inputs(net)
    trace, qtrace = run(net, vectors), exact.forward(net, X)
    if fmt == "json":
        sys.stdout.write(exactdata.trace_lines(net, trace, qtrace, outputs_only))
    elif fmt == "csv":
        from nncalc.render.data import csv_header

        sys.stdout.write(("" if no_header else csv_header(net)) + exactdata.csv_rows(qtrace))
    elif fmt == "table":
        from nncalc.render.table import forward_tables, more_inputs_note

        shown = min(len(vectors), MAX_SHOWN_INPUTS)
        out = console()
        forward_tables(out, net, _first(trace, shown), precision, show_all, len(vectors), brief, _first(qtrace, shown))
        more_inputs_note(out, shown, len(vectors))
    else:
        from nncalc.render.worked import forward_doc

        shown = min(len(vectors), MAX_SHOWN_INPUTS)
        doc = forward_doc(net, _first(trace, shown), precision, show_all, len(vectors), brief, _first(qtrace, shown))
        write_document(doc, fmt)


def _first(trace, n: int):  # type: ignore[no-untyped-def]
    """The first ``n`` inputs of a trace (float or exact)."""
    from dataclasses import replace

    return replace(trace, x=trace.x[:n], layers=tuple(replace(t, z=t.z[:n], a=t.a[:n]) for t in trace.layers))
