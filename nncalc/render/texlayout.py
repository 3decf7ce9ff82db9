r"""How wide a piece of LaTeX maths will be set, so long sums and wide matrices can be
broken or shortened before they run off the page.

The worked examples are typeset with Computer Modern at 11pt with 2cm margins: a
line holds :data:`LINE` em. :func:`em` estimates a formula's width from the font's
metrics (digits are 1/2 em, ``+`` with its spacing 1.22 em, …) for the subset of LaTeX
that :mod:`nncalc.render.worked` writes; it errs on the wide side, and the tests
compile the results with pdflatex and look for overfull boxes.

>>> em("(0.5)(2) + (-0.2)(3)") < em("(0.5)(2) + (-0.2)(3) + (0.8)(-1)")
True
"""

from __future__ import annotations

import re
from typing import Sequence

LINE = 45.7  # the text width (500.5pt on letter paper) in em (10.95pt)
BUDGET = 38.0  # what a displayed formula may fill, leaving room for the estimate's error
SCRIPT = 0.73  # superscripts and subscripts are set at this size
BINOP = 1.23  # "+", with its medium spaces
REL = 1.34  # "=", with its thick spaces

_CHAR = {
    **dict.fromkeys("0123456789", 0.5),
    **dict.fromkeys("()[]", 0.39),
    **dict.fromkeys(".,;:", 0.28),
    **dict.fromkeys("'", 0.3),
    **dict.fromkeys("&{} ", 0.0),
    "+": BINOP,
    "=": REL,
    "-": 0.78,
    "/": 0.5,
    "|": 0.28,
}
_COMMANDS = {
    "cdots": 1.2, "ldots": 1.2, "vdots": 0.3, "ddots": 1.0, "times": 1.34, "cdot": 0.78,
    "quad": 1.0, "qquad": 2.0, ";": 0.28, ",": 0.17, "!": -0.17, ":": 0.22, "max": 1.7,
    "sigma": 0.6, "tanh": 1.9, "neq": REL, "leq": REL, "geq": REL, "approx": REL,
    "alpha": 0.65, "lambda": 0.6, "beta": 0.6, "infty": 1.0, "hat": 0.0, "mathbf": 0.0,
    "left": 0.0, "right": 0.0, "big": 0.0,
}
_MATRIX = re.compile(r"\\begin\{bmatrix\}((?:(?!\\begin\{bmatrix\}).)*?)\\end\{bmatrix\}", re.S)
_PLACEHOLDER = re.compile(r"\x00([0-9.]+)\x00")


def em(tex: str) -> float:
    """The estimated width of maths ``tex`` in em (one line of it: ``\\\\`` starts another)."""
    # Matrices, innermost first, become placeholders of their width.
    while (m := _MATRIX.search(tex)) is not None:
        rows = [row.split("&") for row in re.split(r"\\\\", m.group(1))]
        cols = max(len(row) for row in rows)
        widths = [max(em(row[c]) if c < len(row) else 0.0 for row in rows) for c in range(cols)]
        width = sum(widths) + 0.92 * (cols - 1) + 1.2  # \arraycolsep each side, brackets
        tex = f"{tex[: m.start()]}\x00{width:.3f}\x00{tex[m.end():]}"
    return max((_line(line) for line in re.split(r"\\\\", tex)), default=0.0)


def _group(tex: str, i: int) -> tuple[str, int]:
    """The braced group (or single character) starting at ``tex[i]``, and where it ends."""
    while i < len(tex) and tex[i] == " ":
        i += 1
    if i >= len(tex):
        return "", i
    if tex[i] != "{":
        if tex[i] == "\\":
            m = re.match(r"\\([a-zA-Z]+|.)", tex[i:])
            assert m is not None
            return m.group(0), i + len(m.group(0))
        return tex[i], i + 1
    depth = 0
    for j in range(i, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[j], 0)
        if depth == 0:
            return tex[i + 1 : j], j + 1
    return tex[i + 1 :], len(tex)


def _text(s: str) -> float:
    return 0.5 * len(s)


def _line(tex: str) -> float:
    width = 0.0
    i = 0
    while i < len(tex):
        c = tex[i]
        if c == "\x00":
            m = _PLACEHOLDER.match(tex, i)
            assert m is not None
            width += float(m.group(1))
            i = m.end()
        elif c in "^_":
            group, i = _group(tex, i + 1)
            width += SCRIPT * _line(group)
        elif c == "\\":
            m = re.match(r"\\([a-zA-Z]+|.)", tex[i:])
            assert m is not None
            name = m.group(1)
            i += len(m.group(0))
            if name in ("text", "operatorname", "mathrm", "textup"):
                group, i = _group(tex, i)
                width += _text(group) + (0.3 if name == "operatorname" else 0.0)
            elif name in ("tfrac", "frac"):
                top, i = _group(tex, i)
                bottom, i = _group(tex, i)
                width += 0.75 * max(_line(top), _line(bottom)) + 0.3
            elif name == "underbrace":
                group, i = _group(tex, i)
                under = 0.0
                if tex[i : i + 1] == "_":
                    label, i = _group(tex, i + 1)
                    under = SCRIPT * _line(label)
                width += max(_line(group), under)
            else:
                width += _COMMANDS.get(name, 1.0)
        else:
            width += _CHAR.get(c, 0.8 if c.isupper() else 0.55)
            i += 1
    return width


def pack(first: str, parts: Sequence[str], sep: str, cont: str, budget: float = BUDGET) -> list[str]:
    r"""``first`` then ``parts`` joined by ``sep``; a new line, starting ``cont``, before a
    part that would pass ``budget`` em. Parts are never split.

    >>> pack("z &= ", ["(1)(2)"] * 3, " + ", r"&\quad + ", budget=12)
    ['z &= (1)(2) + (1)(2)', '&\\quad + (1)(2)']
    """
    lines: list[str] = []
    line = first
    for k, part in enumerate(parts):
        if k and em(line + sep + part) > budget:
            lines.append(line)
            line = cont + part
        else:
            line += (sep if k else "") + part
    lines.append(line)
    return lines
