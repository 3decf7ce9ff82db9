"""Streams keep every valid row: an input whose pass overflows stops the stream like a
bad row of a file does, after the outputs of every input before it."""

from __future__ import annotations

import pytest

from tests.conftest import assert_one_error  # noqa: F401

SPEC = "input: [1]\nlayers:\n  - weights: [[1e200]]\n  - weights: [[1e200]]\n"


@pytest.mark.parametrize("fmt", [["--csv"], ["--json", "--outputs-only"], ["--json"]])
@pytest.mark.parametrize("good", [0, 1, 5, 70_000])
def test_outputs_before_an_overflow_are_kept(run, spec_file, tmp_path, fmt, good):
    rows = ["1e-300"] * good + ["1"] + ["1e-300"] * 3
    data = tmp_path / "in.csv"
    data.write_text("\n".join(rows) + "\n")
    result = run("forward", spec_file(SPEC), "--inputs", str(data), *fmt)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    header = 1 if fmt == ["--csv"] and good else 0
    assert len(lines) == good + header
    if good and fmt == ["--csv"]:
        # 1e-300 · 1e200 · 1e200, by hand
        assert float(lines[1]) == pytest.approx(1e100, rel=1e-15)
    errors = result.stderr.splitlines()
    assert len(errors) == 1 and f"overflows float64 for input {good + 1};" in errors[0]
