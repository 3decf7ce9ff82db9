"""A file a command writes is never one it reads: the spec, the model, the samples."""

from __future__ import annotations

from tests.conftest import assert_one_error


def test_collapse_and_backward_do_not_overwrite_their_spec(run, tmp_path):
    spec = tmp_path / "net.yaml"
    text = "input: [1, 2]\nlayers:\n  - weights: [[1, 2], [3, 4]]\n  - weights: [[1, 1]]\n"
    spec.write_text(text)
    assert_one_error(run("collapse", str(spec), "--write", str(spec)), "is the file this command reads")
    assert_one_error(run("backward", str(spec), "-t", "1", "--lr", "0.1", "--write", str(spec)), "is the file this command reads")
    assert spec.read_text() == text


def test_backward_does_not_overwrite_the_weights_its_spec_reads(run, tmp_path):
    import numpy as np

    np.save(tmp_path / "w.npy", np.array([[1.0, 2.0]]))
    spec = tmp_path / "net.yaml"
    spec.write_text("input: [1, 2]\nlayers:\n  - weights: {file: w.npy}\n")
    before = (tmp_path / "w.npy").read_bytes()
    assert_one_error(run("backward", str(spec), "-t", "1", "--lr", "0.1", "--write", str(tmp_path / "w.npy")), "is the file this command reads")
    assert (tmp_path / "w.npy").read_bytes() == before


def test_approximate_does_not_overwrite_its_samples(run, tmp_path):
    samples = tmp_path / "s.csv"
    samples.write_text("0,0\n1,1\n2,4\n")
    assert_one_error(run("approximate", "--samples", str(samples), "--write", str(samples)), "is the file this command reads")
    assert samples.read_text() == "0,0\n1,1\n2,4\n"


def test_convert_does_not_overwrite_its_model(run, tmp_path):
    import pytest

    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    model = tmp_path / "m.safetensors"
    save_file({"0.weight": torch.ones(2, 2, dtype=torch.float64)}, str(model))
    before = model.read_bytes()
    assert_one_error(run("convert", str(model), "-o", str(model)), "is the file this command reads")
    assert model.read_bytes() == before


def test_backward_and_stats_tables_never_end_a_number_in_an_ellipsis(run):
    for width in ("30", "50", "80"):
        for args in (["backward", "two-layer", "-t", "1", "--precision", "17"], ["stats", "two-layer", "-i", "1,2", "-i", "-1,3", "--precision", "17"]):
            out = run(*args, env={"COLUMNS": width})
            assert out.exit_code == 0, out.output
            assert "…" not in out.stdout
