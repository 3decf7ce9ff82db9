"""What every command shares: the Typer app, the output options (defined once), loading
a network, writing results, and turning an :class:`NncalcError` into one stderr line.

Commands parse arguments, call the library and a renderer; nothing here computes.
"""

from __future__ import annotations

import io
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Iterator, List, Optional

import typer
import typer.core

from nncalc import __version__
from nncalc.errors import InputError, NncalcError, did_you_mean

if TYPE_CHECKING:
    import click
    from rich.console import Console

    from nncalc.network import Network
    from nncalc.render.terminal import Terminal


class Command(typer.core.TyperCommand):
    """Typer's command, with usage written the usual way: ``SPEC``, not ``{SPEC}``."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [p.replace("{", "").replace("}", "") for p in super().collect_usage_pieces(ctx)]


def _click_exceptions() -> Any:
    """Click's exceptions module, as this Typer uses it (its own copy, or click's)."""
    vendored = getattr(typer.core, "_click", None)
    if vendored is not None:
        return vendored.exceptions
    import click.exceptions

    return click.exceptions


class Group(typer.core.TyperGroup):
    """Typer's group, whose usage errors (an unknown option, a missing argument, a value
    out of range) are one line on stderr and exit status 1, as every other bad input:
    ``error: no such option: --bogus (see 'nncalc forward --help')``."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        exceptions = _click_exceptions()
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except exceptions.ClickException as e:
            ctx = getattr(e, "ctx", None)
            if type(e).__name__ == "NoArgsIsHelpError" and ctx is not None:  # `nncalc` alone
                sys.stdout.write(ctx.get_help() + "\n")
                sys.exit(0)
            message = " ".join(e.format_message().split()).removesuffix(".")
            message = message[:1].lower() + message[1:] if message[1:2].islower() else message
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            sys.stderr.write(f"error: {message}{hint}\n")
            sys.exit(1)
        except typer.Abort:
            sys.stderr.write("error: aborted\n")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="nncalc",
    cls=Group,
    help=(
        "A calculator for neural-network forward passes: every weighted sum and "
        "activation, worked out step by step.\n\n"
        "Try 'nncalc forward two-layer', or 'nncalc examples' for the bundled networks."
    ),
    # Plain Click help: it wraps at word boundaries, prints [plot] as written, and keeps
    # Rich (and its Markdown and syntax-highlighting modules) off the start-up path.
    rich_markup_mode=None,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def command(*examples: str, **kwargs: Any):  # type: ignore[no-untyped-def]
    """Register a command with an Examples section in its help."""
    epilog = "Examples:\n\n\b\n" + "\n".join(f"  {e}" for e in examples) if examples else None
    return app.command(cls=Command, epilog=epilog, **kwargs)


# ------------------------------------------------------------------ shared options


def format_option(formats: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """A command's --format option; the first of its formats is the default."""
    return Annotated[
        Optional[str],
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help=f"Output format: {', '.join(formats)} (default: {formats[0]}).",
            show_default=False,
        ),
    ]


def json_option(what: str = "Print JSON instead of tables.") -> Any:
    return Annotated[bool, typer.Option("--json", help=f"{what} Short for --format json.")]


CsvOption = Annotated[
    bool,
    typer.Option("--csv", help="Print CSV: the outputs only, one row per input, with a header line. Short for --format csv."),
]
PrecisionOption = Annotated[
    int,
    typer.Option(min=1, max=17, metavar="DIGITS", help="Significant digits shown in tables (JSON and CSV always have full precision)."),
]
AllowOutsideOption = Annotated[
    bool,
    typer.Option(
        "--allow-outside-paths",
        help="Let a spec read weight files outside its own folder (absolute paths, '..').",
    ),
]
SpecArgument = Annotated[
    str,
    typer.Argument(
        metavar="SPEC",
        help=(
            "A spec file (YAML or JSON), a model file (.onnx, .safetensors, .keras, a PyTorch "
            ".pt state dict), '-' for standard input, or a bundled example's name."
        ),
        show_default=False,
    ),
]
ActivationsOption = Annotated[
    Optional[str],
    typer.Option(
        "--activations",
        metavar="NAMES",
        help=(
            "The activations of a weights-only model file (.safetensors, a PyTorch state "
            "dict), one per layer, like relu,relu,softmax. Without it every layer of such a "
            "file is linear."
        ),
        show_default=False,
    ),
]
SeedOption = Annotated[int, typer.Option(min=0, metavar="N", help="Seed of the random search (same seed, same result).")]


