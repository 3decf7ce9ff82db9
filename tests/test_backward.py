"""The backward pass against PyTorch float64 autograd and against textbook arithmetic.

- PyTorch (skipped without torch): random networks of 1 to 4 layers using every
  activation (with parameters) and every loss, batches of 1 and 17: every delta, weight
  and bias gradient, input gradient and the weights after one SGD step agree to 1e-12,
  relative to the largest entry of each array.
- By hand: the classic 2-2-2 sigmoid network with half-sse and one step of learning
  rate 0.5 (inputs 0.05, 0.10; targets 0.01, 0.99), and the seed's Example 2 with the
  target 1, each number worked out below with plain Python arithmetic.
- The gradient check: quiet on every real derivative, loud on a broken one, and it names
  ReLU's kink at z = 0 instead of hiding it.
"""

from __future__ import annotations

import math
import warnings
import zlib
from dataclasses import replace

import numpy as np
import pytest

from nncalc import activations, losses
from nncalc.activations import REGISTRY, get
from nncalc.backward import backward, gradient_check, step, train
from nncalc.errors import ComputeError, InputError
from nncalc.network import Layer, Network, frozen
from nncalc.spec import load_spec, parse_spec

NAMES = sorted({d.name for d in REGISTRY.values()})
# Activations whose outputs are probabilities, for bce and cross-entropy.
PROBABILITY_OUTPUTS = ("sigmoid", "softmax", "hard_sigmoid", "hard_tanh01")
LOSS_OUTPUTS = {
    "mse": NAMES,
    "half-sse": NAMES,
    "bce": PROBABILITY_OUTPUTS,
    "cross-entropy": ("softmax", "sigmoid"),
    "nll": ("log_softmax",),
}


def random_params(name: str, rng: np.random.Generator) -> dict[str, float]:
    """Parameter values away from the defaults, so the tests see them used."""
    if name == "hard_tanh01":
        return {"min_val": 0.0, "max_val": 1.0}
    return {
        "leaky_relu": {"alpha": float(rng.uniform(0.05, 0.5))},
        "elu": {"alpha": float(rng.uniform(0.5, 2.0))},
        "softplus": {"beta": float(rng.uniform(0.5, 2.0)), "threshold": float(rng.uniform(1.0, 3.0))},
        "hard_tanh": {"min_val": -0.7, "max_val": 1.3},
        # ONNX's form: a slope and an offset of its own
        "hard_sigmoid": {"alpha": float(rng.uniform(0.1, 0.6)), "beta": float(rng.uniform(0.3, 0.7))},
    }.get(name, {})


def random_network(rng: np.random.Generator, depth: int, hidden: str, output: str, nin: int = 3, nout: int = 3) -> Network:
    sizes = [nin, *rng.integers(2, 6, size=depth - 1).tolist(), nout]
    layers = []
    for k in range(depth):
        name = output if k == depth - 1 else hidden
        act = get("hard_tanh" if name == "hard_tanh01" else name, **random_params(name, rng))
        W = rng.normal(size=(sizes[k + 1], sizes[k])) * 1.5 / math.sqrt(sizes[k])
        b = rng.normal(size=sizes[k + 1]) * 0.5
        layers.append(Layer(f"layer{k + 1}", frozen(W), frozen(b), act, has_bias=bool(k % 2 == 0 or rng.random() < 0.5)))
    # A layer without a bias keeps b = 0, as the spec loader builds it.
    layers = [l if l.has_bias else replace(l, b=frozen(np.zeros(l.nout))) for l in layers]
    return Network(tuple(layers), name="random")


def random_targets(rng: np.random.Generator, loss: str, n: int, k: int, output: str):
    """(targets, classes or None): values for regression, probabilities, or classes."""
    if loss in ("mse", "half-sse"):
        return rng.normal(size=(n, k)), None
    if loss == "nll" or (loss == "cross-entropy" and output == "softmax" and rng.random() < 0.5):
        classes = rng.integers(1, k + 1, size=n)
        return np.eye(k)[classes - 1], classes
    if loss == "cross-entropy" and output == "softmax":
        p = rng.random(size=(n, k))
        return p / p.sum(axis=1, keepdims=True), None
    return rng.random(size=(n, k)), None


# -------------------------------------------------------------------- PyTorch float64


