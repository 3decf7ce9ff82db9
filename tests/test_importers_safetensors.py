"""safetensors files written by safetensors.torch.save_file, read with NumPy alone and
checked against PyTorch float64; hostile headers, each one error line."""

from __future__ import annotations

import copy
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from tests.test_errors import assert_one_error

torch = pytest.importorskip("torch")
st = pytest.importorskip("safetensors.torch")

import nncalc  # noqa: E402
from nncalc.errors import InputError  # noqa: E402
from nncalc.importers.safetensors import read_tensor  # noqa: E402

nn = torch.nn


def mlp(n_hidden: int = 2, width: int = 6) -> nn.Sequential:
    torch.manual_seed(0)
    mods: list[nn.Module] = [nn.Linear(4, width), nn.ReLU()]
    for _ in range(n_hidden - 1):
        mods += [nn.Linear(width, width), nn.Tanh()]
    mods += [nn.Linear(width, 3), nn.Softmax(dim=-1)]
    return nn.Sequential(*mods).eval()


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
def test_state_dict_with_activations_matches_pytorch_float64(dtype, tmp_path):
    model = mlp().to(dtype)
    st.save_file(model.state_dict(), str(tmp_path / "m.safetensors"))
    net = nncalc.load(tmp_path / "m.safetensors", activations="relu,tanh,softmax")
    assert [layer.name for layer in net.layers] == ["0", "2", "4"]
    assert net.layers[0].weights_from == "m.safetensors[0.weight]"
    x = torch.randn(8, 4, dtype=torch.float64)
    ref = copy.deepcopy(model).double()  # the stored values, widened exactly
    for ours, theirs in zip(net.layers, (ref[0], ref[2], ref[4])):
        np.testing.assert_array_equal(ours.W, theirs.weight.detach().numpy())
        np.testing.assert_array_equal(ours.b, theirs.bias.detach().numpy())
    with torch.no_grad():
        np.testing.assert_allclose(net.predict(x.numpy()), ref(x).numpy(), rtol=1e-13, atol=1e-15)


def test_layers_in_numeric_order_of_their_prefixes(tmp_path):
    """0, 2, 4, …, 10, 12: in text order 10 would come before 2."""
    torch.manual_seed(1)
    mods: list[nn.Module] = []
    for _ in range(7):
        mods += [nn.Linear(3, 3), nn.ReLU()]
    model = nn.Sequential(*mods[:-1]).eval()
    st.save_file(model.state_dict(), str(tmp_path / "deep.safetensors"))
    net = nncalc.load(tmp_path / "deep.safetensors", activations=",".join(["relu"] * 6 + ["linear"]))
    assert [layer.name for layer in net.layers] == ["0", "2", "4", "6", "8", "10", "12"]
    x = torch.randn(5, 3, dtype=torch.float64)
    with torch.no_grad():
        np.testing.assert_allclose(net.predict(x.numpy()), copy.deepcopy(model).double()(x).numpy(), rtol=1e-13, atol=1e-15)


def test_named_modules_are_ordered_by_their_shapes(tmp_path):
    torch.manual_seed(2)
    tensors = {
        "head.weight": torch.randn(2, 5),
        "fc1.weight": torch.randn(7, 3),
        "fc2.weight": torch.randn(5, 7),
        "fc1.bias": torch.randn(7),
    }
    st.save_file(tensors, str(tmp_path / "named.safetensors"))
    net = nncalc.load(tmp_path / "named.safetensors")
    assert [layer.name for layer in net.layers] == ["fc1", "fc2", "head"]
    assert [layer.has_bias for layer in net.layers] == [True, False, False]


