"""Opening models: a 10-million-parameter MLP (1536-2560-2048-512-10, ReLU) as
safetensors and as ONNX, against np.load of the same arrays from .npy files, in one run.

For each storage type (float64, and float32 as frameworks save it), measured interleaved
--runs times after one warm-up (medians compared, files in the page cache):
- np.load: the layers' weight and bias arrays from one .npy file each, as stored;
- np.load + float64: the same, widened to the float64 nncalc computes with (for float32);
- nncalc.load(model.safetensors) and nncalc.load(model.onnx): a validated Network.
Targets: safetensors <= 1.5x np.load, ONNX <= 3x np.load, of the same arrays.

    python benchmarks/open_models.py [--runs 7] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import struct
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

import nncalc

SIZES = (1536, 2560, 2048, 512, 10)


def arrays(dtype: type) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    out = {}
    for k, (i, o) in enumerate(zip(SIZES, SIZES[1:])):
        out[f"{2 * k}.weight"] = (rng.standard_normal((o, i), dtype=np.float32) / np.sqrt(i)).astype(dtype)
        out[f"{2 * k}.bias"] = rng.standard_normal(o, dtype=np.float32).astype(dtype) * 0.1
    return out


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """The format by hand: header length, JSON header, data (8-byte aligned)."""
    header, offset = {}, 0
    for key, a in tensors.items():
        header[key] = {"dtype": {np.float32: "F32", np.float64: "F64"}[a.dtype.type], "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-(8 + len(text)) % 8)
    with path.open("wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for a in tensors.values():
            f.write(np.ascontiguousarray(a).tobytes())


def write_onnx(path: Path, tensors: dict[str, np.ndarray]) -> None:
    from onnx import TensorProto, helper, numpy_helper, save

    elem = TensorProto.FLOAT if next(iter(tensors.values())).dtype == np.float32 else TensorProto.DOUBLE
    nodes, x = [], "x"
    n = len(SIZES) - 1
    for k in range(n):
        y = "y" if k == n - 1 else f"z{k}"
        nodes.append(helper.make_node("Gemm", [x, f"{2 * k}.weight", f"{2 * k}.bias"], [y], transB=1, name=f"fc{k}"))
        if k < n - 1:
            nodes.append(helper.make_node("Relu", [y], [f"a{k}"], name=f"relu{k}"))
            x = f"a{k}"
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("x", elem, [None, SIZES[0]])],
        [helper.make_tensor_value_info("y", elem, [None, SIZES[-1]])],
        initializer=[numpy_helper.from_array(a, k) for k, a in tensors.items()],
    )
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def median_times(variants: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    for f in variants.values():  # warm-up: files into the page cache, imports done
        f()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, f in variants.items():
            t = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the model files (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        params = sum(a.size for a in arrays(np.float32).values())
        print(f"MLP {'-'.join(map(str, SIZES))}: {params:,} parameters; medians of {args.runs} runs")
        for dtype in (np.float32, np.float64):
            tensors = arrays(dtype)
            name = np.dtype(dtype).name
            npy = []
            for key, a in tensors.items():
                p = folder / f"{name}-{key}.npy"
                np.save(p, a)
                npy.append(p)
            write_safetensors(folder / f"{name}.safetensors", tensors)
            write_onnx(folder / f"{name}.onnx", tensors)
            variants: dict[str, Callable[[], object]] = {"np.load": lambda: [np.load(p) for p in npy]}
            if dtype is np.float32:
                variants["np.load + float64"] = lambda: [np.load(p).astype(np.float64) for p in npy]
            variants["nncalc safetensors"] = lambda: nncalc.load(folder / f"{name}.safetensors")
            variants["nncalc onnx"] = lambda: nncalc.load(folder / f"{name}.onnx")
            t = median_times(variants, args.runs)
            print(f"\nstored as {name} ({sum(a.nbytes for a in tensors.values()) / 1e6:.0f} MB):")
            for label, seconds in t.items():
                print(f"  {label:<20} {seconds * 1e3:8.1f} ms")
            base = t["np.load"]
            print(f"  ratio safetensors / np.load: {t['nncalc safetensors'] / base:.2f}x (target <= 1.5x)")
            print(f"  ratio onnx / np.load:        {t['nncalc onnx'] / base:.2f}x (target <= 3x)")
            if dtype is np.float32:
                wide = t["np.load + float64"]
                print(f"  against np.load + float64:   safetensors {t['nncalc safetensors'] / wide:.2f}x, onnx {t['nncalc onnx'] / wide:.2f}x")


if __name__ == "__main__":
    main()