def torch_activation(torch, act):
    F = torch.nn.functional
    kw = act.kwargs
    return {
        "linear": lambda z: z,
        "relu": F.relu,
        "leaky_relu": lambda z: F.leaky_relu(z, kw.get("alpha", 0.01)),
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "softmax": lambda z: F.softmax(z, dim=-1),
        "log_softmax": lambda z: F.log_softmax(z, dim=-1),
        "elu": lambda z: F.elu(z, kw.get("alpha", 1.0)),
        "selu": F.selu,
        "gelu": F.gelu,
        "gelu_tanh": lambda z: F.gelu(z, approximate="tanh"),
        "silu": F.silu,
        "softplus": lambda z: F.softplus(z, kw.get("beta", 1.0), kw.get("threshold", 20.0)),
        "mish": F.mish,
        "softsign": F.softsign,
        # F.hardsigmoid's float64 backward multiplies by 1/6 rounded to float32; the same
        # function written as ReLU6(z + 3)/6 differentiates with the float64 1/6.
        "hard_sigmoid": (lambda z: torch.clamp(kw["alpha"] * z + kw["beta"], 0.0, 1.0))
        if kw
        else (lambda z: F.relu6(z + 3.0) / 6.0),
        "hard_tanh": lambda z: F.hardtanh(z, kw.get("min_val", -1.0), kw.get("max_val", 1.0)),
        "hard_swish": F.hardswish,
    }[act.name]


def torch_loss(torch, loss: str, out, z_last, t, classes, output: str):
    F = torch.nn.functional
    if loss == "mse":
        return F.mse_loss(out, t)
    if loss == "half-sse":
        return 0.5 * ((t - out) ** 2).sum(dim=1).mean()
    if loss == "bce":
        return F.binary_cross_entropy(out, t)
    if loss == "cross-entropy":
        if output == "softmax":
            target = torch.tensor(classes - 1) if classes is not None else t
            return F.cross_entropy(z_last, target)
        return -(t * torch.log(out)).sum(dim=1).mean()
    return F.nll_loss(out, torch.tensor(classes - 1))


