"""ONNX models written by the real exporters, checked against PyTorch float64 (layer by
layer) and ONNX Runtime (float32); graphs built with onnx.helper for the forms exporters
do not write by default; hostile files, each one error line."""

from __future__ import annotations

import copy
import logging
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from tests.test_errors import assert_one_error

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import nncalc  # noqa: E402

nn = torch.nn

# Every activation nncalc has, as PyTorch writes it, with the name nncalc must read back.
# Parameters are chosen exactly representable in float32, so PyTorch float64 is an exact
# reference; the float32 constants exporters store (√2 of GELU, 1/6 of Hardsigmoid,
# SELU's) must still be read as the functions they stand for.
ACTIVATIONS = [
    (lambda: nn.ReLU(), "relu"),
    (lambda: nn.LeakyReLU(0.125), "leaky_relu"),
    (lambda: nn.Sigmoid(), "sigmoid"),
    (lambda: nn.Tanh(), "tanh"),
    (lambda: nn.Softmax(dim=-1), "softmax"),
    (lambda: nn.LogSoftmax(dim=1), "log_softmax"),
    (lambda: nn.ELU(0.5), "elu"),
    (lambda: nn.SELU(), "selu"),
    (lambda: nn.GELU(), "gelu"),
    (lambda: nn.GELU(approximate="tanh"), "gelu_tanh"),
    (lambda: nn.SiLU(), "silu"),
    (lambda: nn.Softplus(), "softplus"),
    (lambda: nn.Softplus(beta=2.0, threshold=10.0), "softplus"),
    (lambda: nn.Mish(), "mish"),
    (lambda: nn.Softsign(), "softsign"),
    (lambda: nn.Hardsigmoid(), "hard_sigmoid"),
    (lambda: nn.Hardswish(), "hard_swish"),
    (lambda: nn.Hardtanh(-2.0, 3.0), "hard_tanh"),
    (lambda: nn.ReLU6(), "hard_tanh"),
    (lambda: nn.Identity(), "linear"),
    (lambda: nn.Dropout(0.3), "linear"),
]
WIDTH = 5


def every_activation() -> nn.Sequential:
    torch.manual_seed(0)
    mods: list[nn.Module] = []
    for make, _ in ACTIVATIONS:
        mods += [nn.Linear(WIDTH, WIDTH), make()]
    mods.append(nn.Linear(WIDTH, 3))
    return nn.Sequential(*mods).eval()


def export(model: nn.Module, x, path: Path, exporter: str, opset: int, dynamic: bool = True) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "torchscript":
            axes = {"x": {0: "batch"}} if dynamic else None
            torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=opset, input_names=["x"], dynamic_axes=axes)
        else:
            pytest.importorskip("onnxscript")
            logging.disable(logging.WARNING)
            try:
                shapes = ({0: torch.export.Dim("batch")},) if dynamic else None
                torch.onnx.export(model, (x,), str(path), dynamo=True, opset_version=opset, dynamic_shapes=shapes, verbose=False)
            finally:
                logging.disable(logging.NOTSET)
    return path


