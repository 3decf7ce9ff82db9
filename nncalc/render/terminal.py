"""Writing to a terminal: what it can show, how wide to draw, and tables that never cut a number.

Every table renderer draws through a :class:`Screen`, which holds three decisions:

- :func:`charset`: can the output stream encode ``→``, ``σ``, ``…`` and box drawing? If
  not (``PYTHONIOENCODING=latin-1``, a C locale), our symbols are spelled in ASCII
  (``->``, ``sigma``, ``...``) and Rich draws ASCII boxes; any other character the stream
  cannot encode is written as an escape (``\\u0127``). Data formats never come here.
- names are data: control characters are made visible (:func:`~nncalc.render.escape.visible`)
  and Rich markup is never read from them (cells are plain text or :class:`Styled`).
- width: at most :data:`MAX_WIDTH` columns, whatever ``COLUMNS`` says. A table is drawn
  only if every number fits whole in its column and no word of text must be split; else
  the caller's narrow layout (or one block per row) shows the same content, wrapped at
  spaces. A word wider than the terminal is written whole, never cut: the terminal
  folds the line, and the text stays intact for whoever reads it.

The command line draws on a :class:`Terminal`: standard output seen as Rich's
``Console()`` sees it (the same width, the same decision to style), written directly.
Lines, rules and tables are drawn character for character as Rich draws them, so
Rich's console (about 20 ms to import) is loaded only for what nncalc does not draw
itself: ASCII boxes, tables with footers, a cell that must fold. A Screen on a Rich
console (a notebook's recording console) draws the same characters through Rich.
"""

from __future__ import annotations

import builtins
import os
import sys
from typing import TYPE_CHECKING, Callable, Mapping, NamedTuple, Sequence, Union

from rich.cells import cell_len

from nncalc.render.escape import charset

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

MAX_WIDTH = 500  # wider consoles are drawn at this width (COLUMNS=1000000 is not a terminal)

