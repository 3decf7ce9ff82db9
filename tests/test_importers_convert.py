"""``nncalc convert``: the spec it writes gives the same numbers, bit for bit, as the model
file it came from; arrays over --inline-limit values go to an .npz beside it."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from tests.test_errors import assert_one_error

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
st = pytest.importorskip("safetensors.torch")

import nncalc  # noqa: E402

nn = torch.nn


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory) -> Path:
    torch.manual_seed(4)
    model = nn.Sequential(
        nn.Linear(4, 40), nn.LeakyReLU(0.1), nn.Linear(40, 30), nn.GELU(), nn.Linear(30, 8), nn.Softplus(beta=2.0), nn.Linear(8, 3), nn.Softmax(dim=-1)
    ).eval()
    path = tmp_path_factory.mktemp("onnx") / "model.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 4),), str(path), dynamo=False, opset_version=17, input_names=["x"], dynamic_axes={"x": {0: "n"}})
    return path


INPUTS = ["--input", "5.1,3.5,1.4,0.2", "--input", "-1e3,0,1e-7,123.456", "--input", "0,0,0,0"]


def forward_json(run, spec: str, *extra: str) -> str:
    result = run("forward", spec, *INPUTS, "--json", *extra)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("limit", [None, "0", "100"], ids=["default", "everything-in-npz", "mixed"])
def test_convert_reproduces_forward_bit_for_bit(limit, onnx_model, tmp_path, run):
    out = tmp_path / "net.yaml"
    args = ["convert", str(onnx_model), "-o", str(out)] + (["--inline-limit", limit] if limit else [])
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    npz = tmp_path / "net.npz"
    net = nncalc.load(out)
    sizes = [layer.W.size for layer in net.layers]  # 160, 1200, 240, 24
    if limit is None:  # over 1024 values: only the 40 → 30 layer
        assert npz.exists() and sorted(np.load(npz).files) == ["layer2.weights"]
        assert "wrote" in result.stderr and "net.npz (1 arrays)" in result.stderr
    elif limit == "0":
        assert len(np.load(npz).files) == 2 * len(sizes)
    else:
        assert sorted(np.load(npz).files) == ["layer1.weights", "layer2.weights", "layer3.weights"]
    text = out.read_text()
    assert text.startswith("# Converted by nncalc convert from")
    assert "activation: {name: leaky_relu, alpha: 0.10000000149011612}" in text
    assert forward_json(run, str(out)) == forward_json(run, str(onnx_model))
    for ours, theirs in zip(net.layers, nncalc.load(onnx_model).layers):
        np.testing.assert_array_equal(ours.W, theirs.W)
        np.testing.assert_array_equal(ours.b, theirs.b)
        assert ours.activation == theirs.activation


def test_convert_to_standard_output(onnx_model, tmp_path, run):
    result = run("convert", str(onnx_model))
    assert result.exit_code == 0, result.output
    spec = tmp_path / "stdout.yaml"
    spec.write_text(result.stdout)
    assert forward_json(run, str(spec)) == forward_json(run, str(onnx_model))
    assert_one_error(run("convert", str(onnx_model), "--inline-limit", "10"), "needs a spec file beside it: give -o FILE")
    assert_one_error(run("convert", str(onnx_model), "-o", str(tmp_path / "x.npz")), "the spec is YAML text")


def test_convert_safetensors_with_activations(tmp_path, run):
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).eval()
    st.save_file(model.state_dict(), str(tmp_path / "m.safetensors"))
    result = run("convert", str(tmp_path / "m.safetensors"), "--activations", "relu,softmax", "-o", str(tmp_path / "m.yaml"))
    assert result.exit_code == 0, result.output
    assert "note:" not in result.stderr
    assert forward_json(run, str(tmp_path / "m.yaml")) == forward_json(run, str(tmp_path / "m.safetensors"), "--activations", "relu,softmax")
    result = run("convert", str(tmp_path / "m.safetensors"), "-o", str(tmp_path / "linear.yaml"))
    assert result.exit_code == 0, result.output
    assert "holds weights only, so every layer is linear" in result.stderr
    assert [layer.activation.name for layer in nncalc.load(tmp_path / "linear.yaml").layers] == ["linear", "linear"]


def test_convert_a_spec_keeps_its_description(tmp_path, run):
    result = run("convert", "two-layer", "-o", str(tmp_path / "copy.yaml"))
    assert result.exit_code == 0, result.output
    net = nncalc.load(tmp_path / "copy.yaml")
    assert net.description == nncalc.load("two-layer").description
    out = run("forward", str(tmp_path / "copy.yaml"), "--input", "1,2", "--json", "--outputs-only")
    assert json.loads(out.stdout)["output"] == [0.28]  # the seed's Example 2


def test_unwritable_output(onnx_model, tmp_path, run):
    assert_one_error(run("convert", str(onnx_model), "-o", str(tmp_path / "missing" / "net.yaml")), "cannot write the file")
