"""Damaged model files of every format: random cuts, flipped and inserted bytes (a fixed
seed) give an NncalcError, never another exception or a library's warning."""

from __future__ import annotations

import random
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
st = pytest.importorskip("safetensors.torch")

import nncalc  # noqa: E402

MUTATIONS = 150


def originals(folder: Path) -> dict[str, Path]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.GELU(), torch.nn.Linear(5, 3), torch.nn.Softmax(dim=-1)).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 4),), str(folder / "m.onnx"), dynamo=False, opset_version=13, input_names=["x"], dynamic_axes={"x": {0: "b"}})
    st.save_file(model.state_dict(), str(folder / "m.safetensors"))
    torch.save(model.state_dict(), folder / "m.pt")
    files = {"onnx": folder / "m.onnx", "safetensors": folder / "m.safetensors", "torch": folder / "m.pt"}
    try:
        from tests.test_importers_keras import dense, write_keras

        rng = np.random.default_rng(0)
        files["keras"] = write_keras(
            folder / "m.keras", [dense("a", 5, "relu"), dense("b", 3, "softmax")],
            {"dense": ("a", [rng.normal(size=(4, 5)), np.zeros(5)]), "dense_1": ("b", [rng.normal(size=(5, 3)), np.zeros(3)])},
        )
    except ImportError:  # no h5py
        pass
    return files


def mutate(data: bytes, rng: random.Random) -> bytes:
    d = bytearray(data)
    kind = rng.choice(["cut", "flip", "flips", "insert"])
    if kind == "cut":
        return bytes(d[: rng.randrange(len(d))])
    if kind == "insert":
        p = rng.randrange(len(d))
        return bytes(d[:p]) + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))) + bytes(d[p:])
    for _ in range(1 if kind == "flip" else 20):
        d[rng.randrange(len(d))] = rng.randrange(256)
    return bytes(d)


@pytest.mark.parametrize("fmt", ["onnx", "safetensors", "torch", "keras"])
def test_damaged_files_give_nncalc_errors_only(fmt, tmp_path):
    files = originals(tmp_path)
    if fmt not in files:
        pytest.skip("h5py is not installed")
    data = files[fmt].read_bytes()
    rng = random.Random(fmt)
    target = tmp_path / f"damaged{files[fmt].suffix}"
    activations = "gelu,softmax" if fmt in ("safetensors", "torch") else None
    for _ in range(MUTATIONS):
        target.write_bytes(mutate(data, rng))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                net = nncalc.load(target, activations=activations)
            except nncalc.NncalcError as e:
                assert "\n" not in str(e)
            else:
                net.predict(np.ones((2, net.nin)))


def test_signalling_nan_is_refused_without_a_warning(tmp_path):
    header = b'{"0.weight": {"dtype": "F32", "shape": [1, 2], "data_offsets": [0, 8]}}'
    (tmp_path / "nan.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + struct.pack("<II", 0x7FA00000, 0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(nncalc.SpecError, match="not finite, at index"):
            nncalc.load(tmp_path / "nan.safetensors")