def wrap(text: str, width: int, indent: str = "  ") -> list[str]:
    """``text`` broken at spaces into lines of at most ``width`` cells, never inside a word.

    Continuation lines start with ``indent``; a word longer than a line stays whole.

    >>> wrap("Input x = [0.125, -1.5, 2.75]", 16)
    ['Input x =', '  [0.125, -1.5,', '  2.75]']
    >>> wrap("  b: 0.5 0.25", 8, "    ")
    ['  b: 0.5', '    0.25']
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        body = paragraph.lstrip(" ")
        line = paragraph[: len(paragraph) - len(body)]  # a paragraph's own indent is kept
        started = False
        for word in body.split(" "):
            if started and cell_len(line) + 1 + cell_len(word) > width:
                lines.append(line)
                line = indent + word
            else:
                line = f"{line} {word}" if started else line + word
            started = True
        lines.append(line)
    return lines


def join_wrapped(
    first: str, parts: Sequence[str], sep: str, cont: str, width: int, break_first: bool = False
) -> list[str]:
    """``first`` then ``parts`` joined by ``sep``, a new line (starting ``cont``) before a
    part that does not fit; parts are never split. With ``break_first``, the first part
    too starts a new line if it does not fit after ``first`` (whose end is then trimmed).

    >>> join_wrapped("z = ", ["(1)(2)", "(3)(4)", "5"], " + ", "  + ", 16)
    ['z = (1)(2)', '  + (3)(4) + 5']
    >>> join_wrapped("a = f(z) = ", ["max(0, 0.123)", "0.123"], " = ", "  = ", 16, break_first=True)
    ['a = f(z)', '  = max(0, 0.123)', '  = 0.123']
    """
    lines: list[str] = []
    line = first
    if break_first and parts and cell_len(first) + cell_len(parts[0]) > width:
        lines.append(first.rstrip(" =+"))
        line = cont
    for k, part in enumerate(parts):
        if k and cell_len(line) + cell_len(sep) + cell_len(part) > width:
            lines.append(line)
            line = cont + part
        else:
            line += (sep if k else "") + part
    lines.append(line)
    return lines


class Column(NamedTuple):
    """A table column: ``number`` columns are never wrapped (each cell is one number)."""

    header: str
    justify: str = "left"
    number: bool = False
    min_width: int = 0  # a text column narrower than this reads badly: use the narrow layout
    long: str | None = None  # the header in one-block-per-row layout, if not ``header``


class Gap(NamedTuple):
    """A row standing for rows left out: ``…`` in every column, ``text`` in the first text one."""

    text: str


class Styled(str):
    """Text of which some stretches are styled: ``spans`` are ``(start, end, style)``.

    It is the string it shows (names already through :meth:`Screen.name`), so widths and
    wrapping see its characters; the spans only colour them.

    >>> s = Styled.of(("relu", "bold"), (" (ReLU)", None))
    >>> str(s), s.spans
    ('relu (ReLU)', ((0, 4, 'bold'),))
    """

    spans: tuple[tuple[int, int, str], ...] = ()

    @classmethod
    def of(cls, *parts: tuple[str, str | None]) -> "Styled":
        spans, at = [], 0
        for text, style in parts:
            if style and text:
                spans.append((at, at + len(text), style))
            at += len(text)
        out = cls("".join(text for text, _ in parts))
        out.spans = tuple(spans)
        return out


Cell = Union[str, Styled]
Row = Union[Sequence[Cell], Gap]


# What Rich writes for the styles nncalc uses (its default theme): SGR attributes, in
# Rich's order, and a colour that NO_COLOR takes away. Rule lines are bright green.
_STYLES: dict[str, tuple[tuple[str, ...], str]] = {
    "bold": (("1",), ""),
    "dim": (("2",), ""),
    "italic": (("3",), ""),
    "table.header": (("1",), ""),
    "bold red": (("1",), "31"),
    "bold green": (("1",), "32"),
    "rule.line": ((), "92"),
}


def _jupyter() -> bool:
    return hasattr(builtins, "get_ipython")


class Terminal:
    """Standard output as Rich's ``Console()`` would see it, without loading Rich's console.

    ``is_terminal``, ``width``, whether styles are written and ``NO_COLOR`` follow
    Rich's own rules (``TTY_COMPATIBLE``, ``FORCE_COLOR``, ``isatty``, ``TERM=dumb``,
    ``COLUMNS`` and ``LINES``, the terminal's size from stdin, stdout or stderr), so a
    table looks the same whichever of the two draws it. :meth:`rich` gives a Rich
    console on the same stream for whatever nncalc does not draw itself.

    >>> import io
    >>> t = Terminal(io.StringIO(), environ={"COLUMNS": "100"})
    >>> t.is_terminal, t.width, t.styled
    (False, 100, False)
    >>> Terminal(io.StringIO(), environ={"FORCE_COLOR": "1", "TERM": "dumb"}).width
    80
    """

    def __init__(self, file: object = None, environ: Mapping[str, str] | None = None) -> None:
        self._file = file
        env = os.environ if environ is None else environ
        self._environ = env
        self.is_terminal = self._is_terminal(env)
        dumb = self.is_terminal and env.get("TERM", "").lower() in ("dumb", "unknown")
        self.styled = self.is_terminal and not dumb  # Rich's colour system is None otherwise
        self.no_color = env.get("NO_COLOR", "") != ""
        self.width = self._width(env, dumb)
        self._rich: Console | None = None

    @property
    def file(self):  # type: ignore[no-untyped-def]
        """The stream written to: standard output as it is when written, like Rich's."""
        return self._file if self._file is not None else sys.stdout

    def _is_terminal(self, env: Mapping[str, str]) -> bool:
        if hasattr(sys.stdin, "__module__") and sys.stdin.__module__.startswith("idlelib"):
            return False
        tty = env.get("TTY_COMPATIBLE", "")
        if tty in ("0", "1"):
            return tty == "1"
        force = env.get("FORCE_COLOR")
        if force is not None:
            return force != ""
        isatty = getattr(self.file, "isatty", None)
        try:
            return False if isatty is None else bool(isatty())
        except ValueError:
            return False

    @staticmethod
    def _width(env: Mapping[str, str], dumb: bool) -> int:
        columns, lines = env.get("COLUMNS"), env.get("LINES")
        given = int(columns) if columns is not None and columns.isdigit() else None
        if given is not None and lines is not None and lines.isdigit():
            return given
        if dumb:
            return 80
        width = None
        for fd in (0, 1, 2):
            try:
                width = os.get_terminal_size(fd)[0]
            except (AttributeError, ValueError, OSError):
                continue
            break
        if given is not None:
            return given
        return width or 80

    def rich(self) -> Console:
        """A Rich console on the same stream (Rich decides the same width and styling)."""
        if self._rich is None:
            from rich.console import Console

            self._rich = Console(file=self._file, _environ=self._environ)
        return self._rich

    def sgr(self, styles: Sequence[str]) -> str | None:
        """The escape sequence that starts ``styles`` together, "" for none, None if unknown."""
        attrs: list[str] = []
        colour = ""
        for style in styles:
            known = _STYLES.get(style)
            if known is None:
                return None
            attrs += [a for a in known[0] if a not in attrs]
            colour = known[1] or colour
        codes = sorted(attrs) + ([colour] if colour and not self.no_color else [])
        return f"\x1b[{';'.join(codes)}m" if codes else ""

    def write(self, text: str, spans: Sequence[tuple[int, int, str]] = ()) -> bool:
        """``text`` and a line end, each stretch in ``spans`` styled as Rich styles it
        (line by line, a stretch at a time); False, nothing written, for a style this
        does not know."""
        if not self.styled or not spans:
            self.file.write(text + "\n")
            return True
        out: list[str] = []
        start = 0
        for line in text.split("\n"):
            end = start + len(line)
            cuts = {start, end}
            for a, b, _ in spans:
                cuts.update(c for c in (a, b) if start < c < end)
            edges = sorted(cuts)
            for a, b in zip(edges, edges[1:]):
                styles = [style for s, e, style in spans if s <= a and b <= e]
                code = self.sgr(styles) if styles else ""
                if code is None:
                    return False
                piece = text[a:b]
                out.append(f"{code}{piece}\x1b[0m" if code else piece)
            out.append("\n")
            start = end + 1
        self.file.write("".join(out))
        return True


