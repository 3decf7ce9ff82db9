"""The README cannot drift: every ``$ nncalc ...`` in a console block is run and compared.

``pytest --update-golden`` rewrites those blocks' output from what nncalc prints now.
"""

from __future__ import annotations

import re
import shlex

import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def console_commands(text: str) -> list[tuple[str, str]]:
    """(command, shown output) for each ``$ nncalc`` line of each console block."""
    found = []
    for block in BLOCK.findall(text):
        for chunk in re.split(r"^(?=\$ )", block, flags=re.M):
            if chunk.startswith("$ nncalc "):
                command, _, output = chunk.partition("\n")
                found.append((command[2:], output))
    return found


def test_readme_has_the_two_setup_commands():
    text = README.read_text()
    assert "pip install . && nncalc forward two-layer" in text
    assert "pip install -e '.[test]' && pytest" in text


def test_ci_runs_the_readme_test_command():
    assert "pip install -e '.[test]' && pytest" in (ROOT / ".ci" / "run").read_text()


def test_readme_shows_commands():
    assert len(console_commands(README.read_text())) >= 6


def test_readme_output_is_what_nncalc_prints(run, monkeypatch, update_golden):
    monkeypatch.chdir(ROOT)
    text = README.read_text()
    new_text = text
    for command, shown in console_commands(text):
        result = run(*shlex.split(command)[1:])
        printed = "\n".join(line.rstrip() for line in result.output.splitlines()) + "\n"
        if update_golden:
            new_text = new_text.replace(f"$ {command}\n{shown}", f"$ {command}\n{printed}", 1)
        else:
            assert printed == shown, f"README output of `{command}` is stale (pytest --update-golden)"
    if update_golden and new_text != text:
        README.write_text(new_text)


def test_readme_python_examples():
    # The README's Python section is a doctest: every >>> line runs, every output matches.
    import doctest

    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 15
    assert result.failed == 0
