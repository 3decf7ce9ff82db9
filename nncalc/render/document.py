"""A small document model, written out as Markdown (GitHub maths) or standalone LaTeX.

A worked example is built once as a list of blocks (headings, paragraphs with inline
maths, display maths) and written in either language, so the two cannot say different
things. Maths is LaTeX in both: GitHub renders ``$...$`` and ``$$...$$`` in Markdown.

>>> doc = [Heading("Step 1"), Para("We have ", Math("z = 0.1"), "."), Math("a = z")]
>>> print(to_markdown(doc))
## Step 1
<BLANKLINE>
We have $z = 0.1$.
<BLANKLINE>
$$
a = z
$$
<BLANKLINE>
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

from nncalc.render.escape import latex_text, markdown_text

__all__ = ["Block", "Heading", "Math", "Para", "Table", "latex_text", "markdown_text", "to_latex", "to_markdown"]


@dataclass(frozen=True)
class Math:
    """LaTeX maths: inline inside a Para, displayed on its own as a block."""

    tex: str


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


class Para:
    """A paragraph: plain text and inline Math, in order."""

    def __init__(self, *parts: str | Math) -> None:
        self.parts = parts


@dataclass(frozen=True)
class Table:
    """Rows of text cells under a header; ``right`` marks the right-aligned columns.

    >>> print(to_markdown([Table(("unit", "z"), (("1", "0.1"), ("2", "a|b")), (True, True))]), end="")
    | unit | z |
    | ---: | ---: |
    | 1 | 0.1 |
    | 2 | a\\|b |
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    right: tuple[bool, ...] = ()

    def aligned_right(self, j: int) -> bool:
        return j < len(self.right) and self.right[j]


Block = Union[Heading, Para, Math, Table]

def to_markdown(doc: Sequence[Block]) -> str:
    out = []
    for block in doc:
        if isinstance(block, Heading):
            out.append("#" * block.level + " " + markdown_text(block.text))
        elif isinstance(block, Math):
            out.append(f"$$\n{block.tex}\n$$")
        elif isinstance(block, Table):
            cells = [block.header, ["---:" if block.aligned_right(j) else "---" for j in range(len(block.header))]]
            lines = ["| " + " | ".join(markdown_text(c) if i != 1 else c for c in row) + " |" for i, row in enumerate(cells)]
            lines += ["| " + " | ".join(markdown_text(c) for c in row) + " |" for row in block.rows]
            out.append("\n".join(lines))
        else:
            out.append(
                "".join(f"${p.tex}$" if isinstance(p, Math) else markdown_text(p) for p in block.parts)
            )
    return "\n\n".join(out) + "\n"


_LATEX_HEADINGS = {1: "section*", 2: "section*", 3: "subsection*", 4: "paragraph"}


def _display(tex: str) -> str:
    """Displayed maths; an ``aligned`` block becomes ``align*``, which may break across pages."""
    start, end = "\\begin{aligned}\n", "\n\\end{aligned}"
    if tex.startswith(start) and tex.endswith(end) and start not in tex[len(start) :]:
        return "\\begin{align*}\n" + tex[len(start) : -len(end)] + "\n\\end{align*}"
    return f"\\[\n{tex}\n\\]"


def to_latex(doc: Sequence[Block]) -> str:
    """A complete document that ``pdflatex`` compiles on its own."""
    out = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{amsmath,amssymb}",
        r"\allowdisplaybreaks  % a long list of sums may continue on the next page",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{0.6em}",
        r"\begin{document}",
        r"\raggedright  % names and long words break at their own places, never past the margin",
        "",
    ]
    for block in doc:
        if isinstance(block, Heading):
            out.append(f"\\{_LATEX_HEADINGS.get(block.level, 'paragraph')}{{{latex_text(block.text)}}}")
        elif isinstance(block, Math):
            out.append(_display(block.tex))
        elif isinstance(block, Table):
            spec = "".join("r" if block.aligned_right(j) else "l" for j in range(len(block.header)))
            rows = [" & ".join(latex_text(c) for c in row) + r" \\" for row in (block.header, *block.rows)]
            out.append("\n".join([f"\\begin{{tabular}}{{{spec}}}", r"\hline", rows[0], r"\hline", *rows[1:], r"\hline", r"\end{tabular}"]))
        else:
            out.append("".join(f"${p.tex}$" if isinstance(p, Math) else latex_text(p) for p in block.parts))
        out.append("")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"