def test_without_activations_every_layer_is_linear_and_validate_says_so(tmp_path, run):
    st.save_file(mlp().state_dict(), str(tmp_path / "m.safetensors"))
    result = run("validate", str(tmp_path / "m.safetensors"), "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert [layer["activation"] for layer in record["layers"]] == ["linear"] * 3
    assert "holds weights only, so every layer is linear" in result.stderr
    assert "--activations" in result.stderr
    result = run("validate", str(tmp_path / "m.safetensors"), "--activations", "relu,tanh,softmax", "--json")
    assert result.exit_code == 0, result.output
    assert [layer["activation"] for layer in json.loads(result.stdout)["layers"]] == ["relu", "tanh", "softmax"]
    assert result.stderr == ""


def test_cli_forward_with_activations(tmp_path, run):
    model = mlp()
    st.save_file(model.state_dict(), str(tmp_path / "m.safetensors"))
    result = run("forward", str(tmp_path / "m.safetensors"), "--activations", "relu, tanh, softmax", "--input", "5.1,3.5,1.4,0.2", "--json", "--outputs-only")
    assert result.exit_code == 0, result.output
    with torch.no_grad():
        expected = copy.deepcopy(model).double()(torch.tensor([[5.1, 3.5, 1.4, 0.2]], dtype=torch.float64)).numpy()[0]
    np.testing.assert_allclose(json.loads(result.stdout)["output"], expected, rtol=1e-13)


def test_read_tensor_for_specs(tmp_path):
    torch.manual_seed(3)
    w = torch.randn(3, 2, dtype=torch.float16)
    st.save_file({"0.weight": w, "0.bias": torch.zeros(3)}, str(tmp_path / "w.safetensors"))
    got = read_tensor(tmp_path / "w.safetensors", "0.weight")
    np.testing.assert_array_equal(got, w.double().numpy())
    assert got.dtype == np.float64 and got.flags.writeable
    with pytest.raises(InputError, match=r"has no tensor '2\.weight'; its tensors: 0\.(weight|bias), 0\.(weight|bias)$"):
        read_tensor(tmp_path / "w.safetensors", "2.weight")
    with pytest.raises(InputError, match="holds several tensors; pick one with 'key'"):
        read_tensor(tmp_path / "w.safetensors")
    st.save_file({"only": w}, str(tmp_path / "one.safetensors"))
    np.testing.assert_array_equal(read_tensor(tmp_path / "one.safetensors"), w.double().numpy())
    (tmp_path / "bad.safetensors").write_bytes(b"\x05")
    with pytest.raises(InputError, match="fewer than the 8"):
        read_tensor(tmp_path / "bad.safetensors", "0.weight")


# ------------------------------------------------------------------ hostile files


def raw_file(header: object, data: bytes = b"", length: int | None = None) -> bytes:
    text = json.dumps(header).encode() if not isinstance(header, bytes) else header
    return struct.pack("<Q", len(text) if length is None else length) + text + data


F32_2x2 = {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}
HOSTILE = [
    ("empty", b"", ["fewer than the 8"]),
    ("header longer than the file", raw_file({"0.weight": F32_2x2}, b"\0" * 16, length=10_000), ["header is 10,000 bytes long, but the file has only"]),
    ("header length huge", raw_file({}, b"", length=2**63), ["header is 9,223,372,036,854,775,808 bytes long"]),
    ("offsets out of range", raw_file({"0.weight": {**F32_2x2, "data_offsets": [0, 1 << 40]}}, b"\0" * 16), ["tensor '0.weight' has data_offsets [0, 1099511627776], outside the 16 bytes"]),
    ("offsets overlap", raw_file({"0.weight": F32_2x2, "0.bias": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}, b"\0" * 16), ["overlap"]),
    ("bytes do not fit the shape", raw_file({"0.weight": {**F32_2x2, "shape": [3, 2]}}, b"\0" * 16), ["needs 24 bytes, but its data_offsets span 16"]),
    ("not json", raw_file(b"{not json", b""), ["header is not valid JSON"]),
    ("not utf-8", raw_file(b'{"\xff": 1}', b""), ["not UTF-8"]),
    ("a list", raw_file([1, 2], b""), ["must be a JSON object"]),
    ("unknown dtype", raw_file({"0.weight": {**F32_2x2, "dtype": "F128"}}, b"\0" * 16), ["unknown dtype 'F128'"]),
    ("negative shape", raw_file({"0.weight": {**F32_2x2, "shape": [-2, 2]}}, b"\0" * 16), ["has the shape"]),
    ("integer weights", raw_file({"0.weight": {**F32_2x2, "dtype": "I32"}}, b"\0" * 16), ["tensor '0.weight' holds I32 values"]),
    ("batch norm", raw_file({"0.weight": F32_2x2, "1.running_mean": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]}}, b"\0" * 24), ["tensor '1.running_mean' is not the weight or bias of a linear layer"]),
    ("convolution", raw_file({"0.weight": {"dtype": "F32", "shape": [2, 1, 1, 2], "data_offsets": [0, 16]}}, b"\0" * 16), ["shape (2, 1, 1, 2) (a convolution's?)"]),
    (
        "weights that do not fit each other",
        raw_file({"0.weight": F32_2x2, "2.weight": {"dtype": "F32", "shape": [1, 3], "data_offsets": [16, 28]}}, b"\0" * 28),
        ["layer '2': weights from bad.safetensors[2.weight] have 3 columns, but layer '0' has 2 units"],
    ),
    (
        "bias that does not fit",
        raw_file({"0.weight": F32_2x2, "0.bias": {"dtype": "F32", "shape": [3], "data_offsets": [16, 28]}}, b"\0" * 28),
        ["layer '0': bias from bad.safetensors[0.bias] has 3 values, but weights from bad.safetensors[0.weight] have 2 rows"],
    ),
    ("not a number", raw_file({"0.weight": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]}}, struct.pack("<f", float("nan"))), ["not finite"]),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_files_get_one_error(case, tmp_path, run):
    _, data, fragments = case
    (tmp_path / "bad.safetensors").write_bytes(data)
    assert_one_error(run("forward", str(tmp_path / "bad.safetensors"), "--input", "1,2"), "bad.safetensors: ", *fragments)