def torch_backward(net: Network, x: np.ndarray, t: np.ndarray, classes, loss: str, output: str, lr: float):
    torch = pytest.importorskip("torch")
    X = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    params = []
    a, zs, acts = X, [], [X]
    for layer in net.layers:
        W = torch.tensor(layer.W, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(layer.b, dtype=torch.float64, requires_grad=layer.has_bias)
        params.append((W, b))
        z = a @ W.T + b if layer.has_bias else a @ W.T
        z.retain_grad()
        a = torch_activation(torch, layer.activation)(z)
        a.retain_grad()
        zs.append(z)
        acts.append(a)
    L = torch_loss(torch, loss, a, zs[-1], torch.tensor(t, dtype=torch.float64), classes, output)
    L.backward()
    n = len(x)
    result = {
        "loss": L.item(),
        "delta": [z.grad.numpy() * n for z in zs],
        "grad_input": [v.grad.numpy() * n for v in acts[:-1]],
        "grad_W": [W.grad.numpy().copy() for W, _ in params],
        "grad_b": [b.grad.numpy().copy() if b.requires_grad else None for _, b in params],
    }
    trainable = [p for W, b in params for p in (W, b) if p.requires_grad]
    torch.optim.SGD(trainable, lr=lr).step()
    result["W_new"] = [W.detach().numpy() for W, _ in params]
    result["b_new"] = [b.detach().numpy() for _, b in params]
    return result


def assert_close(got, want, what, rtol=1e-12):
    """Equal to ``rtol`` relative to the largest entry of ``want``."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    scale = np.abs(want).max(initial=0.0)
    err = np.abs(got - want).max(initial=0.0)
    assert err <= rtol * scale or err == 0.0, f"{what}: off by {err:.3g}, {err / scale:.3g} of the largest entry"


CASES = [
    (loss, hidden, output, depth, n)
    for loss, outputs in LOSS_OUTPUTS.items()
    for i, hidden in enumerate(NAMES)
    for output in [outputs[i % len(outputs)]]
    for depth, n in [(1 + i % 4, 1), (1 + (i + 2) % 4, 17)]
]
# Every activation as the output layer of a regression loss, too.
CASES += [("half-sse", "tanh", name, 2, 5) for name in NAMES] + [("mse", "relu", name, 3, 4) for name in NAMES]


@pytest.mark.parametrize("loss, hidden, output, depth, n", CASES)
def test_matches_torch_autograd(loss, hidden, output, depth, n):
    pytest.importorskip("torch")
    seed = zlib.crc32(repr((loss, hidden, output, depth, n)).encode())
    rng = np.random.default_rng(seed)
    k = 1 if loss == "bce" and output == "sigmoid" and rng.random() < 0.3 else 3
    net = random_network(rng, depth, hidden, output, nout=k)
    x = rng.normal(size=(n, net.nin))
    t, classes = random_targets(rng, loss, n, k, output)
    lr = 0.3
    want = torch_backward(net, x, t, classes, loss, output, lr)
    if classes is not None and loss != "mse":
        g = backward(net, x, loss=loss, classes=classes.tolist())
    else:
        g = backward(net, x, t, loss)
    assert g.loss_name == loss
    assert g.loss == pytest.approx(want["loss"], rel=1e-12, abs=1e-300)
    for i, lg in enumerate(g.layers):
        assert_close(lg.delta, want["delta"][i], f"layer {i + 1} delta")
        assert_close(lg.grad_W, want["grad_W"][i], f"layer {i + 1} grad_W")
        if net.layers[i].has_bias:
            assert_close(lg.grad_b, want["grad_b"][i], f"layer {i + 1} grad_b")
        assert_close(lg.grad_input, want["grad_input"][i], f"layer {i + 1} grad_input")
    new = step(net, g, lr)
    for i, layer in enumerate(new.layers):
        assert_close(layer.W, want["W_new"][i], f"layer {i + 1} W after the step")
        assert_close(layer.b, want["b_new"][i], f"layer {i + 1} b after the step")
    # The blocked path that training takes gives the same gradients.
    fast = backward(net, x, g.target, loss, per_input=False)
    assert fast.loss == pytest.approx(want["loss"], rel=1e-12, abs=1e-300)
    for i, lg in enumerate(fast.layers):
        assert lg.delta is None and lg.grad_input is None
        assert_close(lg.grad_W, want["grad_W"][i], f"layer {i + 1} grad_W, per_input=False")
        if net.layers[i].has_bias:
            assert_close(lg.grad_b, want["grad_b"][i], f"layer {i + 1} grad_b, per_input=False")


def test_softmax_hidden_layer_uses_the_whole_jacobian():
    """A softmax in the middle: the diagonal alone would give other gradients."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    net = random_network(rng, 3, "softmax", "linear")
    x, t = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    g = backward(net, x, t, "mse")
    want = torch_backward(net, x, t, None, "mse", "linear", 0.1)
    assert_close(g.layers[0].grad_W, want["grad_W"][0], "grad_W under a softmax layer")
    # The diagonal-only product differs from it by far more than rounding.
    diag = replace(REGISTRY["softmax"], vjp=None)
    broken = replace(net, layers=(*net.layers[:1], replace(net.layers[1], activation=activations.Activation(diag)), net.layers[2]))
    wrong = backward(broken, x, t, "mse").layers[0].grad_W
    assert np.abs(wrong - want["grad_W"][0]).max() > 1e-3 * np.abs(want["grad_W"][0]).max()


# ------------------------------------------------------------------- by hand


def sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


MAZUR = """
name: 2-2-2 sigmoid
input: [0.05, 0.10]
layers:
  - name: hidden
    activation: sigmoid
    weights: [[0.15, 0.20], [0.25, 0.30]]
    bias: [0.35, 0.35]
  - name: output
    activation: sigmoid
    weights: [[0.40, 0.45], [0.50, 0.55]]
    bias: [0.60, 0.60]
"""


def test_classic_2_2_2_example_worked_by_hand():
    # Inputs, targets and weights w1..w8, biases b1 (hidden) and b2 (output).
    i1, i2 = 0.05, 0.10
    t1, t2 = 0.01, 0.99
    w1, w2, w3, w4, w5, w6, w7, w8 = 0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55
    b1, b2, lr = 0.35, 0.60, 0.5
    # Forward.
    out_h1 = sigmoid(w1 * i1 + w2 * i2 + b1)
    out_h2 = sigmoid(w3 * i1 + w4 * i2 + b1)
    out_o1 = sigmoid(w5 * out_h1 + w6 * out_h2 + b2)
    out_o2 = sigmoid(w7 * out_h1 + w8 * out_h2 + b2)
    E = 0.5 * (t1 - out_o1) ** 2 + 0.5 * (t2 - out_o2) ** 2
    # Output layer: dE/dout, dout/dnet, their product delta, then dE/dw = delta * out_h.
    d_o1 = -(t1 - out_o1) * out_o1 * (1 - out_o1)
    d_o2 = -(t2 - out_o2) * out_o2 * (1 - out_o2)
    # Hidden layer: dE/dout_h sums over both outputs, through w5..w8.
    e_h1 = d_o1 * w5 + d_o2 * w7
    e_h2 = d_o1 * w6 + d_o2 * w8
    d_h1 = e_h1 * out_h1 * (1 - out_h1)
    d_h2 = e_h2 * out_h2 * (1 - out_h2)
    # The published figures of this example, to the digits it gives them.
    assert round(E, 9) == 0.298371109
    assert round(w5 - lr * d_o1 * out_h1, 8) == 0.35891648

    net = parse_spec(MAZUR)
    g = backward(net, net.input, [t1, t2], "half-sse")
    assert g.loss == pytest.approx(E, rel=1e-14)
    hidden, output = g.layers
    assert output.upstream[0].tolist() == pytest.approx([-(t1 - out_o1), -(t2 - out_o2)], rel=1e-14)
    assert output.delta[0].tolist() == pytest.approx([d_o1, d_o2], rel=1e-13)
    assert output.grad_W.tolist() == [
        pytest.approx([d_o1 * out_h1, d_o1 * out_h2], rel=1e-13),
        pytest.approx([d_o2 * out_h1, d_o2 * out_h2], rel=1e-13),
    ]
    assert output.grad_b.tolist() == pytest.approx([d_o1, d_o2], rel=1e-13)
    assert output.grad_input[0].tolist() == pytest.approx([e_h1, e_h2], rel=1e-13)
    assert hidden.delta[0].tolist() == pytest.approx([d_h1, d_h2], rel=1e-13)
    assert hidden.grad_W.tolist() == [
        pytest.approx([d_h1 * i1, d_h1 * i2], rel=1e-13),
        pytest.approx([d_h2 * i1, d_h2 * i2], rel=1e-13),
    ]
    assert hidden.grad_input[0].tolist() == pytest.approx(
        [d_h1 * w1 + d_h2 * w3, d_h1 * w2 + d_h2 * w4], rel=1e-13
    )

    new = step(net, g, lr)
    assert new.layers[1].W.tolist() == [
        pytest.approx([w5 - lr * d_o1 * out_h1, w6 - lr * d_o1 * out_h2], rel=1e-14),
        pytest.approx([w7 - lr * d_o2 * out_h1, w8 - lr * d_o2 * out_h2], rel=1e-14),
    ]
    assert new.layers[0].W.tolist() == [
        pytest.approx([w1 - lr * d_h1 * i1, w2 - lr * d_h1 * i2], rel=1e-14),
        pytest.approx([w3 - lr * d_h2 * i1, w4 - lr * d_h2 * i2], rel=1e-14),
    ]
    assert new.layers[0].b.tolist() == pytest.approx([b1 - lr * d_h1, b1 - lr * d_h2], rel=1e-14)
    assert new.layers[1].b.tolist() == pytest.approx([b2 - lr * d_o1, b2 - lr * d_o2], rel=1e-14)


def test_seed_example_2_with_target_1_by_hand():
    """Example 2 (hidden z = [0.1, 0.8, 0.7], all ReLU units fire; output 0.28)."""
    x1, x2 = 1.0, 2.0
    W1 = [[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]]
    W2 = [0.7, -0.3, 0.5]
    h = [0.1, 0.8, 0.7]  # the seed's hidden activations
    y = 0.28  # the seed's output
    target = 1.0
    E = 0.5 * (target - y) ** 2  # half-sse, the default for a linear output
    d_out = -(target - y)  # linear: the local derivative is 1
    d_hidden = [W2[i] * d_out * 1.0 for i in range(3)]  # ReLU' = 1, every z > 0

    g = backward(load_spec("two-layer"), [x1, x2], [target])
    assert g.loss_name == "half-sse"
    assert g.loss == pytest.approx(E, rel=1e-14)
    hidden, output = g.layers
    assert output.delta.tolist() == [[pytest.approx(d_out, rel=1e-14)]]
    assert output.grad_W.tolist() == [pytest.approx([d_out * v for v in h], rel=1e-14)]
    assert output.grad_b.tolist() == pytest.approx([d_out], rel=1e-14)
    assert output.grad_input[0].tolist() == pytest.approx(d_hidden, rel=1e-14)
    assert hidden.delta[0].tolist() == pytest.approx(d_hidden, rel=1e-14)
    assert hidden.grad_W.tolist() == [pytest.approx([d * x1, d * x2], rel=1e-14) for d in d_hidden]
    want_dx = [sum(W1[i][j] * d_hidden[i] for i in range(3)) for j in range(2)]
    assert hidden.grad_input[0].tolist() == pytest.approx(want_dx, rel=1e-13)
    # The numbers a person gets: -0.72, and 0.7 × -0.72 = -0.504.
    assert round(d_out, 12) == -0.72 and round(d_hidden[0], 12) == -0.504


def test_long_batches_are_summed_block_by_block(monkeypatch):
    """per_input=False works a block of rows at a time; blocks of 64 rows here, so 1,000
    inputs make 16 blocks, against the whole-batch pass."""
    import nncalc.backward as engine

    monkeypatch.setattr(engine, "BLOCK_VALUES", 64)  # so 64 rows per block of 1 unit
    rng = np.random.default_rng(5)
    net = random_network(rng, 3, "tanh", "softmax")
    x = rng.normal(size=(1000, 3))
    classes = rng.integers(1, 4, size=1000)
    whole = backward(net, x, classes=classes)
    blocks = backward(net, x, classes=classes, per_input=False)
    assert blocks.losses.tolist() == pytest.approx(whole.losses.tolist(), rel=1e-14)
    for a, b in zip(whole.layers, blocks.layers):
        assert_close(b.grad_W, a.grad_W, "grad_W", rtol=1e-13)
        assert_close(b.grad_b, a.grad_b, "grad_b", rtol=1e-13)


def test_batch_mean_and_per_input_parts():
    """delta per input without 1/N; grad_W of the mean: the average of single-input ones."""
    net = load_spec("two-layer")
    x = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, 0.3]])
    t = np.array([[1.0], [0.0], [2.0]])
    g = backward(net, x, t)
    singles = [backward(net, x[i], t[i]) for i in range(3)]
    assert g.loss == pytest.approx(np.mean([s.loss for s in singles]), rel=1e-14)
    for k in range(2):
        assert g.layers[k].delta.tolist() == [s.layers[k].delta[0].tolist() for s in singles]
        mean = sum(s.layers[k].grad_W for s in singles) / 3
        np.testing.assert_allclose(g.layers[k].grad_W, mean, rtol=1e-14, atol=1e-17)


