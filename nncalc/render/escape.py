r"""Names made safe for each format nncalc writes, once, at the edge.

A layer or network name is data: it may hold anything a YAML string or a Python ``str``
can. Each writer passes it through one function here before it joins the output:

- :func:`visible` writes control and format characters as escapes (ESC as ``\x1b``), the
  first step for every format, so no name can move a cursor, clear a screen, start a
  link, reverse text direction or begin a new line of Markdown.
- :func:`markdown_text`, :func:`latex_text`, :func:`mermaid_text`, :func:`dot_text` then
  escape what is special in that language.

Terminal output goes through :class:`nncalc.render.terminal.Charset`, which adds what the
terminal's encoding cannot show.
"""

from __future__ import annotations

import codecs
from functools import lru_cache
from typing import NamedTuple

# Characters that would act rather than show: C0/C1 controls and DEL (Cc), format
# characters such as bidi overrides and zero-width joiners (Cf), lone surrogates (Cs)
# and the Unicode line and paragraph separators (Zl, Zp).
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(c: str) -> str:
    if c in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[c]
    n = ord(c)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


def visible(s: str) -> str:
    r"""``s`` with every control or format character written as a Python-style escape.

    >>> visible("a\x1b[2Jb\nc\u202ed")
    'a\\x1b[2Jb\\nc\\u202ed'
    >>> visible("ħ ſ é 中")
    'ħ ſ é 中'
    >>> coder = "\U0001F469\u200d\U0001F4BB"  # a joiner is left alone inside emoji only
    >>> visible(coder) == coder, visible("a\u200db")
    (True, 'a\\u200db')
    """
    if s.isprintable():  # the common case, in C
        return s
    import unicodedata

    from nncalc.network import joins_emoji

    category = unicodedata.category
    return "".join(
        _escape(c) if category(c) in _INVISIBLE and not joins_emoji(s, i, category) else c for i, c in enumerate(s)
    )


def stream_encoding(stream: object) -> str:
    """The codec name a text stream encodes with (``ascii`` for a C locale), ``utf-8`` if it has none.

    >>> import io
    >>> stream_encoding(io.TextIOWrapper(io.BytesIO(), encoding="ANSI_X3.4-1968"))
    'ascii'
    """
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return "ascii"


def encodes(encoding: str, s: str) -> bool:
    """Whether ``s`` can be written to a stream of ``encoding``."""
    try:
        s.encode(encoding)
    except UnicodeError:
        return False
    return True


# ------------------------------------------------------------------------- terminal

# What the symbols nncalc writes (and the activation registry's texts hold) become on a
# terminal that cannot encode them.
ASCII = {
    "→": "->", "←": "<-", "…": "...", "⋯": "...", "×": "x", "·": "*", "•": "*",
    "≈": "~", "≤": "<=", "≥": ">=", "≠": "!=", "∞": "inf", "±": "+/-", "∓": "-/+",
    "√": "sqrt", "−": "-", "–": "-", "—": "--", "²": "^2", "³": "^3", "′": "'", "₁": "_1",
    "σ": "sigma", "Σ": "sum", "α": "alpha", "β": "beta", "λ": "lambda", "π": "pi",
    "Φ": "Phi", "φ": "phi", "ε": "eps", "θ": "theta", "μ": "mu",
    # box drawing (plotext's frames; Rich picks ASCII boxes itself)
    "─": "-", "━": "-", "│": "|", "┃": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+",
    "├": "+", "┤": "+", "┬": "+", "┴": "+", "┼": "+", "╭": "+", "╮": "+", "╰": "+", "╯": "+",
}
# If the stream can encode these, it is a Unicode terminal.
PROBE = "→σ…×·≈∞─│┏━"


class Charset(NamedTuple):
    """What an output stream can encode, and our text and names made to fit it."""

    encoding: str
    unicode: bool  # the stream shows →, σ, … and box drawing

    def text(self, s: str) -> str:
        """Our own text: symbols the stream cannot encode spelled in ASCII, anything else escaped.

        >>> latin1 = Charset("latin-1", False)
        >>> latin1.text("σ(z) → 2×2 …"), latin1.text("ħ é")
        ('sigma(z) -> 2×2 ...', '\\\\u0127 é')
        """
        if s.isascii() or encodes(self.encoding, s):
            return s
        return "".join(c if _encodes(self.encoding, c) else ASCII.get(c) or _escape(c) for c in s)

    def name(self, s: str) -> str:
        """Data (a layer's or network's name, a path): control characters made visible first.

        >>> Charset("utf-8", True).name("a\\x1b[2Jb")
        'a\\\\x1b[2Jb'
        """
        return self.text(visible(s))


@lru_cache(maxsize=4096)
def _encodes(encoding: str, c: str) -> bool:
    return encodes(encoding, c)


def charset(target: object) -> Charset:
    """The charset of a Rich console or of a text stream (``sys.stdout``), from its encoding.

    >>> import io
    >>> charset(io.TextIOWrapper(io.BytesIO(), encoding="latin-1")).unicode
    False
    >>> charset(io.TextIOWrapper(io.BytesIO(), encoding="utf-8")).unicode
    True
    """
    encoding = stream_encoding(getattr(target, "file", target))  # a Rich Console writes to .file
    return Charset(encoding, encodes(encoding, PROBE))

# ------------------------------------------------------------------------- Markdown

