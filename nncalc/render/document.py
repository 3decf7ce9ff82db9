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


Block = Union[Heading, Para, Math]

# Characters that change the meaning of Markdown text wherever they stand in a paragraph
# (our paragraphs never start a line with # or >).
_MARKDOWN_SPECIAL = {c: "\\" + c for c in "\\`*_[]<$"}
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    # symbols the worked examples' prose uses, which pdflatex has no text glyph for
    "≤": r"\ensuremath{\leq}",
    "≥": r"\ensuremath{\geq}",
    "≠": r"\ensuremath{\neq}",
    "≈": r"\ensuremath{\approx}",
    "→": r"\ensuremath{\rightarrow}",
    "×": r"\ensuremath{\times}",
    "·": r"\ensuremath{\cdot}",
    "⋯": r"\ensuremath{\cdots}",
    "…": r"\ldots{}",
    "σ": r"\ensuremath{\sigma}",
    "α": r"\ensuremath{\alpha}",
    "λ": r"\ensuremath{\lambda}",
    "∞": r"\ensuremath{\infty}",
}


def _latex_char(c: str) -> str:
    if c in _LATEX_SPECIAL:
        return _LATEX_SPECIAL[c]
    # pdflatex with T1 fonts sets Latin letters up to U+017F; anything else would stop it.
    return c if ord(c) < 0x180 else "?"


def markdown_text(s: str) -> str:
    r"""Text that Markdown shows as written.

    >>> markdown_text("a_b *c* $5")
    'a\\_b \\*c\\* \\$5'
    """
    return "".join(_MARKDOWN_SPECIAL.get(c, c) for c in s)


def latex_text(s: str) -> str:
    r"""Text that LaTeX shows as written (also inside ``\text{...}``).

    >>> latex_text("leaky_relu & 50%")
    'leaky\\_relu \\& 50\\%'
    >>> latex_text("z ≤ 0 → café 猫")
    'z \\ensuremath{\\leq} 0 \\ensuremath{\\rightarrow} café ?'
    """
    return "".join(_latex_char(c) for c in s)


def to_markdown(doc: Sequence[Block]) -> str:
    out = []
    for block in doc:
        if isinstance(block, Heading):
            out.append("#" * block.level + " " + markdown_text(block.text))
        elif isinstance(block, Math):
            out.append(f"$$\n{block.tex}\n$$")
        else:
            out.append(
                "".join(f"${p.tex}$" if isinstance(p, Math) else markdown_text(p) for p in block.parts)
            )
    return "\n\n".join(out) + "\n"


_LATEX_HEADINGS = {1: "section*", 2: "section*", 3: "subsection*", 4: "paragraph"}


def to_latex(doc: Sequence[Block]) -> str:
    """A complete document that ``pdflatex`` compiles on its own."""
    out = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{amsmath,amssymb}",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{0.6em}",
        r"\begin{document}",
        "",
    ]
    for block in doc:
        if isinstance(block, Heading):
            out.append(f"\\{_LATEX_HEADINGS.get(block.level, 'paragraph')}{{{latex_text(block.text)}}}")
        elif isinstance(block, Math):
            out.append(f"\\[\n{block.tex}\n\\]")
        else:
            out.append("".join(f"${p.tex}$" if isinstance(p, Math) else latex_text(p) for p in block.parts))
        out.append("")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"