def test_training_steps_lower_the_loss_and_restart_from_each_result():
    net = parse_spec(MAZUR)
    t = np.array([[0.01, 0.99]])
    run = train(net, net.input, t, "half-sse", 0.5, 3)
    assert len(run.losses) == 4 and list(run.losses) == sorted(run.losses, reverse=True)
    # Three single steps, done one after another by hand.
    current = net
    for k in range(3):
        g = backward(current, net.input, t, "half-sse")
        assert g.loss == pytest.approx(run.losses[k], rel=1e-15)
        current = step(current, g, 0.5)
    assert current.layers[0].W.tolist() == run.net.layers[0].W.tolist()


def test_layer_without_bias_keeps_none():
    net = parse_spec("layers:\n  - weights: [[1, 2]]\n    activation: tanh\n")
    g = backward(net, [0.5, -0.25], [0.3])
    new = step(net, g, 0.1)
    assert not new.layers[0].has_bias and new.layers[0].b.tolist() == [0.0]


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "spec_act, loss, target, fragment",
    [
        ("linear", "bce", [0.5], "bce takes probabilities in [0, 1], but layer 'out' is linear"),
        ("relu", "cross-entropy", [0.5], "cross-entropy takes probabilities in [0, 1]"),
        ("log_softmax", "cross-entropy", [1.0], "use the nll loss"),
        ("softmax", "nll", [1.0], "nll takes log-probabilities"),
        ("sigmoid", "bce", [1.5], "has 1.5 for unit 1; bce takes probabilities, between 0 and 1"),
        ("sigmoid", "half-sse", [1.0, 2.0], "the target has 2 values, but layer 'out' has 1 unit"),
        ("sigmoid", "hinge", [1.0], "unknown loss 'hinge'; known: mse, half-sse, bce, cross-entropy, nll"),
        ("sigmoid", "MSE", [1.0], "did you mean 'mse'?"),
    ],
)
def test_refusals(spec_act, loss, target, fragment):
    net = parse_spec(f"layers:\n  - name: out\n    weights: [[1, 2]]\n    activation: {spec_act}\n")
    with pytest.raises(InputError) as e:
        backward(net, [1.0, 2.0], target, loss)
    assert fragment in str(e.value)


