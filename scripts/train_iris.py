"""Train the small real model nncalc ships, specs/iris.onnx, on specs/iris.csv.

A 4 → 8 → 3 network (ReLU, then softmax) that tells the three species of Fisher's iris
flowers from their four measurements, trained with PyTorch and exported with its
TorchScript-based ONNX exporter (opset 17, any batch size). Run from the repository's
root:

    python scripts/train_iris.py          # rewrites specs/iris.onnx
    nncalc forward specs/iris.onnx --input 5.1,3.5,1.4,0.2

The same seed and PyTorch version give the same file. Needs torch and onnx.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "specs" / "iris.csv"
MODEL = ROOT / "specs" / "iris.onnx"
SPECIES = ("setosa", "versicolor", "virginica")


def load() -> tuple[torch.Tensor, torch.Tensor]:
    x = np.loadtxt(DATA, delimiter=",", comments="#", skiprows=4)
    assert x.shape == (150, 4), x.shape
    y = np.repeat(np.arange(3), 50)  # the file's rows are 50 of each species, in order
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def main() -> None:
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    x, y = load()
    # Named modules name the exported nodes: /hidden/Gemm and /output/Gemm.
    layers = [("hidden", torch.nn.Linear(4, 8)), ("relu", torch.nn.ReLU()), ("output", torch.nn.Linear(8, 3))]
    model = torch.nn.Sequential(OrderedDict(layers))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(1000):  # full batch: 150 examples
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    print(f"loss {loss.item():.4f}, training accuracy {accuracy:.1%}")
    # The exported network ends in softmax, so nncalc shows the species' probabilities.
    exported = torch.nn.Sequential(OrderedDict([*layers, ("softmax", torch.nn.Softmax(dim=-1))])).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            exported,
            (x[:1],),
            str(MODEL),
            dynamo=False,
            opset_version=17,
            input_names=["measurements"],
            output_names=["probabilities"],
            dynamic_axes={"measurements": {0: "flowers"}, "probabilities": {0: "flowers"}},
        )
    print(f"wrote {MODEL.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
