"""Every registered activation and derivative against PyTorch float64, or closed forms.

With torch installed: values against torch.nn.functional in float64 and derivatives
against autograd, on z from -1000 to 1000. Always: values against tests/reference.py
(scalar math-module formulas) and derivatives against central differences on moderate
z, exact limits at the extremes, and no NumPy warnings anywhere.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from nncalc import activations
from nncalc.activations import REGISTRY
from nncalc.special import erf
from tests.reference import REFERENCE

NAMES = sorted({d.name for d in REGISTRY.values()})
VECTOR = {"softmax", "log_softmax"}  # functions of the whole layer

WIDE = np.unique(np.concatenate([
    np.linspace(-1000, 1000, 4001),
    np.linspace(-30, 30, 6001),
    [0.0, 1e-300, -1e-300, 1e-10, -1e-10, 3.0, -3.0, 20.0, 20.000001, 19.999999],
]))
MODERATE = WIDE[np.abs(WIDE) <= 30]


def evaluate(name, fn, z):
    """Apply an elementwise function to a vector, or a layer function to [z, 0] rows."""
    if name in VECTOR:
        return fn(np.stack([z, np.zeros_like(z)], axis=-1))[:, 0]
    return fn(z)


def test_registry_has_every_activation_of_the_issue():
    assert set(NAMES) == {
        "linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu",
        "gelu_tanh", "silu", "softplus", "mish", "softsign", "hard_sigmoid", "hard_tanh", "log_softmax",
        "hard_swish",
    }
    assert REGISTRY["swish"] is REGISTRY["silu"]


@pytest.mark.parametrize("name", NAMES)
def test_values_match_closed_forms(name):
    act = activations.get(name)
    if name in VECTOR:
        got = evaluate(name, act, MODERATE)
        want = [REFERENCE[name]([z, 0.0])[0] for z in MODERATE]
    else:
        got, want = act(MODERATE), REFERENCE[name](MODERATE.tolist())
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_match_central_differences(name):
    act = activations.get(name)
    z = np.linspace(-6, 6, 241) + 0.0123  # off every kink (0, ±1, ±3)
    h = 1e-6
    numeric = (evaluate(name, act, z + h) - evaluate(name, act, z - h)) / (2 * h)
    np.testing.assert_allclose(evaluate(name, act.grad, z), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", NAMES)
def test_no_warnings_and_finite_on_extremes(name):
    act = activations.get(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            for fn in (act, act.grad):
                values = evaluate(name, fn, WIDE)
                assert np.isfinite(values).all()


@pytest.mark.parametrize(
    "name, at_minus, at_plus",
    [
        ("sigmoid", 0.0, 1.0), ("tanh", -1.0, 1.0), ("relu", 0.0, 1000.0), ("elu", -1.0, 1000.0),
        ("softplus", 0.0, 1000.0), ("softsign", -1000 / 1001, 1000 / 1001), ("hard_sigmoid", 0.0, 1.0),
        ("hard_tanh", -1.0, 1.0), ("gelu", -0.0, 1000.0), ("silu", -0.0, 1000.0), ("mish", -0.0, 1000.0),
    ],
)
def test_exact_limits_at_plus_minus_1000(name, at_minus, at_plus):
    assert activations.get(name)(np.array([-1000.0, 1000.0])).tolist() == [at_minus, at_plus]


def test_parameters_are_used():
    z = np.array([-2.0, 0.5, 30.0])
    assert activations.get("elu", alpha=0.5)(z).tolist() == pytest.approx(REFERENCE["elu"](z.tolist(), alpha=0.5))
    sp = activations.get("softplus", beta=2.0, threshold=10.0)(z)
    assert sp.tolist() == pytest.approx(REFERENCE["softplus"](z.tolist(), beta=2.0, threshold=10.0), rel=1e-13)
    ht = activations.get("hard_tanh", min_val=-0.5, max_val=2.0)(z)
    assert ht.tolist() == [-0.5, 0.5, 2.0]


def test_erf_is_within_4_ulp_of_math_erf():
    x = np.concatenate([np.linspace(-7, 7, 140001), np.geomspace(1e-300, 1, 3000)])
    want = np.array([math.erf(v) for v in x])
    ulps = np.abs(erf(x) - want) / np.maximum(np.abs(want) * 2.0**-52, 5e-324)
    assert ulps.max() <= 4.0


# -- PyTorch float64, where installed


def torch_functions():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    return torch, {
        "linear": lambda t: t,
        "relu": F.relu,
        "leaky_relu": F.leaky_relu,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "softmax": lambda t: F.softmax(t, dim=-1),
        "log_softmax": lambda t: F.log_softmax(t, dim=-1),
        "elu": F.elu,
        "selu": F.selu,
        "gelu": F.gelu,
        "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
        "silu": F.silu,
        "softplus": F.softplus,
        "mish": F.mish,
        "softsign": F.softsign,
        "hard_sigmoid": F.hardsigmoid,
        "hard_tanh": F.hardtanh,
        "hard_swish": F.hardswish,
    }


def assert_close(got, want, z, rtol=1e-12, atol=0.0):
    """|got - want| <= rtol |want| + atol, with atol a number or one per element.

    Differences between subnormal numbers (below 1e-300) never count: PyTorch's
    vectorised exp flushes them to zero, and no relative comparison means anything there.
    """
    bound = rtol * np.abs(want) + np.maximum(atol, 1e-300)
    bad = np.abs(got - want) > bound
    assert not bad.any(), f"at z = {z[bad][:5]}: got {got[bad][:5]}, torch {want[bad][:5]}"


# Where PyTorch's own float64 formula cancels, any two correct implementations differ by
# rounding noise of about |z| * 1e-16 absolutely: GELU is z/2 (1 + erf(z/sqrt 2)) and
# its tanh form z/2 (1 + tanh(...)), and for z << 0 the sums cancel.
CANCELLING = {"gelu", "gelu_tanh"}

@pytest.mark.parametrize("name", NAMES)
def test_values_match_torch_float64(name):
    torch, fns = torch_functions()
    t = torch.tensor(WIDE, dtype=torch.float64)
    if name in VECTOR:
        want = fns[name](torch.stack([t, torch.zeros_like(t)], dim=-1))[:, 0].numpy()
    else:
        want = fns[name](t).numpy()
    got = evaluate(name, activations.get(name), WIDE)
    assert_close(got, want, WIDE, atol=1e-15 * np.abs(WIDE) if name in CANCELLING else 0.0)


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_match_torch_autograd(name):
    torch, fns = torch_functions()
    if name in VECTOR:
        z = np.linspace(-5, 5, 7)
        jac = torch.autograd.functional.jacobian(fns[name], torch.tensor(z, dtype=torch.float64))
        want = torch.diagonal(jac).numpy()
        got = activations.get(name).grad(z)
    else:
        t = torch.tensor(WIDE, dtype=torch.float64, requires_grad=True)
        fns[name](t).sum().backward()
        want, got = t.grad.numpy(), activations.get(name).grad(WIDE)
        z = WIDE
    if name == "hard_sigmoid":
        # PyTorch's float64 backward multiplies by 1/6 rounded to float32 (0.16666667163…);
        # nncalc uses 1/6 in float64.
        assert_close(got, want, z, rtol=1e-7)
    elif name in ("tanh", "sigmoid"):
        # Autograd computes 1 - y^2 and y(1 - y), which carry an absolute rounding error of
        # about 1e-16 where y rounds near ±1; nncalc's forms avoid that cancellation.
        assert_close(got, want, z, atol=3e-16)
    elif name in CANCELLING:
        assert_close(got, want, z, atol=1e-14 * np.maximum(1.0, np.abs(z)))
    else:
        assert_close(got, want, z)


def test_an_overflowing_alpha_z_writes_no_warning(tmp_path):
    """alpha z beyond float64 is clipped all the same, in every command that shows it."""
    import subprocess
    import sys

    spec = tmp_path / "huge.json"
    spec.write_text('{"input": [5], "target": [1], "layers": [{"activation": {"name": "hard_sigmoid", "alpha": -1e308, "beta": 0.5}, "weights": [[1]], "bias": [0]}]}')
    for args in (["forward", str(spec)], ["forward", str(spec), "--format", "markdown"], ["backward", str(spec), "--check"]):
        proc = subprocess.run([sys.executable, "-W", "error", "-m", "nncalc", *args], capture_output=True, text=True)
        assert proc.returncode == 0 and proc.stderr == "", (args, proc.stderr[-500:])
