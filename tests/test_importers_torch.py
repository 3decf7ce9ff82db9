"""PyTorch .pt/.pth state dicts through torch.load(weights_only=True), checked against
PyTorch float64; pickled modules and TorchScript archives refused."""

from __future__ import annotations

import copy
import json
import warnings

import numpy as np
import pytest

from tests.test_errors import assert_one_error

torch = pytest.importorskip("torch")

import nncalc  # noqa: E402

nn = torch.nn


class Net(nn.Module):
    """A module with named layers (not an nn.Sequential): its state dict keeps their order."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(3, 5)
        self.out = nn.Linear(5, 2)

    def forward(self, x):
        return self.out(torch.nn.functional.gelu(self.hidden(x)))


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_state_dict_matches_pytorch_float64(legacy, tmp_path):
    torch.manual_seed(0)
    model = Net().eval()
    torch.save(model.state_dict(), tmp_path / "m.pt", _use_new_zipfile_serialization=not legacy)
    net = nncalc.load(tmp_path / "m.pt", activations=["gelu", "linear"])
    assert [layer.name for layer in net.layers] == ["hidden", "out"]
    x = torch.randn(6, 3, dtype=torch.float64)
    with torch.no_grad():
        np.testing.assert_allclose(net.predict(x.numpy()), copy.deepcopy(model).double()(x).numpy(), rtol=1e-13, atol=1e-15)


def test_checkpoint_with_a_state_dict_entry_and_bfloat16(tmp_path, run):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1)).to(torch.bfloat16)
    torch.save({"epoch": 3, "state_dict": model.state_dict(), "optimizer": {"lr": 0.1}}, tmp_path / "ckpt.pth")
    result = run("forward", str(tmp_path / "ckpt.pth"), "--activations", "sigmoid,linear", "--input", "0.5,-1", "--json", "--outputs-only")
    assert result.exit_code == 0, result.output
    with torch.no_grad():
        expected = copy.deepcopy(model).double()(torch.tensor([[0.5, -1.0]], dtype=torch.float64)).numpy()[0]
    np.testing.assert_allclose(json.loads(result.stdout)["output"], expected, rtol=1e-13)


def test_pickled_module_is_refused_with_advice(tmp_path, run):
    torch.save(Net(), tmp_path / "whole.pt")
    assert_one_error(
        run("validate", str(tmp_path / "whole.pt")),
        "whole.pt: holds pickled Python objects",
        "never unpickles",
        "torch.save(model.state_dict(), 'model.pt')",
    )


def test_torchscript_archive_is_refused(tmp_path, run):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(nn.Sequential(nn.Linear(2, 2))), str(tmp_path / "scripted.pt"))
    assert_one_error(run("validate", str(tmp_path / "scripted.pt")), "a TorchScript archive", "never runs")


@pytest.mark.parametrize(
    "obj, fragment",
    [
        ([1, 2, 3], "holds a list, not a state dict"),
        ({"a": 1}, "'a' is a int"),
        ({}, "empty dictionary"),
        ({"0.weight": torch.zeros(2, 2, dtype=torch.int64)}, "tensor '0.weight' holds int64 values"),
        ({"0.weight": torch.zeros(2, 2), "1.running_var": torch.zeros(2)}, "tensor '1.running_var' is not the weight or bias of a linear layer"),
        ({"0.weight": torch.zeros(2, 2), "2.weight": torch.zeros(1, 3)}, "layer '2': weights from bad.pt[2.weight] have 3 columns, but layer '0' has 2 units"),
    ],
)
def test_files_that_are_not_state_dicts(obj, fragment, tmp_path, run):
    torch.save(obj, tmp_path / "bad.pt")
    assert_one_error(run("validate", str(tmp_path / "bad.pt")), "bad.pt: ", fragment)


def test_truncated_file(tmp_path, run):
    torch.save(Net().state_dict(), tmp_path / "m.pt")
    data = (tmp_path / "m.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    assert_one_error(run("validate", str(tmp_path / "cut.pt")), "cut.pt: not a valid PyTorch file")
