"""Writing to a terminal: what it can show, how wide to draw, and tables that never cut a number.

Every table renderer draws through a :class:`Screen`, which holds three decisions:

- :func:`charset`: can the output stream encode ``→``, ``σ``, ``…`` and box drawing? If
  not (``PYTHONIOENCODING=latin-1``, a C locale), our symbols are spelled in ASCII
  (``->``, ``sigma``, ``...``) and Rich draws ASCII boxes; any other character the stream
  cannot encode is written as an escape (``\\u0127``). Data formats never come here.
- names are data: control characters are made visible (:func:`~nncalc.render.escape.visible`)
  and Rich markup is never read from them (cells are :class:`rich.text.Text`).
- width: at most :data:`MAX_WIDTH` columns, whatever ``COLUMNS`` says. A table is drawn
  only if every number fits whole in its column and no word of text must be split; else
  the caller's narrow layout (or one block per row) shows the same content, wrapped at
  spaces. A word wider than the terminal is written whole, never cut: the terminal
  folds the line, and the text stays intact for whoever reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence, Union

from rich.cells import cell_len
from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from nncalc.render.escape import Charset, charset

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


@dataclass
class Column:
    """A table column: ``number`` columns are never wrapped (each cell is one number)."""

    header: str
    justify: str = "left"
    number: bool = False
    min_width: int = 0  # a text column narrower than this reads badly: use the narrow layout
    style: str | None = None
    long: str | None = None  # the header in one-block-per-row layout, if not ``header``


@dataclass
class Gap:
    """A row standing for rows left out: ``…`` in every column, ``text`` in the first text one."""

    text: str


Row = Union[Sequence[Union[str, Text]], Gap]


@dataclass
class Screen:
    """A Rich console seen through its charset and a sensible width."""

    console: Console
    cs: Charset = field(init=False)
    width: int = field(init=False)

    def __post_init__(self) -> None:
        self.cs = charset(self.console)
        self.width = max(1, min(self.console.width, MAX_WIDTH))

    def name(self, s: str) -> str:
        return self.cs.name(s)

    def text(self, s: str | Text, style: str | None = None) -> Text:
        if isinstance(s, Text):
            return s
        return Text(self.cs.text(s), style=style)

    def plain(self, s: str | Text) -> str:
        """The characters a cell shows."""
        return s.plain if isinstance(s, Text) else self.cs.text(s)

    def blank(self) -> None:
        self.console.print()

    def line(self, s: str, style: str | None = None, indent: str = "") -> None:
        """A line of text (names already through :meth:`name`), wrapped at spaces."""
        self.lines(wrap(self.cs.text(s), self.width, indent), style)

    def lines(self, lines: Sequence[str], style: str | None = None) -> None:
        """Lines already fitted to the width: printed as they are, never re-wrapped or cut."""
        self.console.print(Text(self.cs.text("\n".join(lines)), style=style), soft_wrap=True)

    def rule(self, title: str) -> None:
        self.console.print(Rule(Text(self.cs.text(title)), align="left"), width=self.width)

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
        if show_header and footer is None and not show_lines and self._drawn(columns, rows, widths):
            return
        table = Table(show_header=show_header, show_footer=footer is not None, show_lines=show_lines)
        first_text = next((i for i, col in enumerate(columns) if not col.number), None)
        for i, (col, w) in enumerate(zip(columns, widths)):
            table.add_column(
                self.text(col.header),
                footer=self.text(footer[i]) if footer is not None else "",
                justify=col.justify,  # type: ignore[arg-type]
                width=w,
                style=col.style,
            )
        for row in rows:
            if isinstance(row, Gap):
                table.add_row(
                    *(self.text(row.text, "italic") if i == first_text else self.text("…") for i in range(len(columns)))
                )
            else:
                table.add_row(*(self.text(c) for c in row))
        self.console.print(table, width=self.width)

    def _drawn(self, columns: Sequence[Column], rows: Sequence[Row], widths: list[int]) -> bool:
        """Draw the table as Rich would, character for character, without Rich's layout
        engine (which takes about a millisecond a row). Cells are wrapped at the places
        Rich's own line breaker picks; a table Rich would draw otherwise (a word folded, a
        styled cell, a tab, an ASCII box) is left to Rich: False, nothing drawn.

        Borders come from Rich's own box for this console; the header is bottom-aligned
        and styled ``table.header``, gap rows are italic, as Rich does it.
        """
        from rich import box as boxes
        from rich.text import Span

        try:
            from rich._wrap import divide_line
        except ImportError:  # a Rich without it: let Rich draw
            return False

        if not self.cs.unicode:
            return False

        def wrapped(text: str, w: int) -> list[str] | None:
            lines = []
            for line in text.split("\n"):
                if cell_len(line) <= w:
                    lines.append(line)
                    continue
                if "\t" in line:
                    return None
                cuts = [0, *divide_line(line, w, fold=True), len(line)]
                pieces = [line[a:b].rstrip() for a, b in zip(cuts, cuts[1:])]
                if any(cell_len(p) > w for p in pieces):
                    return None
                lines += pieces
            return lines

        first_text = next((i for i, col in enumerate(columns) if not col.number), None)
        grid: list[tuple[list[list[str]], str | None]] = []  # rows of cell lines, and a style
        texts: list[tuple[list[str], str | None]] = [([self.cs.text(col.header) for col in columns], "table.header")]
        for row in rows:
            if isinstance(row, Gap):
                texts.append(([self.cs.text(row.text) if i == first_text else "…" for i in range(len(columns))], "italic"))
            else:
                if any(isinstance(c, Text) for c in row):
                    return False
                texts.append(([self.cs.text(c) for c in row], None))
        for cells_, style_ in texts:
            lines_ = [wrapped(c, w) for c, w in zip(cells_, widths)]
            if any(lines is None for lines in lines_):
                return False
            grid.append((lines_, style_))  # type: ignore[arg-type]
        box = boxes.HEAVY_HEAD.substitute(self.console.options, safe=self.console.safe_box)
        padded = [w + 2 for w in widths]
        out: list[str] = [box.get_top(padded)]
        spans: list[Span] = []
        offset = len(out[0]) + 1
        for k, (cells, style) in enumerate(grid):
            header = k == 0
            left, divider, right = (
                (box.head_left, box.head_vertical, box.head_right)
                if header
                else (box.foot_left, box.foot_vertical, box.foot_right)
                if k == len(grid) - 1
                else (box.mid_left, box.mid_vertical, box.mid_right)
            )
            height = max(len(lines) for lines in cells)
            for n in range(height):
                parts = [left]
                at = offset + len(left)
                for i, (lines, w, col) in enumerate(zip(cells, widths, columns)):
                    if i:
                        parts.append(divider)
                        at += len(divider)
                    # headers sit at the bottom of their row, cells at the top
                    m = n - (height - len(lines)) if header else n
                    text = lines[m] if 0 <= m < len(lines) else ""
                    if col.justify == "right":
                        text = text.rstrip()
                        cell = " " * (w - cell_len(text)) + text
                    else:
                        cell = text + " " * (w - cell_len(text))
                    cell_style = style if header or (style and i == first_text) else None
                    if header and col.style:
                        cell_style = None
                    if cell_style and cell.strip():
                        spans.append(Span(at + 1, at + 1 + len(cell), cell_style))
                    parts.append(f" {cell} ")
                    at += len(cell) + 2
                parts.append(right)
                line = "".join(parts)
                out.append(line)
                offset += len(line) + 1
            if header:
                out.append(box.get_row(padded, "head"))
                offset += len(out[-1]) + 1
        out.append(box.get_bottom(padded))
        text = Text("\n".join(out), spans=spans, end="\n")
        self.console.print(text, soft_wrap=True)
        return True

    def _records(self, columns: Sequence[Column], rows: Sequence[Row], footer: Sequence[str] | None) -> None:
        """One block per row: the first cell as its label, then ``header: cell`` lines."""
        out: list[str] = []
        width = self.width
        for row in rows:
            if isinstance(row, Gap):
                out += wrap(f"… {row.text}", width)
                continue
            cells = [self.text(c).plain for c in row]
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
