"""nncalc's own terminal writer against Rich, which it stands in for.

The command line draws its tables on a :class:`~nncalc.render.terminal.Terminal`
(Rich's console takes about 20 ms to import). Rich is the oracle here: the same
environment must give the same decisions (a terminal or not, the width, styles or
none, NO_COLOR), and every drawing must show the same characters in the same styles
as Rich draws them itself, with its own Table, Rule and Text: the very same bytes,
escape sequences included.
"""

from __future__ import annotations

import io
import os
import random

import pytest
from rich.console import Console

import nncalc
from nncalc.render import table
from nncalc.render.terminal import Column, Gap, Screen, Styled, Terminal

ENVIRONMENTS = [
    {},
    {"COLUMNS": "100"},
    {"COLUMNS": "0"},
    {"COLUMNS": "abc"},
    {"COLUMNS": "70", "LINES": "20"},
    {"FORCE_COLOR": "1"},
    {"FORCE_COLOR": ""},
    {"FORCE_COLOR": "1", "NO_COLOR": "1"},
    {"FORCE_COLOR": "1", "NO_COLOR": ""},
    {"FORCE_COLOR": "1", "TERM": "dumb"},
    {"FORCE_COLOR": "1", "TERM": "unknown", "COLUMNS": "120"},
    {"FORCE_COLOR": "1", "TERM": "dumb", "COLUMNS": "120", "LINES": "30"},
    {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "60"},
    {"FORCE_COLOR": "1", "COLORTERM": "truecolor", "COLUMNS": "200"},
    {"TTY_COMPATIBLE": "1"},
    {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"},
]


def _pty_file():  # type: ignore[no-untyped-def]
    """A real terminal to write to (where the platform has one)."""
    pty = pytest.importorskip("pty")
    leader, follower = pty.openpty()
    os.close(leader)
    return os.fdopen(follower, "w")


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=lambda e: " ".join(f"{k}={v}" for k, v in e.items()) or "plain")
@pytest.mark.parametrize("where", ["buffer", "tty"])
def test_terminal_decides_as_rich_does(env, where):
    f = io.StringIO() if where == "buffer" else _pty_file()
    try:
        ours, rich = Terminal(f, env), Console(file=f, _environ=env)
        assert ours.is_terminal == rich.is_terminal
        assert ours.width == rich.width
        assert ours.styled == (rich.color_system is not None)
        assert ours.no_color == rich.no_color
    finally:
        if where == "tty":
            f.close()


def _both(draw, env: dict[str, str]) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """What nncalc writes on a Terminal, and what Rich writes drawing everything itself."""
    ours = io.StringIO()
    draw(Terminal(ours, env))
    theirs = io.StringIO()
    real = Screen._drawn
    Screen._drawn = lambda *args, **kwargs: False  # type: ignore[method-assign]
    try:
        draw(Console(file=theirs, _environ=env))
    finally:
        Screen._drawn = real  # type: ignore[method-assign]
    return ours.getvalue(), theirs.getvalue()


def _drawings():  # type: ignore[no-untyped-def]
    two = nncalc.load("two-layer")
    soft = nncalc.from_arrays(
        [{"weights": [[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]], "bias": [0.1, 0.2, 0.3], "activation": "softmax"}],
        name="softmax layer",
    )
    wide = nncalc.from_arrays([{"weights": [[0.01 * (i - j) for j in range(6)] for i in range(30)], "activation": "tanh"}])
    batch = two.forward([[1, 1], [0.5, -2], [3, 4]])

    def collapse(name):  # type: ignore[no-untyped-def]
        r = nncalc.collapse(nncalc.load(name))
        return lambda c: table.collapse_view(c, r.collapse, r.check, r.search)

    from nncalc import activations as registry

    defs = registry.definitions()
    rows = [(d, registry.saturation(registry.get(d.name))) for d in defs]
    return {
        "forward": lambda c: table.forward_tables(c, two, batch, total=10),
        "softmax": lambda c: table.forward_tables(c, soft, soft.forward([[1, 2]])),
        "wide layer": lambda c: table.forward_tables(c, wide, wide.forward([[1, 2, 3, 4, 5, 6]])),
        "collapse": collapse("linear-stack"),
        "witness": collapse("two-layer"),
        "activations": lambda c: table.activations_table(c, rows),
        "validate": lambda c: table.summary_table(c, two),
    }