def test_class_numbers_count_from_1():
    net = parse_spec("layers:\n  - name: out\n    weights: [[1, 2], [3, 4], [5, 6]]\n    activation: softmax\n")
    with pytest.raises(InputError, match="class 4 is out of range: layer 'out' has 3 units, so classes are numbered 1 to 3"):
        backward(net, [1.0, 2.0], classes=[4])
    with pytest.raises(InputError, match="class 0 is out of range"):
        backward(net, [1.0, 2.0], classes=[0])
    g = backward(net, [1.0, 2.0], classes=[3])
    assert g.target.tolist() == [[0.0, 0.0, 1.0]] and g.fused


def test_nll_needs_one_hot_targets():
    net = parse_spec("layers:\n  - weights: [[1, 2], [3, 4]]\n    activation: log_softmax\n")
    with pytest.raises(InputError, match="not one-hot"):
        backward(net, [1.0, 2.0], [0.5, 0.5], "nll")


def test_inputs_and_targets_pair_up():
    with pytest.raises(InputError, match="2 inputs but 1 target"):
        backward(load_spec("two-layer"), [[1.0, 2.0], [3.0, 4.0]], [1.0])


def test_overflowing_gradient_is_named_not_warned():
    net = parse_spec("layers:\n  - name: big\n    weights: [[1e200, 1e200]]\n  - name: out\n    weights: [[1e200]]\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ComputeError, match="layer 'big'|layer 'out'"):
            backward(net, [1.0, 1.0], [0.0])


def test_infinite_cross_entropy_is_an_error():
    net = parse_spec("layers:\n  - weights: [[1], [1]]\n    activation: hard_sigmoid\n")
    with pytest.raises(ComputeError, match="cross-entropy loss is infinite"):
        backward(net, [-10.0], [1.0, 0.0], "cross-entropy")


# ------------------------------------------------------------------ gradient check


@pytest.mark.parametrize("loss, hidden, output, depth, n", [c for c in CASES if c[4] <= 5][::2])
def test_check_is_quiet_on_the_real_derivatives(loss, hidden, output, depth, n):
    seed = zlib.crc32(repr((loss, hidden, output, depth, n, "check")).encode())
    rng = np.random.default_rng(seed)
    net = random_network(rng, depth, hidden, output)
    x = rng.normal(size=(n, net.nin))
    t, classes = random_targets(rng, loss, n, 3, output)
    g = backward(net, x, t, loss)
    c = gradient_check(net, x, g.target, loss, g)
    assert c.passed, (c.max_error, c.worst, c.kinks)
    smooth = all(not l.activation.kinks for l in net.layers)
    if smooth:
        assert c.max_error < 1e-8 and c.excluded == 0


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu", "softsign"])
def test_check_finds_a_broken_derivative(monkeypatch, name):
    d = REGISTRY[name]
    monkeypatch.setitem(REGISTRY, name, replace(d, grad=lambda z, _g=d.grad: _g(z) * 1.01))
    rng = np.random.default_rng(3)
    net = random_network(rng, 2, name, "linear")
    x, t = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    c = gradient_check(net, x, t, "half-sse")
    assert not c.passed and c.max_error > 1e-3
    assert c.worst[0] == 0  # the broken layer is the first


def test_check_finds_a_diagonal_only_softmax(monkeypatch):
    d = REGISTRY["softmax"]
    monkeypatch.setitem(REGISTRY, "softmax", replace(d, vjp=None))  # g times the diagonal
    rng = np.random.default_rng(4)
    net = random_network(rng, 2, "softmax", "linear")
    x, t = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    assert not gradient_check(net, x, t, "mse").passed


def test_check_names_relu_at_zero():
    # Example 2 with hidden bias 0: unit 1 has z = 0.2 - 0.2 = 0 exactly.
    net = parse_spec(
        "layers:\n  - name: hidden\n    activation: relu\n    weights: [[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]]\n"
        "    bias: [0, -0.2, 0]\n  - name: output\n    weights: [[0.7, -0.3, 0.5]]\n    bias: [0.1]\n"
    )
    g = backward(net, [1.0, 2.0], [1.0])
    assert g.trace.layers[0].z[0, 0] == 0.0
    c = gradient_check(net, np.array([[1.0, 2.0]]), g.target, "half-sse", g)
    assert [(k.layer, k.unit, k.input, k.z) for k in c.kinks] == [("hidden", 1, 1, 0.0)]
    assert "relu has no derivative at z = 0" in c.kinks[0].reason
    # Unit 1's two weights and its bias move z across 0; the layer above cannot move it.
    assert c.excluded == 3 and c.passed
    assert c.layers[0].crossed_W[0].tolist() == [True, True] and c.layers[0].crossed_b.tolist() == [True, False, False]


def test_check_refuses_huge_networks():
    net = Network((Layer("wide", frozen(np.zeros((1000, 1000))), frozen(np.zeros(1000)), get("relu")),))
    with pytest.raises(InputError, match="too large"):
        gradient_check(net, np.zeros((3, 1000)), np.zeros((3, 1000)), "mse")


def test_losses_module_names_match_the_issue():
    assert list(losses.LOSSES) == ["mse", "half-sse", "bce", "cross-entropy", "nll"]


# ---------------------------------------------------- derivatives at float64's extremes

TINY = np.finfo(np.float64).tiny
EXTREMES = np.array([1e308, -1e308, 1e300, -1e300, 0.0, TINY, -TINY, 5e-324, -5e-324])
PARAMETERS = {
    "leaky_relu": [{}, {"alpha": 3.0}],
    "elu": [{}, {"alpha": 2.5}],
    "softplus": [{}, {"beta": 3.0, "threshold": 5.0}, {"beta": 0.25}],
    "hard_tanh": [{}, {"min_val": 0.0, "max_val": 1.0}],
    "hard_sigmoid": [{}, {"alpha": 0.2, "beta": 0.5}, {"alpha": -3.0, "beta": 0.25}],
}


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_and_vjps_are_finite_and_silent_at_the_extremes(name):
    for params in PARAMETERS.get(name, [{}]):
        act = get(name, **params)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="raise", under="ignore"):
                if act.definition.elementwise:
                    z = EXTREMES
                    g = act.grad(z)
                    a = act(z)
                    v = act.vjp(z, a, np.ones_like(z))
                else:  # a layer of two units, every pair of extremes
                    z = np.array([[p, q] for p in EXTREMES for q in EXTREMES])
                    g = act.grad(z)
                    a = act(z)
                    v = act.vjp(z, a, np.ones_like(z))
        assert np.isfinite(g).all(), (name, params, z[~np.isfinite(g)])
        assert np.isfinite(v).all(), (name, params)


