"""The one family of errors nncalc reports to people.

Everything a user can get wrong (a spec, an input, a number that overflows) raises a
subclass of :class:`NncalcError`; the command line turns it into one line on stderr.
"""

from __future__ import annotations

from typing import Iterable


class NncalcError(Exception):
    """A problem with what the user gave nncalc, with where it is when that is known.

    >>> str(NncalcError("bias has 2 values", source="net.yaml", line=7, column=11))
    'net.yaml:7:11: bias has 2 values'
    >>> str(NncalcError("no input given"))
    'no input given'
    """

    def __init__(
        self,
        message: str,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        # A remedy the caller may offer in its own words (the command line names the flag).
        self.hint = hint

    def __str__(self) -> str:
        where = [str(p) for p in (self.source, self.line, self.column) if p is not None]
        # One line, whatever the message carried in.
        text = " ".join(self.message.split())
        return ":".join(where) + ": " + text if where else text


class SpecError(NncalcError):
    """The network spec is unreadable, malformed or inconsistent."""


class InputError(NncalcError):
    """An input vector is malformed or does not fit the network."""


class ComputeError(NncalcError):
    """The forward pass left float64's range (overflow to inf, or NaN)."""


def plural(n: int, word: str) -> str:
    """``1 unit``, ``3 units``, ``1,000 values``: the one spelling of a count in messages.

    >>> plural(1, "unit"), plural(1000, "value")
    ('1 unit', '1,000 values')
    """
    return f"{n:,} {word}{'s' if n != 1 else ''}"


def did_you_mean(word: str, known: Iterable[str], what: str = "") -> str:
    """``did you mean 'relu'? `` when ``word`` is close to one of ``known``, else ``""``:
    the one spelling of a suggestion in messages (``what`` names the kind: ``the example``).

    >>> did_you_mean("rleu", ["relu", "tanh"]), did_you_mean("xyz", ["relu"])
    ("did you mean 'relu'? ", '')
    """
    import difflib  # only when a message needs it: not on start-up

    close = difflib.get_close_matches(word, list(known), n=1)
    return f"did you mean {what + ' ' if what else ''}'{close[0]}'? " if close else ""