def input_option(help: str) -> Any:
    return typer.Option("--input", "-i", metavar="VECTOR", help=help, show_default=False)


# --input of the commands that take a batch of vectors (forward, backward, stats)
InputOption = Annotated[
    Optional[List[str]],
    input_option("An input vector, like 1,2 (overrides the spec's input). Repeat for a batch."),
]

InputsOption = Annotated[
    Optional[List[str]],
    typer.Option(
        "--inputs",
        metavar="FILE",
        help="A file of inputs, one per row: CSV, TSV, .npy, JSON or NDJSON; '-' reads standard input. Repeatable.",
        show_default=False,
    ),
]
InputFormatOption = Annotated[
    Optional[str],
    typer.Option(
        "--input-format",
        metavar="FORMAT",
        help="The format of --inputs files: csv, tsv, npy, json or ndjson (default: from the suffix, else the content).",
        show_default=False,
    ),
]


def choose_format(chosen: str | None, formats: tuple[str, ...], json: bool = False, csv: bool = False) -> str:
    """The format asked for by --format or by its short forms --json and --csv."""
    short = [name for name, on in (("json", json), ("csv", csv)) if on]
    if len(short) > 1:
        raise InputError("choose one of --json and --csv")
    if chosen is not None and short and chosen != short[0]:
        raise InputError(f"--format {chosen} and --{short[0]} ask for different formats")
    fmt = chosen or (short[0] if short else formats[0])
    if fmt not in formats:
        suggest = did_you_mean(fmt, formats)
        raise InputError(f"--format '{fmt}': {suggest}expected one of {', '.join(formats)}")
    return fmt


# ------------------------------------------------------------------ errors


# What the command line adds to a library message that names a remedy (the library
# never names a flag).
HINTS = {
    "outside_paths": "pass --allow-outside-paths to allow it",
    "activations_option": "drop --activations",
}


@contextmanager
def reported() -> Iterator[None]:
    """Turn an NncalcError into ``error: ...`` on stderr and exit status 1."""
    try:
        yield
    except NncalcError as e:
        from nncalc.render.escape import charset

        hint = HINTS.get(getattr(e, "hint", None) or "")
        typer.secho("error: ", fg="red", bold=True, err=True, nl=False)
        # A name in a message is data: control characters are shown, never sent.
        typer.echo(charset(sys.stderr).name(f"{e} ({hint})" if hint else str(e)), err=True)
        raise typer.Exit(1) from None


# ------------------------------------------------------------------ loading


def load_network(spec: str, allow_outside: bool = False, activations: str | None = None) -> Network:
    """The network SPEC names: a spec or model file, ``-`` or a bundled example.

    ``activations`` is the --activations option, for weights-only model files.
    """
    import nncalc

    return nncalc.load(spec, activations=activations, allow_outside=allow_outside)


def weights_only_note(spec: str, net: Network, activations: str | None) -> None:
    """Say on stderr that a weights-only file's layers are all linear, and how to name
    their activations."""
    if activations is not None:
        return
    from nncalc.importers import WEIGHTS_ONLY, detect

    if detect(spec) in WEIGHTS_ONLY:
        n = len(net.layers)
        like = ",".join(["relu"] * (n - 1) + ["linear"])
        typer.echo(
            f"note: {spec} holds weights only, so every layer is linear; name the activations "
            f"with --activations ({n} name{'s' if n != 1 else ''}, one per layer, like {like})",
            err=True,
        )


def inputs(net: Network, given: list[str] | None) -> Any:
    """The --input vectors as a batch, else the spec's own input, else an error saying
    how to give one."""
    if given:
        import numpy as np

        from nncalc.files import shown
        from nncalc.inputs import parse_vector

        rows = []
        for v in given:
            try:
                rows.append(parse_vector(v, net, what=f"--input {shown(v)}"))
            except InputError as e:
                if e.hint == "input":
                    e.message += f", like --input {','.join(['1'] * net.nin)}"
                raise
        return np.stack(rows)
    if net.input is not None:
        return net.input
    raise InputError(
        f"no input given: pass --input with {net.nin} numbers "
        f"(like --input {','.join(['1'] * net.nin)}) or add 'input:' to the spec",
        source=net.source,
    )


# ------------------------------------------------------------------ writing


