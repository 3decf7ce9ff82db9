"""The public Python API: what `import nncalc` offers, how it shows itself, and that it
stays light, immutable and picklable."""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

import nncalc


def test_the_done_means_line():
    code = "import nncalc; print(nncalc.load('two-layer').forward([1, 2]).output.tolist())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[[0.28]]\n"


def test_import_is_light():
    code = (
        "import sys, nncalc\n"
        "net = nncalc.load('two-layer'); net.forward([1, 2]); net.predict([[1, 2]]); repr(net)\n"
        "nncalc.collapse(nncalc.load('linear-stack'))\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'click', 'rich'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_paths_and_names():
    from pathlib import Path

    from nncalc.spec import EXAMPLES_DIR

    by_name = nncalc.load("neuron")
    by_path = nncalc.load(Path(EXAMPLES_DIR / "neuron.yaml"))
    assert np.array_equal(by_name.layers[0].W, by_path.layers[0].W)
    assert nncalc.examples() == ["linear-stack", "neuron", "two-layer"]


def test_loads_and_from_arrays_agree():
    text = "layers:\n  - {name: h, weights: [[0.5, -1], [2, 0.25]], bias: [0.1, 0], activation: tanh}\n"
    a = nncalc.loads(text)
    b = nncalc.from_arrays([{"name": "h", "weights": [[0.5, -1], [2, 0.25]], "bias": [0.1, 0], "activation": "tanh"}])
    x = np.array([[0.3, -0.7], [2.0, 1.0]])
    # plain NumPy, written here: tanh(W x + b)
    expected = np.tanh(np.array([[0.5 * r[0] - 1 * r[1] + 0.1, 2 * r[0] + 0.25 * r[1]] for r in x]))
    np.testing.assert_allclose(a.forward(x).output, expected, rtol=1e-15)
    np.testing.assert_array_equal(a.predict(x), b.predict(x))


@pytest.mark.parametrize(
    "layers, message",
    [
        ([], "non-empty list of layers"),
        ([{"weights": [[1, 2], [3]]}], "numbers in rows of equal length"),
        ([{"weights": [1, 2]}], "expected a 2-D matrix"),
        ([{"weights": np.zeros((0, 2))}], "are empty"),
        ([{"weights": [[np.nan]]}], "not finite"),
        ([{"weights": [["a"]]}], "must be real numbers, got text"),
        ([{"weights": [[1, True]]}], "not True or False"),
        ([{"weights": [[1.0]], "bias": [[1.0]]}], "expected a vector"),
        ([{"weights": [[1.0]], "activation": {"name": "elu", "alpha": 10**400}}], "must be a finite number"),
        ([{"weights": [[10**400]]}], "too large for float64"),
        ([{"weights": [[1.0]], "bias": [1, 2]}], "bias has 2 values, but weights have 1 row"),
        ([{"weights": [[1.0]], "activation": "rleu"}], "did you mean 'relu'?"),
        ([{"weights": [[1.0]], "activation": {"name": "leaky_relu", "slope": 1}}], "unknown parameter 'slope'"),
        ([{"weights": [[1.0]], "name": "a"}, {"weights": [[1.0]], "name": "a"}], "used twice"),
        ([{"weights": [[1.0]], "wieghts": 1}], "unknown key 'wieghts'"),
    ],
)
def test_from_arrays_errors(layers, message):
    with pytest.raises(nncalc.SpecError, match=message.replace("(", r"\(").replace("?", r"\?")):
        nncalc.from_arrays(layers)


def test_inputs_that_do_not_fit():
    net = nncalc.load("two-layer")
    with pytest.raises(nncalc.InputError, match="the input has 3 values, but layer 'hidden' takes 2 inputs"):
        net.forward([1, 2, 3])
    with pytest.raises(nncalc.InputError, match="no input given"):
        nncalc.from_arrays([{"weights": [[1.0]]}]).forward()


def test_no_library_message_names_a_flag():
    with pytest.raises(nncalc.SpecError) as e:
        nncalc.loads("layers:\n  - weights: {file: ../w.npy}\n")
    assert "--" not in str(e.value) and e.value.hint == "outside_paths"


def test_network_is_immutable_and_pickles():
    net = nncalc.load("two-layer")
    with pytest.raises(ValueError):
        net.layers[0].W[0, 0] = 5.0
    with pytest.raises(AttributeError):
        net.name = "other"  # type: ignore[misc]
    again = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(again.predict([[1, 2]]), net.predict([[1, 2]]))
    assert repr(again) == repr(net)
    with pytest.raises(ValueError):
        again.layers[0].W[0, 0] = 5.0
    leaky = nncalc.from_arrays([{"weights": [[1.0]], "activation": {"name": "leaky_relu", "alpha": 0.2}}])
    assert pickle.loads(pickle.dumps(leaky)).predict([[-1.0]]).tolist() == [[-0.2]]


def test_reprs_are_one_short_line():
    net = nncalc.load("two-layer")
    assert repr(net) == "<Network two-layer network: 2 → 3 → 1, relu, linear, 13 parameters>"
    big = nncalc.from_arrays([{"weights": np.ones((300, 784)), "activation": "relu"}])
    for obj in (net, net.forward([1, 2]), big, big.forward(np.ones((1000, 784))), net.layers[0]):
        text = repr(obj)
        assert "\n" not in text and len(text) < 120, text


def test_notebook_displays():
    net = nncalc.load("two-layer")
    for obj in (net, net.forward([[1, 2], [3, 4]]), nncalc.collapse(net)):
        bundle = obj._repr_mimebundle_()
        assert bundle["text/plain"] == repr(obj)
        assert "<pre" in bundle["text/html"] and "┃" not in bundle["text/plain"]
        assert "$$" in bundle["text/markdown"]
        assert "\\documentclass" not in bundle["text/latex"] and "\\[" in bundle["text/latex"]
    html = net.forward([1, 2])._repr_mimebundle_()["text/html"]
    # the same term-by-term sums the terminal shows, with the seed's numbers
    assert "(0.7)(0.1) + (-0.3)(0.8) + (0.5)(0.7) + 0.1" in html and "0.28" in html
    md = nncalc.collapse(nncalc.load("linear-stack"))._repr_mimebundle_()["text/markdown"]
    assert "-2.5" in md and "-5.5" in md


def test_a_network_does_not_share_the_callers_arrays():
    W = np.array([[1.0, 2.0]])
    net = nncalc.from_arrays([{"weights": W, "bias": np.array([0.5])}])
    W[0, 0] = 100.0
    assert net.predict([[1.0, 1.0]]).tolist() == [[3.5]]
    W32 = np.array([[0.1, 0.2]], dtype=np.float32)
    net = nncalc.from_arrays([{"weights": W32}])
    W32[0, 0] = 100.0
    assert net.layers[0].W.tolist() == [[float(np.float32(0.1)), float(np.float32(0.2))]]


def test_big_ints_and_fractions_are_numbers():
    from fractions import Fraction

    net = nncalc.load("two-layer")
    # plain arithmetic: hidden [0.2*2**64 - 0.1, 0.4*2**64 + 0.3 - 0.2, -0.5*2**64 + 0.6], relu, then W2
    x = 2.0**64
    h = [max(0.0, 0.2 * x + -0.1 * 1 + 0.1), max(0.0, 0.4 * x + 0.3 * 1 + -0.2), max(0.0, -0.5 * x + 0.6 * 1 + 0.0)]
    assert net.predict([[2**64, 1]]).tolist() == [[0.7 * h[0] + -0.3 * h[1] + 0.5 * h[2] + 0.1]]
    assert net.predict([[Fraction(1, 2), 1]]).tolist() == net.predict([[0.5, 1]]).tolist()
    with pytest.raises(nncalc.InputError, match="masked"):
        net.predict(np.ma.array([[1.0, 2.0]], mask=[[0, 1]]))


@pytest.mark.parametrize("bad", [None, 3, b"two-layer", "two\0layer"])
def test_load_refuses_what_is_not_a_path(bad):
    with pytest.raises(nncalc.SpecError):
        nncalc.load(bad)


def test_collapse_wants_a_network():
    with pytest.raises(nncalc.InputError, match="takes a Network"):
        nncalc.collapse("linear-stack")


def test_half_a_surrogate_pair_in_spec_text():
    with pytest.raises(nncalc.SpecError, match="half a character"):
        nncalc.loads("layers:\n  - weights: [[1]]\n    name: \ud800\n")


def test_a_symlink_loop_in_a_weights_path(tmp_path, run):
    import os

    from tests.conftest import assert_one_error

    os.symlink(tmp_path / "l2.npy", tmp_path / "l1.npy")
    os.symlink(tmp_path / "l1.npy", tmp_path / "l2.npy")
    (tmp_path / "net.yaml").write_text("layers:\n  - weights: {file: l1.npy}\n")
    assert_one_error(run("validate", str(tmp_path / "net.yaml")), "net.yaml:2:", "loop")


def test_a_batch_is_read_where_it_is_and_left_as_it_was():
    """predict and stats read a float64 batch without copying it (a copy of a large batch
    took longer than its products) and leave it writeable; forward's trace keeps a copy,
    which a later change to the array does not reach."""
    net = nncalc.load("two-layer")
    X = np.array([[1.0, 2.0], [0.5, -1.0]])
    W1, b1 = [(0.2, -0.1), (0.4, 0.3), (-0.5, 0.6)], [0.1, -0.2, 0.0]
    h = [[max(w0 * x[0] + w1 * x[1] + b, 0.0) for (w0, w1), b in zip(W1, b1)] for x in X.tolist()]
    before = [[0.7 * r[0] + -0.3 * r[1] + 0.5 * r[2] + 0.1] for r in h]
    assert net.predict(X).tolist() == before
    net.stats(X)
    assert X.flags.writeable and X.flags.owndata
    trace = net.forward(X)
    X[0, 0] = 100.0
    assert trace.inputs_to(0).tolist() == [[1.0, 2.0], [0.5, -1.0]]
    assert net.predict(X)[1].tolist() == before[1]


def test_large_finite_values_raise_no_warning():
    """1e308 + 1e308 overflows the sum that checks for NaN and infinities: the values
    are then searched, quietly."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = nncalc.from_arrays([{"weights": [[1e308, 1e308]]}])
        assert net.layers[0].W.tolist() == [[1e308, 1e308]]
        with pytest.raises(nncalc.ComputeError, match="overflows float64"):
            net.predict(np.array([[1.0, 1.0]]))


def test_array_likes_are_copied_for_a_trace_and_left_writeable():
    """A tensor, a memoryview or an object whose __array__ hands out its own array: the
    trace keeps a copy, and predict leaves the caller's memory writeable."""

    class Holder:
        def __init__(self):
            self.a = np.array([[1.0, 2.0]])

        def __array__(self, dtype=None, copy=None):
            return self.a

    net = nncalc.load("two-layer")
    held = Holder()
    view = memoryview(np.array([[1.0, 2.0]]))
    for x, change in ((held, lambda: held.a.__setitem__((0, 0), 100.0)), (view, lambda: view.obj.__setitem__((0, 0), 100.0))):
        trace = net.forward(x)
        net.predict(x)
        change()  # the caller's memory is still writeable, and the trace did not see it
        assert trace.inputs_to(0).tolist() == [[1.0, 2.0]]
