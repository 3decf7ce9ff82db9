"""The command line: one module per command, each parsing its arguments, calling the
library and a renderer, and turning an :class:`~nncalc.errors.NncalcError` into one line
on stderr with exit status 1 (usage errors too: common.Group).

``nncalc.cli.app`` is the Typer app with every command. The ``nncalc`` entry point
registers only the command it is asked for (Typer inspects the signature of every
command it knows, which costs start-up time), and all of them for help or a mistyped
name.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

# The commands, in the order of `nncalc --help`; each module registers its own.
COMMANDS = (
    "forward",
    "backward",
    "activations",
    "approximate",
    "collapse",
    "convert",
    "exercise",
    "graph",
    "init",
    "schema",
    "stats",
    "validate",
    "examples",
)
_MODULES = {"examples": "validate"}  # commands that share a module


def _register(names: tuple[str, ...]) -> Any:
    for name in names:
        importlib.import_module(f"nncalc.cli.{_MODULES.get(name, name)}")
    from nncalc.cli.common import app

    return app


def main() -> None:
    """Entry point of the ``nncalc`` command."""
    from nncalc.cli import common

    wanted = sys.argv[1] if len(sys.argv) > 1 else None
    _register((wanted,) if wanted in COMMANDS else COMMANDS)
    common.main()


def __getattr__(name: str) -> Any:
    if name == "app":
        return _register(COMMANDS)
    raise AttributeError(f"module 'nncalc.cli' has no attribute '{name}'")


__all__ = ["app", "main"]
