"""The public Python API: what `import nncalc` offers, how it shows itself, and that it
stays light, immutable and picklable."""

from __future__ import annotations

import pickle
import subprocess
import sys

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
        ([{"weights": [["a"]]}], "expected real numbers"),
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