def run_ort(path: Path, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


# The dynamo exporter writes opset 18 by default (GELU decomposed) and Gelu from 20 on.
EXPORTS = [("torchscript", opset) for opset in range(13, 22)] + [("dynamo", opset) for opset in (18, 21)]


@pytest.fixture(scope="module")
def model_and_input():
    torch.manual_seed(1)
    return every_activation(), torch.randn(9, WIDTH)


@pytest.fixture(scope="module")
def exported(model_and_input, tmp_path_factory):
    """The every-activation model exported once per exporter and opset."""
    model, x = model_and_input
    folder = tmp_path_factory.mktemp("exports")
    done: dict[tuple[str, int], Path] = {}

    def get(exporter: str, opset: int) -> Path:
        if (exporter, opset) not in done:
            done[exporter, opset] = export(model, x, folder / f"{exporter}-{opset}.onnx", exporter, opset)
        return done[exporter, opset]

    return get


@pytest.mark.parametrize("exporter, opset", EXPORTS, ids=[f"{e}-{o}" for e, o in EXPORTS])
def test_every_activation_matches_pytorch_float64_and_onnxruntime(exporter, opset, model_and_input, exported):
    model, x = model_and_input
    path = exported(exporter, opset)
    net = nncalc.load(path)
    assert [layer.activation.name for layer in net.layers] == [name for _, name in ACTIVATIONS] + ["linear"]

    # Layer by layer against PyTorch in float64, on the same (float32-valued) weights.
    x64 = x.double()
    trace = net.forward(x64.numpy())
    ref = copy.deepcopy(model).double()
    with torch.no_grad():
        for k in range(len(ACTIVATIONS)):
            expected = ref[: 2 * k + 2](x64).numpy()
            np.testing.assert_allclose(trace.layers[k].a, expected, rtol=1e-12, atol=1e-14, err_msg=f"layer {k + 1}")
        np.testing.assert_allclose(trace.output, ref(x64).numpy(), rtol=1e-12, atol=1e-14)

    # And against ONNX Runtime running the file itself, in float32.
    np.testing.assert_allclose(trace.output, run_ort(path, x.numpy()), rtol=1e-5, atol=1e-6)


def test_both_gelu_forms_and_the_softplus_threshold_are_read(exported):
    """Below opset 20 the exporters write GELU as Div/Erf/Add/Mul; from 20 on as Gelu.
    The TorchScript exporter's Softplus loses PyTorch's threshold (ONNX's has none); the
    dynamo exporter keeps it as Greater + Where."""
    ops = {}
    for opset in (13, 20):
        path = exported("torchscript", opset)
        ops[opset] = {n.op_type for n in onnx.load(str(path)).graph.node}
        net = nncalc.load(path)
        plus = [layer.activation for layer in net.layers if layer.activation.name == "softplus"]
        assert [p.kwargs for p in plus] == [{"beta": 1.0, "threshold": 40.0}, {"beta": 2.0, "threshold": 40.0}]
    assert "Erf" in ops[13] and "Gelu" not in ops[13]
    assert "Gelu" in ops[20]
    pytest.importorskip("onnxscript")
    path = exported("dynamo", 18)
    assert "Erf" in {n.op_type for n in onnx.load(str(path)).graph.node}
    assert "Gelu" in {n.op_type for n in onnx.load(str(exported("dynamo", 21))).graph.node}
    net = nncalc.load(path)
    plus = [layer.activation for layer in net.layers if layer.activation.name == "softplus"]
    assert [p.kwargs for p in plus] == [{"beta": 1.0, "threshold": 20.0}, {"beta": 2.0, "threshold": 10.0}]


@pytest.mark.parametrize("exporter, opset", [("torchscript", 17), ("dynamo", 18)])
def test_softplus_threshold_region_matches_onnxruntime(exporter, opset, tmp_path):
    """Large inputs, where PyTorch's threshold (dynamo) or its absence (TorchScript)
    decides the value."""
    model = nn.Sequential(nn.Linear(1, 4), nn.Softplus(beta=2.0, threshold=10.0)).eval()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0], [3.0], [6.0], [30.0]]))
        model[0].bias.zero_()
    x = torch.linspace(-4, 4, 33).reshape(-1, 1)
    path = export(model, x, tmp_path / "sp.onnx", exporter, opset)
    ours = nncalc.load(path).predict(x.double().numpy())
    np.testing.assert_allclose(ours, run_ort(path, x.numpy()), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("exporter, opset", [("torchscript", 15), ("dynamo", 18)])
def test_static_batch(exporter, opset, tmp_path):
    torch.manual_seed(2)
    model = nn.Sequential(nn.Flatten(), nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 2)).eval()
    x = torch.randn(3, 2, 3)  # (batch, 2, 3), flattened by the model
    path = export(model, x, tmp_path / "static.onnx", exporter, opset, dynamic=False)
    net = nncalc.load(path)
    assert net.sizes == (6, 4, 2)
    with torch.no_grad():
        expected = copy.deepcopy(model).double()(x.double()).numpy()
    np.testing.assert_allclose(net.predict(x.reshape(3, 6).double().numpy()), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(net.predict(x.reshape(3, 6).numpy()), run_ort(path, x.numpy()), rtol=1e-5, atol=1e-6)


class ViewThenLinear(nn.Module):
    """Flattening as older code writes it: x.view(x.size(0), -1), which the TorchScript
    exporter turns into Shape, Gather, Unsqueeze, Concat and Reshape."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        return torch.sigmoid(self.fc(x.view(x.size(0), -1)))


@pytest.mark.parametrize("exporter, opset", [("torchscript", 13), ("dynamo", 18)])
def test_flatten_written_as_view(exporter, opset, tmp_path):
    torch.manual_seed(5)
    model = ViewThenLinear().eval()
    x = torch.randn(4, 2, 3)
    path = export(model, x, tmp_path / "view.onnx", exporter, opset)
    net = nncalc.load(path)
    assert net.sizes == (6, 3) and net.layers[0].activation.name == "sigmoid"
    with torch.no_grad():
        expected = copy.deepcopy(model).double()(x.double()).numpy()
    np.testing.assert_allclose(net.predict(x.reshape(4, 6).double().numpy()), expected, rtol=1e-13)


def test_linear_without_bias_is_matmul(tmp_path):
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Linear(4, 2, bias=False)).eval()
    x = torch.randn(5, 3)
    path = export(model, x, tmp_path / "nobias.onnx", "torchscript", 17)
    assert {n.op_type for n in onnx.load(str(path)).graph.node} == {"MatMul", "Relu"}
    net = nncalc.load(path)
    assert [layer.has_bias for layer in net.layers] == [False, False]
    np.testing.assert_array_equal(net.layers[0].W, model[0].weight.detach().double().numpy())
    with torch.no_grad():
        np.testing.assert_allclose(net.predict(x.double().numpy()), copy.deepcopy(model).double()(x.double()).numpy(), rtol=1e-13)


# ------------------------------------------------------------------ graphs by hand


def make_model(nodes, inits, inp=("x", [None, 3]), out=("y", [None, 2]), opset=17, dtype=TensorProto.DOUBLE, extra_inputs=()):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(inp[0], dtype, inp[1]), *extra_inputs],
        [helper.make_tensor_value_info(out[0], dtype, out[1])],
        initializer=[numpy_helper.from_array(v, k) if isinstance(v, np.ndarray) else v for k, v in inits.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def save(model, path: Path) -> Path:
    onnx.save(model, str(path))
    return path


rng = np.random.default_rng(7)


def test_gemm_trans_alpha_beta_and_transposed_layouts(tmp_path):
    """transA/transB, alpha/beta, weights on either side of the product (one column per
    example between the layers), checked against ONNX Runtime in float64."""
    w1 = rng.normal(size=(4, 3))  # (units, inputs): Gemm(A=w1, B=xᵀ) -> (4, batch)
    c1 = rng.normal(size=(4, 1))
    w2 = rng.normal(size=(4, 2))  # (inputs, units): Gemm(A=hᵀ via transA, B=w2)
    c2 = rng.normal(size=(2,))
    nodes = [
        helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0], name="tx"),
        helper.make_node("Gemm", ["w1", "xt", "c1"], ["h"], alpha=0.5, beta=2.0, name="first"),
        helper.make_node("Sigmoid", ["h"], ["s"], name="act"),
        helper.make_node("Gemm", ["s", "w2", "c2"], ["y"], transA=1, alpha=1.5, beta=-1.0, name="second"),
    ]
    path = save(make_model(nodes, {"w1": w1, "c1": c1, "w2": w2, "c2": c2}), tmp_path / "t.onnx")
    net = nncalc.load(path)
    assert [layer.name for layer in net.layers] == ["first", "second"]
    x = rng.normal(size=(6, 3))
    expected = run_ort(path, x)
    # plain NumPy, written from the ONNX definitions
    h = 0.5 * (w1 @ x.T) + 2.0 * c1
    np.testing.assert_allclose(expected, 1.5 * ((1 / (1 + np.exp(-h))).T @ w2) - c2, rtol=1e-12)
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-12, atol=1e-14)


def test_matmul_add_flatten_reshape_identity_cast(tmp_path):
    w1, b1 = rng.normal(size=(4, 5)), rng.normal(size=(5,))  # (inputs, units), as MatMul reads it
    w2, b2 = rng.normal(size=(5, 2)), rng.normal(size=(1, 2))
    nodes = [
        helper.make_node("Flatten", ["x"], ["f"], axis=1),
        helper.make_node("Cast", ["f"], ["fc"], to=TensorProto.DOUBLE),
        helper.make_node("MatMul", ["fc", "w1"], ["m1"], name="dense1"),
        helper.make_node("Add", ["b1", "m1"], ["z1"]),  # the bias on the left
        helper.make_node("Relu", ["z1"], ["a1"]),
        helper.make_node("Identity", ["a1"], ["i1"]),
        helper.make_node("Reshape", ["i1", "shape"], ["r1"]),
        helper.make_node("MatMul", ["r1", "w2"], ["m2"], name="dense2"),
        helper.make_node("Add", ["m2", "b2"], ["y"]),
    ]
    inits = {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "shape": np.array([0, -1], dtype=np.int64)}
    path = save(make_model(nodes, inits, inp=("x", [None, 2, 2])), tmp_path / "mm.onnx")
    net = nncalc.load(path)
    assert net.sizes == (4, 5, 2)
    assert net.layers[0].weights_from == "mm.onnx[w1]ᵀ"
    x = rng.normal(size=(7, 2, 2))
    np.testing.assert_allclose(net.predict(x.reshape(7, 4)), run_ort(path, x), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("raw", [True, False], ids=["raw_data", "typed_fields"])
def test_weights_of_every_float_type_become_float64_exactly(dtype, raw, tmp_path):
    # Values every one of these types holds exactly.
    values = np.array([[0.5, -1.25, 3.0], [0.0078125, -96.0, 2.0 ** -8]])
    code = {"float16": TensorProto.FLOAT16, "bfloat16": TensorProto.BFLOAT16, "float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE}[dtype]
    if not raw:  # onnx.helper stores the values in the type's typed field itself
        tensor = helper.make_tensor("w", code, values.shape, values.ravel().tolist())
    elif dtype == "bfloat16":  # the top half of each float32
        bits = (values.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
        tensor = helper.make_tensor("w", code, values.shape, bits.tobytes(), raw=True)
    else:
        tensor = helper.make_tensor("w", code, values.shape, values.astype(dtype).tobytes(), raw=True)
    nodes = [helper.make_node("Gemm", ["x", "w"], ["y"], transB=1, name="g")]
    path = save(make_model(nodes, {"w": tensor}, dtype=code), tmp_path / "w.onnx")
    net = nncalc.load(path)
    assert net.layers[0].W.dtype == np.float64
    np.testing.assert_array_equal(net.layers[0].W, values)


def test_external_data_in_the_models_folder(tmp_path):
    w = rng.normal(size=(2, 3))
    model = make_model([helper.make_node("Gemm", ["x", "w"], ["y"], transB=1, name="g")], {"w": w})
    onnx.save_model(model, str(tmp_path / "ext.onnx"), save_as_external_data=True, location="ext.bin", size_threshold=0)
    assert (tmp_path / "ext.bin").exists()
    np.testing.assert_array_equal(nncalc.load(tmp_path / "ext.onnx").layers[0].W, w)


def external_model(tmp_path: Path, location: str, offset: int = 0, length: int = 48) -> Path:
    model = make_model([helper.make_node("Gemm", ["x", "w"], ["y"], transB=1, name="g")], {"w": np.zeros((2, 3))})
    t = model.graph.initializer[0]
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", str(offset)), ("length", str(length))):
        e = t.external_data.add()
        e.key, e.value = k, v
    folder = tmp_path / "m"
    folder.mkdir()
    return save(model, folder / "ext.onnx")


def test_external_data_outside_the_folder_is_refused(tmp_path, run):
    (tmp_path / "secret.bin").write_bytes(b"\0" * 48)
    path = external_model(tmp_path, "../secret.bin")
    result = run("forward", str(path), "--input", "1,2,3")
    assert_one_error(result, "ext.onnx", "initializer 'w'", "leaves the model's folder", "--allow-outside-paths")
    result = run("forward", str(path), "--input", "1,2,3", "--allow-outside-paths", "--json")
    assert result.exit_code == 0, result.output


def test_external_data_out_of_range_is_refused(tmp_path, run):
    path = external_model(tmp_path, "w.bin", offset=40)
    (path.parent / "w.bin").write_bytes(b"\0" * 48)
    assert_one_error(run("validate", str(path)), "initializer 'w'", "48 bytes at offset 40", "the file has 48")


def test_cli_forward_model_with_inputs_file_and_csv(tmp_path, run, model_and_input, exported):
    model, x = model_and_input
    path = exported("torchscript", 17)
    np.save(tmp_path / "batch.npy", x.double().numpy())
    result = run("forward", str(path), "--inputs", str(tmp_path / "batch.npy"), "--csv")
    assert result.exit_code == 0, result.output
    rows = np.loadtxt(result.stdout.splitlines()[1:], delimiter=",", ndmin=2)
    with torch.no_grad():
        np.testing.assert_allclose(rows, copy.deepcopy(model).double()(x.double()).numpy(), rtol=1e-12, atol=1e-14)


def test_format_from_first_bytes_when_the_suffix_says_nothing(tmp_path, model_and_input, exported):
    model, x = model_and_input
    path = exported("torchscript", 17)
    bare = tmp_path / "model"
    shutil.copy(path, bare)
    assert nncalc.importers.detect(bare) == "onnx"
    np.testing.assert_array_equal(nncalc.load(bare).predict(x.numpy()), nncalc.load(path).predict(x.numpy()))


# ------------------------------------------------------------------ hostile and unsupported

W3 = rng.normal(size=(3, 3))


def gemm(inp, w, out, name):
    return helper.make_node("Gemm", [inp, w], [out], transB=1, name=name)


HOSTILE = [
    (
        "convolution",
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv1")],
        {"w": np.zeros((2, 3, 1))},
        {},
        ["node 'conv1' (Conv) is not part of a dense feed-forward network", "Gemm, MatMul + Add"],
    ),
    (
        "residual add",
        [gemm("x", "w", "h", "g1"), helper.make_node("Relu", ["h"], ["r"]), gemm("r", "w", "h2", "g2"), helper.make_node("Add", ["h2", "h"], ["y"], name="skip")],
        {"w": W3},
        {"out": ("y", [None, 3])},
        ["combine two different tensors at node 'skip' (Add)", "residual"],
    ),
    (
        "second input",
        [helper.make_node("Add", ["x", "x2"], ["s"]), gemm("s", "w", "y", "g")],
        {"w": W3},
        {"out": ("y", [None, 3]), "extra_inputs": [helper.make_tensor_value_info("x2", TensorProto.DOUBLE, [None, 3])]},
        ["the graph has 2 inputs ('x', 'x2')", "one input"],
    ),
    (
        "softmax across the batch",
        [gemm("x", "w", "h", "g1"), helper.make_node("Softmax", ["h"], ["y"], axis=0, name="sm")],
        {"w": W3},
        {"out": ("y", [None, 3])},
        ["node 'sm' (Softmax) works on axis 0"],
    ),
    (
        "two activations in a row",
        [gemm("x", "w", "h", "g1"), helper.make_node("Relu", ["h"], ["r"], name="r"), helper.make_node("Sigmoid", ["r"], ["y"], name="s")],
        {"w": W3},
        {"out": ("y", [None, 3])},
        ["the nodes after layer 'g1' (Relu 'r', Sigmoid 's')", "not one of nncalc's activations"],
    ),
    (
        "weights that do not fit each other",
        [gemm("x", "w1", "h", "g1"), helper.make_node("Relu", ["h"], ["r"]), gemm("r", "w2", "y", "g2")],
        {"w1": W3, "w2": np.zeros((2, 4))},
        {},
        ["layer 'g2': weights from bad.onnx[w2] have 4 columns, but layer 'g1' has 3 units"],
    ),
    (
        "input wider than the first layer",
        [gemm("x", "w", "y", "g1")],
        {"w": np.zeros((2, 4))},
        {},
        ["the graph's input 'x' has 3 features, but layer 'g1' takes 4 inputs"],
    ),
    (
        "bias that does not fit",
        [helper.make_node("Gemm", ["x", "w", "c"], ["y"], transB=1, name="g1")],
        {"w": np.zeros((2, 3)), "c": np.zeros(5)},
        {},
        ["layer 'g1': bias from bad.onnx[c] has 5 values, but weights from bad.onnx[w] have 2 rows"],
    ),
    (
        "integer weights",
        [gemm("x", "w", "y", "g1")],
        {"w": np.zeros((2, 3), dtype=np.int64)},
        {},
        ["weights 'w' hold int64 values"],
    ),
    (
        "a cycle",
        [gemm("x", "w", "h", "g1"), helper.make_node("Add", ["h", "y"], ["y"], name="loop")],
        {"w": W3},
        {"out": ("y", [None, 3])},
        ["nest too deeply"],
    ),
    (
        "weights computed from the input",
        [helper.make_node("MatMul", ["x", "x"], ["y"], name="mm")],
        {},
        {},
        ["node 'mm' (MatMul) multiplies two computed tensors"],
    ),
]


@pytest.mark.parametrize("dtype", [TensorProto.FLOAT, TensorProto.DOUBLE], ids=["float32", "float64"])
@pytest.mark.parametrize("attrs", [{}, {"alpha": 0.3, "beta": 0.45}, {"alpha": -0.25, "beta": 0.6}], ids=["defaults", "own", "falling"])
def test_hard_sigmoid_with_the_model_s_own_constants_matches_onnxruntime(tmp_path, dtype, attrs):
    """ONNX's HardSigmoid, max(0, min(1, alpha z + beta)) with its defaults 0.2 and 0.5
    (tf2onnx writes Keras 2's hard_sigmoid so) or constants of its own, stored as float32."""
    real = np.float32 if dtype == TensorProto.FLOAT else np.float64
    W, b = (rng.normal(size=(3, 3)) * 4).astype(real), rng.normal(size=3).astype(real)
    nodes = [
        helper.make_node("Gemm", ["x", "w", "b"], ["h"], transB=1, name="g1"),
        helper.make_node("HardSigmoid", ["h"], ["y"], name="hs", **attrs),
    ]
    inits = {"w": W, "b": b}
    model = make_model(nodes, inits, out=("y", [None, 3]), dtype=dtype)
    path = save(model, tmp_path / "hs.onnx")
    net = nncalc.load(path)
    act = net.layers[0].activation
    alpha, beta = np.float32(attrs.get("alpha", 0.2)), np.float32(attrs.get("beta", 0.5))
    assert act.kwargs == {"alpha": float(alpha), "beta": float(beta)}  # the float32 constants, exactly
    x = np.linspace(-3, 3, 60).reshape(-1, 3) @ np.diag([1.0, 0.5, 2.0])
    if real is np.float64:  # onnxruntime has no float64 HardSigmoid: ONNX's own reference evaluator
        from onnx.reference import ReferenceEvaluator

        expected = ReferenceEvaluator(model).run(None, {"x": x})[0]
    else:
        expected = run_ort(path, x.astype(real))
    assert ((expected > 0) & (expected < 1)).any() and ((expected == 0) | (expected == 1)).any()
    ours = net.predict(x.astype(real).astype(np.float64))
    if real is np.float64:  # the same sums and constants: equal but for the last bits of the products
        np.testing.assert_allclose(ours, expected, rtol=1e-13, atol=1e-15)
    else:
        np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-6)
    # and plain NumPy, in float64 from the file's values
    h = x.astype(real).astype(np.float64) @ W.astype(np.float64).T + b.astype(np.float64)
    np.testing.assert_allclose(ours, np.clip(float(alpha) * h + float(beta), 0.0, 1.0), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("case", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_unsupported_graphs_get_one_error_naming_the_node(case, tmp_path, run):
    _, nodes, inits, kwargs, fragments = case
    path = save(make_model(nodes, inits, **kwargs), tmp_path / "bad.onnx")
    result = run("forward", str(path), "--input", "1,2,3")
    assert_one_error(result, "bad.onnx: ", *fragments)


def test_truncated_and_damaged_files(tmp_path, run, exported):
    good = exported("torchscript", 17).read_bytes()
    for cut in (len(good) // 2, len(good) - 3, 17):
        (tmp_path / "cut.onnx").write_bytes(good[:cut])
        assert_one_error(run("validate", str(tmp_path / "cut.onnx")), "cut.onnx: ", "truncated or damaged")
    (tmp_path / "empty.onnx").write_bytes(b"")
    assert_one_error(run("validate", str(tmp_path / "empty.onnx")), "empty.onnx: ", "holds no nodes")
    (tmp_path / "text.onnx").write_text("layers:\n  - weights: [[1]]\n")
    assert_one_error(run("validate", str(tmp_path / "text.onnx")), "text.onnx: ")
    (tmp_path / "dir.onnx").mkdir()
    assert_one_error(run("validate", str(tmp_path / "dir.onnx")), "dir.onnx: a folder")
    assert_one_error(run("validate", str(tmp_path / "missing.onnx")), "missing.onnx: no such file")


def test_activations_option_is_refused_for_onnx(tmp_path, run, exported):
    path = exported("torchscript", 17)
    assert_one_error(run("validate", str(path), "--activations", "relu"), "17.onnx: an ONNX model names its own activations", "(drop --activations)")


def test_hostile_names_are_shown_escaped(tmp_path, run):
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="evil\x1b[31m\nname")]
    path = save(make_model(nodes, {"w": np.zeros((2, 3, 1))}), tmp_path / "esc.onnx")
    line = assert_one_error(run("validate", str(path)), "evil\\x1b[31m")
    assert "\x1b" not in line


# ------------------------------------------------------------------ scikit-learn via skl2onnx


def test_sklearn_mlp_through_skl2onnx(tmp_path):
    pytest.importorskip("sklearn")
    skl2onnx = pytest.importorskip("skl2onnx")
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    X = rng.normal(size=(90, 4))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier(hidden_layer_sizes=(6,), activation="tanh", max_iter=300, random_state=0).fit(X, y)
        reg = MLPRegressor(hidden_layer_sizes=(5, 3), activation="logistic", max_iter=300, random_state=0).fit(X, X[:, 0] - X[:, 2])
    onnx_clf = skl2onnx.to_onnx(clf, X[:1].astype(np.float32), options={"zipmap": False})
    save(onnx_clf, tmp_path / "clf.onnx")
    net = nncalc.load(tmp_path / "clf.onnx")
    assert [layer.activation.name for layer in net.layers] == ["tanh", "softmax"]
    assert "label" in net.description
    # scikit-learn's own float64 numbers, to float32 precision (the ONNX weights are float32)
    np.testing.assert_allclose(net.predict(X), clf.predict_proba(X), rtol=1e-5, atol=1e-6)
    sess = ort.InferenceSession(str(tmp_path / "clf.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(net.predict(X), sess.run(["probabilities"], {"X": X.astype(np.float32)})[0], rtol=1e-5, atol=1e-6)
    save(skl2onnx.to_onnx(reg, X[:1].astype(np.float32)), tmp_path / "reg.onnx")
    net = nncalc.load(tmp_path / "reg.onnx")
    assert [layer.activation.name for layer in net.layers] == ["sigmoid", "sigmoid", "linear"]
    np.testing.assert_allclose(net.predict(X).ravel(), reg.predict(X), rtol=1e-5, atol=1e-5)
    # The default zipmap output is a list of dictionaries: refused, with the remedy.
    save(skl2onnx.to_onnx(clf, X[:1].astype(np.float32)), tmp_path / "zip.onnx")
    with pytest.raises(nncalc.SpecError, match=r"options=\{'zipmap': False\}"):
        nncalc.load(tmp_path / "zip.onnx")


# ------------------------------------------------------------------ the model nncalc ships


def test_shipped_iris_model(run):
    root = Path(__file__).resolve().parent.parent
    model, data = root / "specs" / "iris.onnx", root / "specs" / "iris.csv"
    net = nncalc.load(model)
    assert net.sizes == (4, 8, 3)
    assert [layer.activation.name for layer in net.layers] == ["relu", "softmax"]
    x = np.loadtxt(data, delimiter=",", comments="#", skiprows=4)
    probabilities = net.predict(x)
    np.testing.assert_allclose(probabilities, run_ort(model, x.astype(np.float32)), rtol=1e-5, atol=1e-6)
    species = np.repeat(np.arange(3), 50)  # the file's documented row order
    assert (probabilities.argmax(axis=1) == species).mean() >= 0.95
    result = run("forward", str(model), "--inputs", str(data), "--csv")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 151
