"""Each loss and its derivative against plain Python (math module, one number at a time)
and, where installed, against PyTorch float64: values, autograd gradients, clamps."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from nncalc import losses
from nncalc.activations import get
from nncalc.errors import ComputeError, InputError
from nncalc.network import Layer, Network, frozen


def net_with(act: str, units: int = 3, **params) -> Network:
    return Network((Layer("out", frozen(np.ones((units, 2))), frozen(np.zeros(units)), get(act, **params)),))


# Independent references: one input's loss and dL/da, written from the formulas.
def ref_mse(a, t):
    return sum((x - y) ** 2 for x, y in zip(a, t)) / len(a), [2 * (x - y) / len(a) for x, y in zip(a, t)]


def ref_half_sse(a, t):
    return sum(0.5 * (y - x) ** 2 for x, y in zip(a, t)), [-(y - x) for x, y in zip(a, t)]


def ref_bce(a, t):
    def clamp_log(v):
        return max(math.log(v), -100.0) if v > 0 else -100.0

    value = sum(-(y * clamp_log(x) + (1 - y) * clamp_log(1 - x)) for x, y in zip(a, t)) / len(a)
    return value, [(x - y) / max(x * (1 - x), float(np.float32(1e-12))) / len(a) for x, y in zip(a, t)]


def ref_cross_entropy(a, t):
    return -sum(y * math.log(x) for x, y in zip(a, t) if y), [(-y / x if y else 0.0) for x, y in zip(a, t)]


def ref_nll(a, t):
    return -sum(y * x for x, y in zip(a, t)), [-y for y in t]


REFS = {"mse": ref_mse, "half-sse": ref_half_sse, "bce": ref_bce, "cross-entropy": ref_cross_entropy, "nll": ref_nll}
ACT_FOR = {"mse": "tanh", "half-sse": "linear", "bce": "sigmoid", "cross-entropy": "sigmoid", "nll": "log_softmax"}


def sample(name: str, rng):
    if name in ("mse", "half-sse"):
        return rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    if name == "nll":
        z = rng.normal(size=(6, 3))
        a = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return a, np.eye(3)[rng.integers(0, 3, size=6)]
    return rng.uniform(0.01, 0.99, size=(6, 3)), rng.random(size=(6, 3))


@pytest.mark.parametrize("name", list(losses.LOSSES))
def test_value_and_derivative_match_plain_python(name):
    rng = np.random.default_rng(1)
    a, t = sample(name, rng)
    d = losses.get(name)
    act = get(ACT_FOR[name])
    values = d.value(act, a, a, t)  # z is used only by softmax
    grads = d.grad(a, t)
    for n in range(len(a)):
        want_value, want_grad = REFS[name](a[n].tolist(), t[n].tolist())
        assert values[n] == pytest.approx(want_value, rel=1e-14)
        assert grads[n].tolist() == pytest.approx(want_grad, rel=1e-14)


def test_bce_clamps_as_pytorch_does():
    d = losses.get("bce")
    a = np.array([[0.0, 1.0, 1e-50, 1e-13]])
    t = np.array([[1.0, 0.0, 1.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = d.value(get("sigmoid"), a, a, t)[0]
        grad = d.grad(a, t)[0]
    # ln 0 and ln 1e-50 (-115) are clamped at -100; 1e-13 costs -ln(1 - 1e-13).
    assert value == pytest.approx((100 + 100 + 100 + 1e-13) / 4, rel=1e-15)
    eps = float(np.float32(1e-12))
    assert grad.tolist() == pytest.approx([-1 / eps / 4, 1 / eps / 4, (1e-50 - 1) / eps / 4, 1e-13 / eps / 4], rel=1e-15)


def test_cross_entropy_on_softmax_uses_log_softmax_of_z():
    """Softmax rounds to 0 here, yet the loss stays finite, as CrossEntropyLoss on z."""
    z = np.array([[0.0, -800.0]])
    a = get("softmax")(z)
    assert a[0, 1] == 0.0
    value = losses.get("cross-entropy").value(get("softmax"), z, a, np.array([[0.0, 1.0]]))
    assert value.tolist() == [800.0]


def test_fused_softmax_cross_entropy_and_defaults():
    assert losses.fused(losses.get("cross-entropy"), get("softmax"))
    assert not losses.fused(losses.get("cross-entropy"), get("sigmoid"))
    assert not losses.fused(losses.get("mse"), get("softmax"))
    assert [losses.default_for(get(n)) for n in ("softmax", "log_softmax", "relu", "sigmoid")] == [
        "cross-entropy", "nll", "half-sse", "half-sse",
    ]


@pytest.mark.parametrize("name", ["sigmoid", "softmax", "hard_sigmoid"])
def test_probability_outputs(name):
    assert losses.within_unit_interval(get(name))
    losses.check_layer(losses.get("bce"), net_with(name).layers[0])


@pytest.mark.parametrize("name", ["linear", "relu", "tanh", "softplus", "log_softmax", "hard_tanh"])
def test_outputs_outside_0_1_refuse_bce(name):
    with pytest.raises(InputError, match="bce takes"):
        losses.check_layer(losses.get("bce"), net_with(name).layers[0])


def test_hard_tanh_inside_0_1_is_a_probability():
    assert losses.within_unit_interval(get("hard_tanh", min_val=0.0, max_val=1.0))
    assert not losses.within_unit_interval(get("hard_tanh", min_val=0.0, max_val=2.0))


@pytest.mark.parametrize(
    "loss, act, target, fragment",
    [
        ("bce", "sigmoid", [[-0.1, 0, 0]], "has -0.1 for unit 1; bce takes probabilities"),
        ("cross-entropy", "softmax", [[0, 2, 0]], "has 2 for unit 2"),
        ("nll", "log_softmax", [[0.5, 0.5, 0]], "not one-hot"),
        ("nll", "log_softmax", [[1, 1, 0]], "not one-hot"),
        ("mse", "linear", [[1, 2]], "the target has 2 values, but layer 'out' has 3 units"),
        ("mse", "linear", [[1, 2, 3, 4]], "has 4 values"),
        ("mse", "linear", [["a", 1, 2]], "must be numbers"),
        ("mse", "linear", [[np.nan, 1, 2]], "not a finite number"),
        ("bce", "sigmoid", [[0, 0, 0], [0, 2, 0]], "target 2 has 2 for unit 2"),
    ],
)
def test_target_refusals(loss, act, target, fragment):
    with pytest.raises(InputError) as e:
        losses.check_targets(losses.get(loss), net_with(act), target)
    assert fragment in str(e.value)


def test_one_hot_counts_from_1_and_refuses_others():
    net = net_with("softmax")
    assert losses.one_hot([1, 3], net).tolist() == [[1, 0, 0], [0, 0, 1]]
    for bad, fragment in [(0, "class 0 is out of range"), (4, "classes are numbered 1 to 3"), (1.5, "not a whole number"), (True, "not a whole number")]:
        with pytest.raises(InputError, match=fragment):
            losses.one_hot([bad], net)


def test_unknown_loss_lists_the_known():
    with pytest.raises(InputError, match="unknown loss 'hinge'; known: mse, half-sse, bce, cross-entropy, nll"):
        losses.get("hinge")
    with pytest.raises(InputError, match="did you mean 'half-sse'"):
        losses.get("half_sse")


def test_infinite_loss_is_named():
    net = net_with("sigmoid", units=2)
    a = np.array([[0.0, 0.5]])
    with pytest.raises(ComputeError, match="cross-entropy loss is infinite.*ln 0"):
        losses.values(losses.get("cross-entropy"), net.layers[0], a, a, np.array([[1.0, 0.0]]))


# -------------------------------------------------------------------- PyTorch float64


def torch_loss(torch, name, out, t):
    F = torch.nn.functional
    return {
        "mse": lambda: F.mse_loss(out, t),
        "half-sse": lambda: 0.5 * ((t - out) ** 2).sum(dim=1).mean(),
        "bce": lambda: F.binary_cross_entropy(out, t),
        "cross-entropy": lambda: -(t * torch.log(out)).sum(dim=1).mean(),
        "nll": lambda: F.nll_loss(out, t.argmax(dim=1)),
    }[name]()


@pytest.mark.parametrize("name", list(losses.LOSSES))
def test_batch_mean_and_gradient_match_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    a, t = sample(name, rng)
    if name == "bce":  # the clamps and the bounded denominator, too
        a[0, :2], t[0, :2] = [0.0, 1.0 - 1e-17], [1.0, 0.0]
        a[1, 0] = 1e-13
    A = torch.tensor(a, requires_grad=True)
    L = torch_loss(torch, name, A, torch.tensor(t))
    L.backward()
    d = losses.get(name)
    with np.errstate(all="raise"):
        per_input = d.value(get(ACT_FOR[name]), a, a, t)
        grad = d.grad(a, t)
    assert per_input.mean() == pytest.approx(L.item(), rel=1e-14)
    np.testing.assert_allclose(grad / len(a), A.grad.numpy(), rtol=1e-14, atol=0)


def test_cross_entropy_matches_torch_cross_entropy_on_z():
    torch = pytest.importorskip("torch")
    z = np.array([[1.0, -2.0, 0.5], [30.0, -30.0, 0.0]])
    t = np.array([[0.2, 0.3, 0.5], [0.0, 1.0, 0.0]])
    want = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(t), reduction="none").numpy()
    got = losses.get("cross-entropy").value(get("softmax"), z, get("softmax")(z), t)
    np.testing.assert_allclose(got, want, rtol=1e-14)