@pytest.mark.parametrize("name", list(_drawings()))
@pytest.mark.parametrize(
    "env",
    [{}, {"FORCE_COLOR": "1"}, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, {"FORCE_COLOR": "1", "COLUMNS": "50"},
     {"FORCE_COLOR": "1", "COLUMNS": "140"}, {"COLUMNS": "230"}],
    ids=lambda e: " ".join(f"{k}={v}" for k, v in e.items()) or "plain",
)
def test_drawings_look_as_rich_draws_them(name, env):
    ours, theirs = _both(_drawings()[name], env)
    assert ours == theirs  # the very same bytes, escape sequences and all
    if env.get("FORCE_COLOR"):
        assert "\x1b[" in theirs  # (the comparison saw styles)


@pytest.mark.parametrize("seed", range(80))
def test_random_styled_tables_look_as_rich_draws_them(seed):
    rng = random.Random(seed)
    words = ["(0.2)(1)", "+", "(-0.1)(2)", "0.1", "max(0,", "-0.3)", "=", "ħé中", "a_b", "…", "x" * rng.randint(1, 12)]

    def text(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n))

    def cell(n: int):  # type: ignore[no-untyped-def]
        if rng.random() < 0.5:
            return text(n)
        parts = [(text(rng.randint(1, 3)) + rng.choice([" ", "\n"]), rng.choice([None, "bold", "dim", "italic"])) for _ in range(n)]
        return Styled.of(*parts)

    columns = [Column("unit", "right", number=True)]
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.5:
            columns.append(Column(text(rng.randint(1, 3)), min_width=rng.choice([0, 10, 20])))
        else:
            columns.append(Column(text(1), "right", number=True))
    rows: list = []
    for j in range(rng.randint(1, 8)):
        if rng.random() < 0.15:
            rows.append(Gap(f"{rng.randint(2, 99)} more units"))
        rows.append([str(j + 1), *(cell(rng.randint(1, 4)) if not c.number else text(1) for c in columns[1:])])
    show_header, show_lines = rng.random() < 0.7, rng.random() < 0.4
    env = {"FORCE_COLOR": "1", "COLUMNS": str(rng.choice([30, 50, 80, 120, 200]))}

    def draw(console):  # type: ignore[no-untyped-def]
        Screen(console).table(columns, rows, title="t", show_header=show_header, show_lines=show_lines)

    ours, theirs = _both(draw, env)
    assert ours == theirs


def test_rules_and_lines_look_as_richs():
    def draw(console):  # type: ignore[no-untyped-def]
        screen = Screen(console)
        screen.rule("Input 2 of 1,000")
        screen.line("Output = [0.28]", style="bold")
        screen.lines(["a", "", "b"], style="bold green")
        screen.blank()
        screen.line("plain ħé中 → σ")
        screen.rule("x" * 200)  # longer than the width: Rich shortens it with …

    for env in ({"FORCE_COLOR": "1", "COLUMNS": "40"}, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, {"COLUMNS": "40"}):
        ours, theirs = _both(draw, env)
        assert ours == theirs


def test_the_cli_loads_no_rich_console_for_the_seed_examples(tmp_path):
    """forward, collapse and activations draw without importing Rich's console."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from nncalc.cli import main\n"
        "sys.argv = ['nncalc'] + sys.argv[1:]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert 'rich.console' not in sys.modules, 'rich.console was imported'\n"
    )
    for args in (["forward", "two-layer"], ["collapse", "linear-stack"], ["activations"], ["forward", "two-layer", "--json"]):
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env={**os.environ, "FORCE_COLOR": "1"})
        assert done.returncode == 0, done.stderr
        assert done.stdout