# CommonMark lets a backslash escape any ASCII punctuation. These are the ones that can
# change the meaning of text in the middle of a line (emphasis, code, links, raw HTML,
# entities, maths, strikethrough, a heading's closing #s, table cells). ``>`` and ``!``
# only act at a line's start or before ``[``, which names never reach.
_MARKDOWN_SPECIAL = {c: "\\" + c for c in "\\`*_{}[]<#|~$&"}


def markdown_text(s: str) -> str:
    r"""Text that Markdown shows as written, never as markup or HTML.

    >>> markdown_text("a_b *c* $5")
    'a\\_b \\*c\\* \\$5'
    >>> markdown_text("<img src=x onerror=alert(1)>")
    '\\<img src=x onerror=alert(1)>'
    """
    return "".join(_MARKDOWN_SPECIAL.get(c, c) for c in visible(s))


# ---------------------------------------------------------------------------- LaTeX

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
    "<": r"\ensuremath{<}",
    ">": r"\ensuremath{>}",
    "|": r"\textbar{}",
    "\u00a0": "~",
    # symbols the worked examples' prose uses, and Greek letters, set as maths
    "≤": r"\ensuremath{\leq}",
    "≥": r"\ensuremath{\geq}",
    "≠": r"\ensuremath{\neq}",
    "≈": r"\ensuremath{\approx}",
    "→": r"\ensuremath{\rightarrow}",
    "×": r"\ensuremath{\times}",
    "·": r"\ensuremath{\cdot}",
    "⋯": r"\ensuremath{\cdots}",
    "…": r"\ldots{}",
    "∞": r"\ensuremath{\infty}",
    "±": r"\ensuremath{\pm}",
    "∓": r"\ensuremath{\mp}",
    "√": r"\ensuremath{\surd}",
    "−": r"\ensuremath{-}",
}
_GREEK = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi o pi rho "
    "varsigma sigma tau upsilon phi chi psi omega"
).split()
for _k, _name in enumerate(_GREEK):
    _LATEX_SPECIAL[chr(0x3B1 + _k)] = "o" if _name == "o" else rf"\ensuremath{{\{_name}}}"
for _c, _name in zip("ΓΔΘΛΞΠΣΥΦΨΩ", "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()):
    _LATEX_SPECIAL[_c] = rf"\ensuremath{{\{_name}}}"

# What pdflatex sets as text with utf8 inputenc and T1 fonts, found by compiling each
# character: Latin-1 and Latin Extended-A, without the few letters T1 has no glyph for
# (ħ, ĸ, ŀ, ŉ, ŧ, ſ and their capitals), and common punctuation.
_LATEX_MISSING = frozenset("\u00ad\u0126\u0127\u0138\u013f\u0140\u0149\u0166\u0167")
_LATEX_PUNCTUATION = frozenset("‐‑‒–—‘’‚“”„†‡•‰‹›€™←↑↓")


def _latex_char(c: str) -> str:
    if c in _LATEX_SPECIAL:
        return _LATEX_SPECIAL[c]
    n = ord(c)
    if 0x20 <= n < 0x7F or (0xA1 <= n <= 0x17E and c not in _LATEX_MISSING) or c in _LATEX_PUNCTUATION:
        return c
    # Anything else would stop pdflatex ("Unicode character not set up"): name it instead.
    return rf"\texttt{{U+{n:04X}}}"


def latex_text(s: str) -> str:
    r"""Text that pdflatex sets as written (also inside ``\text{...}``), and never fails on.

    Control characters are shown as escapes; characters pdflatex has no glyph for are
    named by their code point.

    >>> latex_text("leaky_relu & 50%")
    'leaky\\_relu \\& 50\\%'
    >>> latex_text("z ≤ 0 → café ħ 猫")
    'z \\ensuremath{\\leq} 0 \\ensuremath{\\rightarrow} café \\texttt{U+0127} \\texttt{U+732B}'
    >>> latex_text("x" * 25)
    'xxxxxxxxxxxxxxxx\\allowbreak{}xxxxxxxxx'
    """
    out = []
    run = 0  # characters set since the last space: a long word gets places to break
    for c in visible(s):
        tex = _latex_char(c)
        width = 6 if tex.startswith(r"\texttt{U+") else 1
        if c == " ":
            run = 0
        elif run and run + width > BREAK_EVERY:
            out.append(r"\allowbreak{}")
            run = 0
        run += width if c != " " else 0
        out.append(tex)
    return "".join(out)


BREAK_EVERY = 16  # a word longer than this may break after every 16 characters


# ------------------------------------------------------------------- Mermaid and DOT

# Mermaid's entity codes (#quot; or #35;), so a label can hold any character without
# ending its quotes, starting HTML or a Markdown string, or reading as an entity.
_MERMAID_SPECIAL = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "`": "#96;"}


def mermaid_text(s: str) -> str:
    """One line of a Mermaid label, for inside ``"..."``.

    >>> mermaid_text('say "hi" <b>#1</b>')
    'say #quot;hi#quot; #lt;b#gt;#35;1#lt;/b#gt;'
    """
    return "".join(_MERMAID_SPECIAL.get(c, c) for c in visible(s))


def dot_text(s: str) -> str:
    r"""One line of a Graphviz label, for inside ``"..."`` (``\`` would start an escape).

    >>> dot_text('a "b" \\N')
    'a \\"b\\" \\\\N'
    """
    return visible(s).replace("\\", "\\\\").replace('"', '\\"')
