""".keras files: written by the test from Keras 3's documented layout (config.json,
metadata.json, model.weights.h5 with layers/<name>/vars/0, 1) and, when Keras is
installed, by Keras itself; checked against NumPy and Keras' own predictions. Hostile
zips and configs, each one error line."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.test_errors import assert_one_error

h5py = pytest.importorskip("h5py")

import nncalc  # noqa: E402

rng = np.random.default_rng(11)


def dense(name: str, units: int, activation: object = "linear", use_bias: bool = True) -> dict:
    return {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {"name": name, "units": units, "activation": activation, "use_bias": use_bias},
        "registered_name": None,
    }


def layer(cls: str, name: str, **config: object) -> dict:
    return {"module": "keras.layers", "class_name": cls, "config": {"name": name, **config}, "registered_name": None}


def write_keras(
    path: Path,
    layers: list[dict],
    weights: dict[str, tuple[str | None, list[np.ndarray]]],
    *,
    input_shape: list | None = None,
    version: str = "3.15.1",
    members: dict[str, bytes] | None = None,
) -> Path:
    """A .keras zip as Keras 3 writes it: weights[place] = (layer name, [kernel, bias])."""
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": "sequential", "layers": [layer("InputLayer", "input_layer", batch_shape=input_shape or [None, 4]), *layers]},
    }
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.create_group("layers")
        for place, (name, arrays) in weights.items():
            g = f.create_group(f"layers/{place}/vars")
            if name is not None:
                g.attrs["name"] = name
            for i, a in enumerate(arrays):
                g.create_dataset(str(i), data=a)
    parts = {
        "metadata.json": json.dumps({"keras_version": version, "date_saved": "2026-01-01@00:00:00"}).encode(),
        "config.json": json.dumps(config).encode(),
        "model.weights.h5": buf.getvalue(),
        **(members or {}),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_written_from_the_documented_layout_matches_numpy(tmp_path):
    k1, b1 = rng.normal(size=(4, 6)), rng.normal(size=6)  # Keras kernels are (inputs, units)
    k2, b2 = rng.normal(size=(6, 5)), rng.normal(size=5)
    k3 = rng.normal(size=(5, 3))
    path = write_keras(
        tmp_path / "m.keras",
        [
            dense("hidden", 6, "relu"),
            layer("Dropout", "dropout", rate=0.5),
            dense("mid", 5),
            layer("LeakyReLU", "leaky", negative_slope=0.25),
            layer("Flatten", "flatten", data_format="channels_last"),
            dense("out", 3, {"module": "keras.activations", "class_name": "function", "config": "softmax", "registered_name": "function"}, use_bias=False),
        ],
        {"dense": ("hidden", [k1, b1]), "dense_1": ("mid", [k2, b2]), "dense_2": ("out", [k3])},
    )
    net = nncalc.load(path)
    assert [(l.name, l.activation.label) for l in net.layers] == [("hidden", "relu"), ("mid", "leaky_relu(alpha=0.25)"), ("out", "softmax")]
    assert net.layers[0].weights_from == "m.keras[layers/dense/vars/0]ᵀ"
    x = rng.normal(size=(7, 4))
    h = np.maximum(x @ k1 + b1, 0)
    m = h @ k2 + b2
    m = np.where(m > 0, m, 0.25 * m)
    np.testing.assert_allclose(net.predict(x), softmax(m @ k3), rtol=1e-13, atol=1e-15)


def test_generic_places_when_the_vars_have_no_name_attribute(tmp_path):
    """Keras names a layer's place in the weights file after its class: dense, dense_1."""
    k1, k2 = rng.normal(size=(4, 2)), rng.normal(size=(2, 1))
    path = write_keras(
        tmp_path / "g.keras",
        [dense("a", 2, "tanh", use_bias=False), dense("b", 1, use_bias=False)],
        {"dense": (None, [k1]), "dense_1": (None, [k2])},
    )
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(nncalc.load(path).predict(x), np.tanh(x @ k1) @ k2, rtol=1e-13)