def check_loss(name: str) -> None:
    """An InputError naming ``--loss`` where ``name`` is no loss nncalc knows."""
    from nncalc import losses

    if name not in losses.LOSSES:
        raise InputError(f"--loss '{name}': {did_you_mean(name.lower(), losses.LOSSES)}expected one of {losses.known_names()}")


def learning_rate(text: str) -> float:
    """The ``--lr`` value: a positive number."""
    from nncalc.inputs import parse_option_number
    from nncalc.numbers import parse_exact

    value = parse_option_number(text, "--lr")
    if value == 0 and parse_exact(text) != 0:
        raise InputError(f"--lr '{text}': too small for float64 (it rounds to 0); the learning rate must be positive")
    if value <= 0:
        raise InputError(f"--lr '{text}': the learning rate must be positive, like --lr 0.1")
    return value


def console() -> Terminal | Console:
    """Standard output for tables nncalc draws itself (Rich's console only where needed)."""
    from nncalc.render.terminal import console as terminal

    return terminal()


def rich_console() -> Console:
    """Standard output as a Rich console, for renderers that draw with Rich."""
    from rich.console import Console

    return Console()


def write_json(record: object) -> None:
    """One JSON document on stdout."""
    from nncalc.render.data import dumps

    sys.stdout.write(dumps(record) + "\n")


def write_document(doc: list, fmt: str) -> None:  # type: ignore[type-arg]
    from nncalc.render.document import to_latex, to_markdown

    # UTF-8 whatever the terminal's encoding: the LaTeX declares utf8, and Markdown is
    # read as UTF-8 by every tool that renders it.
    text = to_markdown(doc) if fmt == "markdown" else to_latex(doc)
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))


def refuse_overwriting(path: Path, *sources: object) -> None:
    """An output file must not be one of the files the command reads (its spec, model,
    samples or weights): writing it would destroy what it was made from."""
    for source in sources:
        if source is None or str(source) == "-":
            continue
        try:
            same = os.path.samefile(path, str(source))
        except (OSError, ValueError):
            continue
        if same:
            raise InputError(f"{path} is the file this command reads ({source}); write to another file", source=str(path))


def write_file(path: Path, text: str, reads: tuple[object, ...] = ()) -> None:
    """Write ``text`` to ``path``, unless ``path`` is one of the files in ``reads``."""
    refuse_overwriting(path, *reads)
    try:
        path.write_text(text)
    except OSError as e:
        raise NncalcError(f"cannot write the file: {e.strerror}", source=str(path)) from None


# ------------------------------------------------------------------ the entry point


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nncalc {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = None,
) -> None:
    pass


def _can_encode(stream: Any, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


class _WaitingWriter(io.RawIOBase):
    """A non-blocking file descriptor written as a blocking one: a write that finds it
    full waits for room, and every write goes out whole."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return os.isatty(self.fd)

    def write(self, data: Any) -> int:
        import select

        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            try:
                done += os.write(self.fd, view[done:])
            except BlockingIOError:  # full for now
                select.select([], [self.fd], [])
        return done


def _waiting_stdout() -> None:
    """Where standard output was left non-blocking (by the program that started nncalc),
    a write that finds it full fails or writes only part, and Python's own streams then
    lose the rest: standard output is replaced by one that waits for room."""
    out = sys.stdout
    try:
        if os.get_blocking(out.fileno()):
            return
    except (AttributeError, OSError, ValueError):  # not a file descriptor: a stream in memory
        return
    out.flush()
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(_WaitingWriter(out.fileno())),
        encoding=out.encoding,
        errors=out.errors,
        line_buffering=out.line_buffering,
    )


def main() -> None:
    """Entry point of the ``nncalc`` command."""
    if sys.stdout is None:  # started with standard output closed (`nncalc ... >&-`)
        if sys.stderr is not None:
            sys.stderr.write("error: cannot write the output: standard output is closed\n")
        sys.exit(1)
    _waiting_stdout()
    # A terminal that cannot show every character (latin-1, a C locale) gets escapes
    # (\u2192) instead of a crash; JSON stays valid, as \uXXXX is JSON's own escape.
    for stream in (sys.stdout, sys.stderr):
        if not _can_encode(stream, "→σ…") and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        code: Any = 0
        try:
            app()
        except SystemExit as e:
            code = e.code
        sys.stdout.flush()  # here, not at exit, so a full disk is reported like any error
    except BrokenPipeError:
        # The reader went away (`nncalc ... | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    except OSError as e:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.stderr.write(f"error: cannot write the output: {e.strerror or e}\n")
        sys.exit(1)
    sys.exit(code)