@pytest.mark.parametrize(
    "name, at_plus, at_minus",
    [
        # The exact limits: gelu' -> 1 and 0 (the Gaussian term vanishes), its tanh form
        # likewise; silu' and mish' -> 1 and 0; softplus' -> 1 and 0; softsign' -> 0.
        ("gelu", 1.0, 0.0), ("gelu_tanh", 1.0, 0.0), ("silu", 1.0, 0.0), ("mish", 1.0, 0.0),
        ("softplus", 1.0, 0.0), ("softsign", 0.0, 0.0), ("tanh", 0.0, 0.0), ("sigmoid", 0.0, 0.0),
        ("elu", 1.0, 0.0), ("selu", 1.0507009873554805, 0.0),
    ],
)
def test_derivatives_take_their_exact_limits(name, at_plus, at_minus):
    for big in (1e308, 1e300, np.finfo(np.float64).max):
        assert get(name).grad(np.array([big, -big])).tolist() == [at_plus, pytest.approx(at_minus, abs=0.0)]


def test_values_beyond_float64_are_inf_without_a_warning():
    """selu(1.75e308) exceeds float64: inf, silently, for the engine to report by name."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert get("selu")(np.array([1.75e308])).tolist() == [math.inf]
        assert get("leaky_relu", alpha=3.0)(np.array([-1e308])).tolist() == [-math.inf]
        assert get("softmax")(np.array([[1e308, -1e308]])).tolist() == [[1.0, 0.0]]