# ------------------------------------------------------------------ Keras itself


# Keras' torch backend warns about NumPy 2's copy keyword; not nncalc's concern.
keras_warnings = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except (ImportError, RuntimeError, ValueError) as e:  # Keras or its backend missing
        pytest.skip(f"keras is not usable here: {e}")
    return keras


@keras_warnings
def test_saved_by_keras_matches_its_predictions(keras, tmp_path):
    keras.utils.set_random_seed(0)
    L = keras.layers
    model = keras.Sequential(
        [
            keras.Input((2, 3)),
            L.Flatten(),
            L.Dense(8, activation="gelu"),
            L.Dense(8, activation="selu"),
            L.Dense(6),
            L.Activation("silu"),
            L.Dense(6, activation="softplus"),
            L.Dense(5),
            L.ReLU(max_value=6.0),
            L.Dropout(0.2),
            L.Dense(5, activation="hard_sigmoid"),
            L.Dense(4, activation="elu"),
            L.Dense(4),
            L.LeakyReLU(),
            L.Dense(3, activation="softmax"),
        ]
    )
    model.save(tmp_path / "k.keras")
    net = nncalc.load(tmp_path / "k.keras")
    assert [l.activation.name for l in net.layers] == [
        "gelu", "selu", "silu", "softplus", "hard_tanh", "hard_sigmoid", "elu", "leaky_relu", "softmax",
    ]
    x = rng.normal(size=(10, 2, 3)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(net.predict(x.reshape(10, 6)), expected, rtol=1e-5, atol=1e-6)


@keras_warnings
def test_functional_chain_saved_by_keras(keras, tmp_path):
    keras.utils.set_random_seed(1)
    L = keras.layers
    inp = keras.Input((4,))
    h = L.Dense(5, activation="tanh", name="h")(inp)
    s = L.Softmax(name="sm")(L.Dense(3, name="d3")(h))
    model = keras.Model(inp, L.Dense(2, name="o")(s))
    model.save(tmp_path / "f.keras")
    net = nncalc.load(tmp_path / "f.keras")
    assert [(l.name, l.activation.name) for l in net.layers] == [("h", "tanh"), ("d3", "softmax"), ("o", "linear")]
    x = rng.normal(size=(6, 4)).astype(np.float32)
    np.testing.assert_allclose(net.predict(x), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


@keras_warnings
def test_branching_functional_model_is_refused(keras, tmp_path, run):
    L = keras.layers
    inp = keras.Input((4,))
    a, b = L.Dense(3, name="a")(inp), L.Dense(3, name="b")(inp)
    keras.Model(inp, L.Add(name="join")([a, b])).save(tmp_path / "branch.keras")
    assert_one_error(run("validate", str(tmp_path / "branch.keras")), "branch.keras: layer 'b' takes input_layer", "one chain of layers")


# ------------------------------------------------------------------ hostile files


def zip_bomb(path: Path) -> Path:
    """A .keras whose weights file declares 64 MiB of zeros, deflated to ~64 KiB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {"layers": [dense("d", 1)]}}))
        zf.writestr("model.weights.h5", b"\0" * (64 * 1024 * 1024))
    return path


K = rng.normal(size=(4, 3))


@pytest.mark.parametrize(
    "layers, weights, fragments",
    [
        ([dense("d", 3), layer("Lambda", "evil", function="...")], {"dense": ("d", [K, np.zeros(3)])}, ["layer 'evil' (Lambda) holds Python code", "never runs"]),
        (
            [dense("d", 3), {"module": "my_package", "class_name": "Mine", "config": {"name": "custom"}, "registered_name": "my_package>Mine"}],
            {"dense": ("d", [K, np.zeros(3)])},
            ["layer 'custom' (Mine) is a custom layer", "never runs"],
        ),
        ([dense("d", 8)], {"dense": ("d", [K, np.zeros(8)])}, ["layer 'd': the kernel layers/dense/vars/0 has shape (4, 3), but the config says 8 units"]),
        ([dense("d", 3)], {"dense": ("d", [K, np.zeros(5)])}, ["layer 'd': the bias layers/dense/vars/1 has shape (5,), but the config says 3 units"]),
        ([dense("d", 3)], {"dense": ("d", [K])}, ["layers/dense/vars holds the variables 0; a Dense layer with a bias has 2 variables"]),
        ([dense("d", 3)], {}, ["layer 'd': model.weights.h5 has no layers/dense/vars"]),
        (
            [dense("d", 3), dense("e", 2)],
            {"dense": ("d", [K, np.zeros(3)]), "dense_1": ("e", [np.zeros((5, 2)), np.zeros(2)])},
            ["layer 'e': weights from bad.keras[layers/dense_1/vars/0]ᵀ have 5 columns, but layer 'd' has 3 units"],
        ),
        ([layer("Conv2D", "conv", filters=3)], {}, ["layer 'conv' (Conv2D) is not a layer nncalc reads", "InputLayer, Dense"]),
        ([dense("d", 3, "relu"), layer("Activation", "act", activation="tanh")], {"dense": ("d", [K, np.zeros(3)])}, ["layer 'act' (Activation) follows layer 'd', which already has an activation"]),
        ([dense("d", 3, "exponential")], {"dense": ("d", [K, np.zeros(3)])}, ["activation 'exponential', which nncalc does not have"]),
        ([dense("d", 3)], {"dense": ("d", [K.astype(np.int32), np.zeros(3)])}, ["holds int32 values"]),
    ],
    ids=["lambda", "custom", "kernel vs config", "bias vs config", "missing bias", "missing vars", "weights do not fit", "conv", "two activations", "unknown activation", "integer kernel"],
)
def test_hostile_configs_and_weights(layers, weights, fragments, tmp_path, run):
    path = write_keras(tmp_path / "bad.keras", layers, weights)
    assert_one_error(run("forward", str(path), "--input", "1,2,3,4"), "bad.keras: ", *fragments)


def test_dense_on_a_3d_input_is_refused(tmp_path, run):
    path = write_keras(tmp_path / "bad.keras", [dense("d", 3)], {"dense": ("d", [K, np.zeros(3)])}, input_shape=[None, 2, 4])
    assert_one_error(run("validate", str(path)), "layer 'd' (Dense) acts on a 3-D input", "add a Flatten")


def test_zip_bomb_is_refused_before_unpacking(tmp_path, run):
    path = zip_bomb(tmp_path / "bomb.keras")
    line = assert_one_error(run("validate", str(path)), "bomb.keras: ", "'model.weights.h5' in the .keras zip unpacks", "zip bomb")
    assert "67,108,864 bytes" in line


def test_damaged_zips(tmp_path, run):
    (tmp_path / "noise.keras").write_bytes(b"PK\x03\x04" + bytes(range(200)))
    assert_one_error(run("validate", str(tmp_path / "noise.keras")), "noise.keras: not a valid .keras file")
    with zipfile.ZipFile(tmp_path / "nocfg.keras", "w") as zf:
        zf.writestr("model.weights.h5", b"")
    assert_one_error(run("validate", str(tmp_path / "nocfg.keras")), "has no config.json")
    write_keras(tmp_path / "badjson.keras", [dense("d", 3)], {}, members={"config.json": b"{nope"})
    assert_one_error(run("validate", str(tmp_path / "badjson.keras")), "config.json in the .keras zip is not valid JSON")
    write_keras(tmp_path / "badh5.keras", [dense("d", 3)], {}, members={"model.weights.h5": b"not hdf5 at all"})
    assert_one_error(run("validate", str(tmp_path / "badh5.keras")), "model.weights.h5 in the .keras zip is not a valid HDF5 file")


def test_activations_option_is_refused(tmp_path, run):
    path = write_keras(tmp_path / "m.keras", [dense("d", 3)], {"dense": ("d", [K, np.zeros(3)])})
    assert_one_error(run("validate", str(path), "--activations", "relu"), "a Keras model names its own activations")


def test_keras2_hdf5_is_refused_with_advice(tmp_path, run):
    with h5py.File(tmp_path / "old.h5", "w") as f:
        f.attrs["model_config"] = "{}"
    assert_one_error(run("validate", str(tmp_path / "old.h5")), "old.h5: an HDF5 file (Keras 2's .h5 format)", "model.save('model.keras')")


@pytest.mark.parametrize("how", ["external storage", "external link", "soft link"])
def test_weights_kept_outside_the_file_are_never_read(how, tmp_path, run):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(6, dtype=np.float32).tobytes())
    path = write_keras(tmp_path / "m.keras", [dense("dense", 3)], {"dense": ("dense", [np.ones((4, 3)), np.zeros(3)])})
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    buf = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buf, "a") as f:
        del f["layers/dense/vars/0"]
        if how == "external storage":
            f.create_dataset("layers/dense/vars/0", shape=(4, 3), dtype="f4", external=[(str(secret), 0, 48)])
        elif how == "external link":
            f["layers/dense/vars/0"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/x")
        else:
            f["layers/dense/vars/0"] = h5py.SoftLink("/layers/dense/vars/1")
    members["model.weights.h5"] = buf.getvalue()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    assert_one_error(run("forward", str(path), "-i", "1,2,3,4"), "m.keras", "nncalc reads only the file's own data")


@pytest.mark.parametrize(
    "version, alpha, beta",
    [("2.15.0", 0.2, 0.5), ("3.15.1", None, None)],
    ids=["keras 2: clip(0.2z + 0.5)", "keras 3: relu6(z + 3) / 6"],
)
def test_hard_sigmoid_of_each_keras_version(tmp_path, version, alpha, beta):
    """Keras 2's hard_sigmoid is clip(0.2z + 0.5, 0, 1); Keras 3's is PyTorch's relu6(z + 3) / 6."""
    k, b = rng.normal(size=(4, 6)) * 3, rng.normal(size=6)
    path = write_keras(tmp_path / "h.keras", [dense("h", 6, "hard_sigmoid")], {"dense": ("h", [k, b])}, version=version)
    net = nncalc.load(path)
    x = rng.normal(size=(50, 4))
    z = x @ k + b
    expected = np.clip(0.2 * z + 0.5, 0, 1) if alpha is not None else np.minimum(np.maximum(z + 3, 0), 6) / 6
    assert ((expected > 0) & (expected < 1)).any() and ((expected == 0) | (expected == 1)).any()
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-13, atol=1e-15)
    kwargs = net.layers[0].activation.kwargs
    assert kwargs == ({"alpha": alpha, "beta": beta} if alpha is not None else {})


@pytest.mark.parametrize("name", ["hard_silu", "hard_swish"])
def test_hard_silu(tmp_path, name):
    """Keras 3's hard_silu (alias hard_swish): z relu6(z + 3) / 6."""
    k, b = rng.normal(size=(4, 6)) * 3, rng.normal(size=6)
    path = write_keras(tmp_path / "s.keras", [dense("h", 6, name)], {"dense": ("h", [k, b])})
    net = nncalc.load(path)
    assert net.layers[0].activation.name == "hard_swish"
    x = rng.normal(size=(50, 4))
    z = x @ k + b
    assert (z < -3).any() and (z > 3).any() and ((z > -3) & (z < 3)).any()
    np.testing.assert_allclose(net.predict(x), z * np.clip(z + 3, 0, 6) / 6, rtol=1e-13, atol=1e-15)


def test_a_keras_version_of_one_number_is_its_major_version(tmp_path):
    k, b = rng.normal(size=(4, 2)) * 3, rng.normal(size=2)
    path = write_keras(tmp_path / "v.keras", [dense("h", 2, "hard_sigmoid")], {"dense": ("h", [k, b])}, version="2")
    assert nncalc.load(path).layers[0].activation.kwargs == {"alpha": 0.2, "beta": 0.5}