def console() -> Terminal | Console:
    """Where the command line's tables go: a :class:`Terminal`, or Rich's own console
    where Rich knows more (Windows' console, a notebook)."""
    if sys.platform == "win32" or _jupyter():
        from rich.console import Console

        return Console()
    return Terminal()


class Screen:
    """A console (a :class:`Terminal` or Rich's) seen through its charset and a sensible width."""

    def __init__(self, console: Terminal | Console) -> None:
        self.console = console
        self.cs = charset(console)
        self.width = max(1, min(console.width, MAX_WIDTH))
        # nncalc writes the characters itself on a Terminal that shows Unicode
        self.direct = isinstance(console, Terminal) and self.cs.unicode

    def _rich(self) -> Console:
        return self.console.rich() if isinstance(self.console, Terminal) else self.console

    def name(self, s: str) -> str:
        return self.cs.name(s)

    def text(self, s: Cell, style: str | None = None) -> Text:
        """A cell as Rich text (for a table Rich draws)."""
        from rich.text import Span, Text

        if isinstance(s, Styled):
            return Text(str(s), spans=[Span(*span) for span in s.spans])
        return Text(self.cs.text(s), style=style)

    def plain(self, s: Cell) -> str:
        """The characters a cell shows."""
        return str(s) if isinstance(s, Styled) else self.cs.text(s)

    def _write(self, text: str, spans: Sequence[tuple[int, int, str]] = ()) -> None:
        """Lines already fitted to the width, with styled stretches: printed as they are."""
        if self.direct and "\t" not in text and self.console.write(text, spans):  # type: ignore[union-attr]
            return
        from rich.text import Span, Text

        self._rich().print(Text(text, spans=[Span(*s) for s in spans]), soft_wrap=True)

    def blank(self) -> None:
        self._write("")

    def line(self, s: str, style: str | None = None, indent: str = "") -> None:
        """A line of text (names already through :meth:`name`), wrapped at spaces."""
        self.lines(wrap(self.cs.text(s), self.width, indent), style)

    def lines(self, lines: Sequence[str], style: str | None = None) -> None:
        """Lines already fitted to the width: printed as they are, never re-wrapped or cut."""
        text = self.cs.text("\n".join(lines))
        self._write(text, [(0, len(text), style)] if style and text else ())

    def rule(self, title: str) -> None:
        """A line across the width after ``title``, as Rich's left-aligned ``Rule``."""
        title = self.cs.text(title)
        if self.direct and cell_len(title) <= self.width - 2 and title.isprintable():
            fill = "─" * (self.width - cell_len(title) - 1)
            self._write(f"{title} {fill}", [(len(title) + 1, len(title) + 1 + len(fill), "rule.line")])
            return
        from rich.rule import Rule
        from rich.text import Text

        self._rich().print(Rule(Text(title), align="left"), width=self.width)

    def plan(self, columns: Sequence[Column], rows: Sequence[Row], footer: Sequence[str] | None = None) -> list[int] | None:
        """Each column's width if the table fits with no number cut and no word split, else None."""
        cells = [[self.plain(c) for c in row] for row in rows if not isinstance(row, Gap)]
        gaps = [self.cs.text(row.text) for row in rows if isinstance(row, Gap)]
        first_text = next((i for i, col in enumerate(columns) if not col.number), None)
        natural, minimum = [], []
        for i, col in enumerate(columns):
            head = self.cs.text(col.header).split("\n")
            body = [line for row in cells for line in row[i].split("\n")]
            if footer is not None:
                body += self.cs.text(footer[i]).split("\n")
            if i == first_text:
                body += gaps
            lines = head + body or [""]
            words = [w for line in lines for w in line.split()] or [""]
            nat = max(map(cell_len, lines))
            longest_word = max(map(cell_len, words))
            if col.number:
                least = max([longest_word, *map(cell_len, body)])
            else:
                least = max(longest_word, min(nat, col.min_width))
            natural.append(nat)
            minimum.append(least)
        room = self.width - (3 * len(columns) + 1)  # borders and a space each side
        if sum(minimum) > room:
            return None
        widths = natural[:]
        excess = sum(widths) - room
        while excess > 0:  # narrow the widest text column first, then number headers
            slack = [i for i, col in enumerate(columns) if widths[i] > minimum[i] and not col.number]
            slack = slack or [i for i in range(len(columns)) if widths[i] > minimum[i]]
            i = max(slack, key=lambda i: widths[i])
            widths[i] -= 1
            excess -= 1
        return widths

    def table(
        self,
        columns: Sequence[Column],
        rows: Sequence[Row],
        title: str | None = None,
        footer: Sequence[str] | None = None,
        show_header: bool = True,
        show_lines: bool = False,
        narrow: Callable[[], None] | None = None,
    ) -> None:
        """Draw a table if it fits; else ``narrow()``, or one block per row."""
        if title is not None:
            self.line(title, style="italic")
        widths = self.plan(columns, rows, footer)
        if widths is None:
            (narrow or (lambda: self._records(columns, rows, footer)))()
            return
        if footer is None and self._drawn(columns, rows, widths, show_header, show_lines):
            return
        from rich.table import Table

        table = Table(show_header=show_header, show_footer=footer is not None, show_lines=show_lines)
        first_text = next((i for i, col in enumerate(columns) if not col.number), None)
        for i, (col, w) in enumerate(zip(columns, widths)):
            table.add_column(
                self.text(col.header),
                footer=self.text(footer[i]) if footer is not None else "",
                justify=col.justify,  # type: ignore[arg-type]
                width=w,
            )
        for row in rows:
            if isinstance(row, Gap):
                table.add_row(
                    *(self.text(row.text, "italic") if i == first_text else self.text("…") for i in range(len(columns)))
                )
            else:
                table.add_row(*(self.text(c) for c in row))
        self._rich().print(table, width=self.width)

    def _drawn(
        self, columns: Sequence[Column], rows: Sequence[Row], widths: list[int], show_header: bool, show_lines: bool
    ) -> bool:
        """Draw the table as Rich would, character for character, without Rich's layout
        engine (which takes about a millisecond a row). Cells are wrapped at the places
        Rich's own line breaker picks; a table Rich would draw otherwise (a word folded,
        a tab, an ASCII box) is left to Rich: False, nothing drawn.

        Borders are Rich's HEAVY_HEAD box; the header is bottom-aligned and styled
        ``table.header``, gap rows are italic, styled cells keep their stretches, as
        Rich draws them.
        """
        from rich import box as boxes

        try:
            from rich._wrap import divide_line
        except ImportError:  # a Rich without it: let Rich draw
            return False

        if not self.cs.unicode:
            return False

        def wrapped(text: str, w: int) -> list[tuple[int, str]] | None:
            """The lines of a cell, each with its offset in ``text``."""
            lines = []
            at = 0
            for line in text.split("\n"):
                if cell_len(line) <= w:
                    lines.append((at, line))
                elif "\t" in line:
                    return None
                else:
                    cuts = [0, *divide_line(line, w, fold=True), len(line)]
                    for a, b in zip(cuts, cuts[1:]):
                        piece = line[a:b]
                        # as Rich's rstrip_end: only the spaces beyond the width go
                        spaces = len(piece) - len(piece.rstrip())
                        piece = piece[: len(piece) - min(spaces, max(0, len(piece) - w))]
                        if cell_len(piece) > w:
                            return None
                        lines.append((at + a, piece))
                at += len(line) + 1
            return lines

        first_text = next((i for i, col in enumerate(columns) if not col.number), None)
        texts: list[tuple[list[Cell], str | None]] = []  # each row's cells, and the row's style
        if show_header:
            texts.append(([self.cs.text(col.header) for col in columns], "table.header"))
        for row in rows:
            if isinstance(row, Gap):
                texts.append(([self.cs.text(row.text) if i == first_text else "…" for i in range(len(columns))], "italic"))
            else:
                texts.append(([c if isinstance(c, Styled) else self.cs.text(c) for c in row], None))
        grid: list[tuple[list[list[tuple[int, str]]], list[Cell], str | None]] = []
        for cells_, style_ in texts:
            lines_ = [wrapped(str(c), w) for c, w in zip(cells_, widths)]
            if any(lines is None for lines in lines_):
                return False
            grid.append((lines_, cells_, style_))  # type: ignore[arg-type]
        box = boxes.HEAVY_HEAD
        if not isinstance(self.console, Terminal):
            box = box.substitute(self.console.options, safe=self.console.safe_box)
        if not show_header:
            box = box.get_plain_headed_box()
        padded = [w + 2 for w in widths]
        out: list[str] = [box.get_top(padded)]
        spans: list[tuple[int, int, str]] = []
        offset = len(out[0]) + 1
        for k, (cells, cell_texts, style) in enumerate(grid):
            header = show_header and k == 0
            left, divider, right = (
                (box.head_left, box.head_vertical, box.head_right)
                if k == 0
                else (box.foot_left, box.foot_vertical, box.foot_right)
                if k == len(grid) - 1
                else (box.mid_left, box.mid_vertical, box.mid_right)
            )
            height = max(len(lines) for lines in cells)
            for n in range(height):
                parts = [left]
                at = offset + len(left)
                for i, (lines, w, col, cell_text) in enumerate(zip(cells, widths, columns, cell_texts)):
                    if i:
                        parts.append(divider)
                        at += len(divider)
                    # headers sit at the bottom of their row, cells at the top
                    m = n - (height - len(lines)) if header else n
                    start, text = lines[m] if 0 <= m < len(lines) else (0, "")
                    if col.justify == "right":
                        text = text.rstrip()
                        pad = w - cell_len(text)
                        cell = " " * pad + text
                    else:
                        pad = 0
                        cell = text + " " * (w - cell_len(text))
                    cell_style = style if header or (style and i == first_text) else None
                    if header:  # Rich styles a header cell's padding too, piece by piece
                        if 0 <= m < len(lines):
                            spans += [(at, at + 1, style), (at + 1, at + 1 + len(cell), style)]
                            spans.append((at + 1 + len(cell), at + 2 + len(cell), style))
                        else:
                            spans.append((at, at + 2 + len(cell), style))  # type: ignore[arg-type]
                    elif cell_style and cell.strip():
                        spans.append((at + 1, at + 1 + len(cell), cell_style))
                    elif isinstance(cell_text, Styled):  # its stretches on this line
                        for a, b, st in cell_text.spans:
                            a, b = max(a, start), min(b, start + len(text))
                            if a < b:
                                spans.append((at + 1 + pad + a - start, at + 1 + pad + b - start, st))
                    parts.append(f" {cell} ")
                    at += len(cell) + 2
                parts.append(right)
                line = "".join(parts)
                out.append(line)
                offset += len(line) + 1
            if header:
                out.append(box.get_row(padded, "head"))
                offset += len(out[-1]) + 1
            elif show_lines and k < len(grid) - 1:
                out.append(box.get_row(padded, "row"))
                offset += len(out[-1]) + 1
        out.append(box.get_bottom(padded))
        self._write("\n".join(out), spans)
        return True

    def _records(self, columns: Sequence[Column], rows: Sequence[Row], footer: Sequence[str] | None) -> None:
        """One block per row: the first cell as its label, then ``header: cell`` lines."""
        out: list[str] = []
        width = self.width
        for row in rows:
            if isinstance(row, Gap):
                out += wrap(f"… {row.text}", width)
                continue
            cells = [self.plain(c) for c in row]
            head = self.cs.text(columns[0].long or columns[0].header)
            label = f"{head} {cells[0]}" if head and "\n" not in cells[0] else cells[0]
            out += wrap(label, width)
            for col, cell in zip(columns[1:], cells[1:]):
                header = self.cs.text(col.long or col.header).replace("\n", " ")
                first, *more = cell.split("\n")
                out += wrap(f"  {header}: {first}" if header else f"  {first}", width, "      ")
                for line in more:
                    out += wrap(f"    {line}", width, "      ")
        if footer is not None:
            given = [(self.cs.text(col.long or col.header), self.cs.text(f)) for col, f in zip(columns, footer) if f]
            if given:
                out += wrap(given[0][1], width)
                out += [line for header, f in given[1:] for line in wrap(f"  {header}: {f}", width, "      ")]
        self.lines(out)