def test_activations_that_do_not_fit(tmp_path, run):
    st.save_file(mlp().state_dict(), str(tmp_path / "m.safetensors"))
    assert_one_error(
        run("validate", str(tmp_path / "m.safetensors"), "--activations", "relu,relu"),
        "2 activations given, but the file holds 3 layers ('0', '2', '4'); give one per layer",
    )
    assert_one_error(run("validate", str(tmp_path / "m.safetensors"), "--activations", "relu,rleu,softmax"), "unknown activation 'rleu'; did you mean 'relu'?")
    assert_one_error(run("validate", str(tmp_path / "m.safetensors"), "--activations", "relu,,softmax"), "empty name")
    assert_one_error(run("validate", "two-layer", "--activations", "relu,linear"), "a spec names its own activations", "(drop --activations)")


def test_unnumbered_layers_whose_order_is_unclear(tmp_path, run):
    st.save_file({"a.weight": torch.zeros(3, 3), "b.weight": torch.zeros(3, 3)}, str(tmp_path / "square.safetensors"))
    assert_one_error(run("validate", str(tmp_path / "square.safetensors")), "layers a, b are not numbered", "several orders fit", "key: fc1.weight")


def test_format_from_first_bytes(tmp_path):
    st.save_file(mlp().state_dict(), str(tmp_path / "m.safetensors"))
    (tmp_path / "weights.bin").write_bytes((tmp_path / "m.safetensors").read_bytes())
    assert nncalc.importers.detect(tmp_path / "weights.bin") == "safetensors"
    assert nncalc.load(tmp_path / "weights.bin").sizes == (4, 6, 6, 3)


def test_a_spec_names_tensors_of_a_safetensors_file(run, tmp_path):
    from safetensors.numpy import save_file

    W1 = np.array([[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]], dtype=np.float32)
    save_file({"0.weight": W1, "0.bias": np.array([0.1, -0.2, 0.0]), "2.weight": np.array([[0.7, -0.3, 0.5]])}, str(tmp_path / "m.safetensors"))
    spec = tmp_path / "net.yaml"
    spec.write_text(
        "input: [1, 2]\nlayers:\n"
        "  - {weights: {file: m.safetensors, key: 0.weight}, bias: {file: m.safetensors, key: 0.bias}, activation: relu}\n"
        "  - {weights: {file: m.safetensors, key: 2.weight}}\n"
    )
    out = run("forward", str(spec), "--json")
    assert out.exit_code == 0, out.output
    # float32 weights widen exactly; the rest is the seed's Example 2 by hand
    h = [max(0.0, float(W1[i, 0]) * 1 + float(W1[i, 1]) * 2 + b) for i, b in enumerate([0.1, -0.2, 0.0])]
    assert json.loads(out.stdout)["output"] == [0.7 * h[0] + -0.3 * h[1] + 0.5 * h[2]]
    spec.write_text("layers:\n  - weights: {file: m.safetensors, key: 9.weight}\n")
    assert_one_error(run("validate", str(spec)), "net.yaml:2:21:", "has no tensor '9.weight'")
