"""Shared fixtures: run the CLI as a user would, write spec files, compare goldens."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nncalc.cli import app

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"

# Fixed width, no colour, whatever the machine's terminal or CI variables say.
ENV = {"COLUMNS": "80", "NO_COLOR": "1", "FORCE_COLOR": None, "TERM": "dumb", "TTY_COMPATIBLE": None}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/* and the README's example output from what nncalc prints now.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def run():
    """``run("forward", "two-layer", "--json")`` -> click Result (stdout, stderr apart)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict | None = None):
        return runner.invoke(app, list(args), input=input, env={**ENV, **(env or {})}, catch_exceptions=False)

    return invoke


@pytest.fixture
def spec_file(tmp_path: Path):
    """Write spec text to a file and return its path as a string."""

    def write(text: str, name: str = "net.yaml") -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def assert_golden(name: str, text: str, update: bool) -> None:
    """Compare ``text`` with tests/golden/NAME (trailing spaces ignored), or rewrite it."""
    path = GOLDEN / name
    text = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
    if update or not path.exists():
        path.write_text(text)
        if not update:
            pytest.fail(f"{path.name} did not exist; written now, read it and run again")
        return
    expected = path.read_text()
    if text != expected:
        diff = "".join(
            difflib.unified_diff(expected.splitlines(True), text.splitlines(True), "golden", "now")
        )
        pytest.fail(f"{name} differs (run pytest --update-golden to accept):\n{diff}")


def assert_one_error(result, *fragments: str) -> str:
    """The promise for bad input: exit 1, nothing on stdout, one ``error:`` line on
    stderr holding each fragment, no traceback. Returns that line."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]
