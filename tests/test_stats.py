"""Batch diagnostics: ``net.stats(X)`` and ``nncalc stats``.

Every expected number comes from a forward pass written out in NumPy here (its own
activations and derivatives, not nncalc's registry), on a network built so that known
units are dead, saturated, or never chosen as a class.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from rich.console import Console

import nncalc
from nncalc.errors import InputError
from nncalc.stats import Running
from tests.conftest import assert_golden
from tests.test_errors import assert_one_error

N = 4000
RNG = np.random.default_rng(7)
X = RNG.normal(scale=2.0, size=(N, 3))


def _layers() -> list[dict]:
    rng = np.random.default_rng(11)
    hidden_W = rng.normal(size=(6, 3))
    hidden_b = rng.normal(size=6) * 0.1
    hidden_W[1], hidden_b[1] = 0.0, -1.0  # unit 2: z = -1 always: dead
    hidden_W[3], hidden_b[3] = 0.0, 0.0  # unit 4: z = 0 always: never positive, so dead
    hidden_W[4], hidden_b[4] = [1.0, 0.0, 0.0], -3.0  # unit 5: fires rarely (x1 > 3)
    hidden_W[5], hidden_b[5] = [1.0, 0.0, 0.0], -100.0  # unit 6: z varies, never positive: dead
    leaky_W = rng.normal(size=(4, 6))
    leaky_b = np.zeros(4)
    leaky_W[0], leaky_b[0] = 0.0, -2.0  # unit 1: dead, yet a = -0.2, not 0
    squash_W = rng.normal(size=(5, 4))
    squash_b = np.zeros(5)
    squash_W[0], squash_b[0] = 0.0, 50.0  # unit 1: sigmoid'(50) ~ 2e-22: saturated always
    squash_W[1], squash_b[1] = 0.0, 0.0  # unit 2: sigmoid'(0) = 0.25: never saturated
    squash_W[2] *= 20.0  # unit 3: often far from 0: saturated part of the time
    squash_W[4], squash_b[4] = 0.0, -50.0  # unit 5: saturated always
    tanh_W = rng.normal(size=(3, 5)) * np.array([[6.0], [0.5], [2.0]])
    tanh_W[:, [0, 1, 4]] = 0.0  # only the sigmoid units that vary
    hard_W = rng.normal(size=(3, 3)) * np.array([[8.0], [0.1], [3.0]])
    ht_W = rng.normal(size=(3, 3)) * 2.0
    out_W = rng.normal(size=(4, 3)) * 3.0
    out_b = np.array([0.5, 0.5, 0.0, -50.0])  # unit 4 is never chosen (centred below)
    return [
        {"name": "hidden", "weights": hidden_W, "bias": hidden_b, "activation": "relu"},
        {"name": "leaky", "weights": leaky_W, "bias": leaky_b, "activation": {"name": "leaky_relu", "alpha": 0.1}},
        {"name": "squash", "weights": squash_W, "bias": squash_b, "activation": "sigmoid"},
        {"name": "tanh", "weights": tanh_W, "activation": "tanh"},
        {"name": "hard", "weights": hard_W, "bias": [0.0, 0.0, 0.5], "activation": "hard_sigmoid"},
        {"name": "ht", "weights": ht_W, "activation": {"name": "hard_tanh", "min_val": -0.5, "max_val": 2.0}},
        {"name": "out", "weights": out_W, "bias": out_b, "activation": "softmax"},
    ]


LAYERS = _layers()


# ----------------------------------------------------------------- the NumPy reference


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def reference(X: np.ndarray, layers: list[dict], threshold: float = 0.01) -> dict:
    """What ``to_dict()`` must hold, computed from scratch."""
    a = np.asarray(X, dtype=float)
    out = []
    with np.errstate(over="ignore"):
        for spec in layers:
            W = np.asarray(spec["weights"], dtype=float)
            b = np.asarray(spec.get("bias", np.zeros(len(W))), dtype=float)
            act = spec["activation"]
            name = act if isinstance(act, str) else act["name"]
            z = a @ W.T + b
            dead = saturated = None
            if name == "relu":
                a = np.where(z > 0, z, 0.0)
                dead = (np.flatnonzero(z.max(axis=0) <= 0) + 1).tolist()
            elif name == "leaky_relu":
                a = np.where(z > 0, z, act["alpha"] * z)
                dead = (np.flatnonzero(z.max(axis=0) <= 0) + 1).tolist()
            elif name == "sigmoid":
                a = _sigmoid(z)
                saturated = a * (1 - a)
            elif name == "tanh":
                a = np.tanh(z)
                saturated = 1 - a * a
            elif name == "hard_sigmoid":
                a = np.clip(z / 6 + 0.5, 0, 1)
                saturated = np.where(np.abs(z) < 3, 1 / 6, 0.0)
            elif name == "hard_tanh":
                lo, hi = act["min_val"], act["max_val"]
                a = np.clip(z, lo, hi)
                saturated = ((z > lo) & (z < hi)).astype(float)
            elif name == "softmax":
                a = _softmax(z)
                saturated = a * (1 - a)
            elif name == "linear":
                a = z
            else:  # pragma: no cover
                raise AssertionError(name)
            if saturated is not None:
                saturated = (saturated < threshold).mean(axis=0).tolist()
            out.append(
                {
                    "name": spec["name"],
                    "activation": name,
                    "units": W.shape[0],
                    "dead": dead,
                    "saturated": saturated,
                    "z": {"min": z.min(0), "mean": z.mean(0), "std": z.std(0), "max": z.max(0)},
                    "a": {"min": a.min(0), "mean": a.mean(0), "std": a.std(0), "max": a.max(0)},
                    "zeros": (a == 0).mean(axis=0),
                }
            )
    return {"inputs": len(X), "layers": out, "classes": np.bincount(a.argmax(axis=1), minlength=a.shape[1]).tolist()}


# Centre the output layer's z on X, so that three classes are chosen and one is not.
_offsets = LAYERS[-1]["bias"]
LAYERS[-1]["bias"] = _offsets - (reference(X, LAYERS)["layers"][-1]["z"]["mean"] - _offsets)
NET = nncalc.from_arrays(LAYERS, name="diagnostic")


def assert_matches(got: dict, want: dict) -> None:
    assert got["inputs"] == want["inputs"]
    assert got["classes"] == want["classes"]
    assert len(got["layers"]) == len(want["layers"])
    for g, w in zip(got["layers"], want["layers"]):
        assert (g["name"], g["activation"], g["units"], g["dead"]) == (w["name"], w["activation"], w["units"], w["dead"])
        assert g["saturated"] == w["saturated"], g["name"]
        for key in ("z", "a"):
            for stat in ("min", "mean", "std", "max"):
                np.testing.assert_allclose(g[key][stat], w[key][stat], rtol=1e-11, atol=1e-12, err_msg=f"{g['name']}.{key}.{stat}")


# ------------------------------------------------------------------------ the library


def test_stats_match_numpy():
    assert_matches(NET.stats(X).to_dict(), reference(X, LAYERS))


def test_the_units_built_to_be_dead_or_saturated_are():
    s = NET.stats(X)
    hidden, leaky, squash, tanh, hard, ht, out = s.layers
    assert hidden.dead.tolist() == [2, 4, 6]
    assert leaky.dead.tolist() == [1]
    assert hidden.saturated is None and leaky.saturated is None
    assert squash.dead is None
    assert squash.saturated[[0, 1, 4]].tolist() == [1.0, 0.0, 1.0]
    assert 0.0 < squash.saturated[2] < 1.0
    assert s.classes[3] == 0 and s.classes.sum() == N
    # Fraction of zeros: a dead ReLU unit is always 0; a dead leaky one never is.
    assert hidden.zeros[[1, 3, 5]].tolist() == [1.0, 1.0, 1.0]
    assert leaky.zeros[0] == 0.0
    # A unit that never changed has std 0 and its one value as mean, not rounding noise.
    assert (leaky.a.mean[0], leaky.a.std[0], leaky.a.min[0]) == (-0.2, 0.0, -0.2)
    np.testing.assert_array_equal(hidden.zeros, reference(X, LAYERS)["layers"][0]["zeros"])
    np.testing.assert_array_equal(hard.zeros, reference(X, LAYERS)["layers"][4]["zeros"])


@pytest.mark.parametrize("threshold", [0.001, 0.2, 1.0])
def test_saturation_threshold(threshold):
    got = NET.stats(X, saturation=threshold).to_dict()
    want = reference(X, LAYERS, threshold)
    for g, w in zip(got["layers"], want["layers"]):
        assert g["saturated"] == w["saturated"], g["name"]


def test_results_are_read_only():
    s = NET.stats(X)
    for array in (s.classes, s.layers[0].dead, s.layers[0].z.mean, s.layers[0].zeros, s.layers[2].saturated):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0


def test_json_structure_is_exactly_the_documented_one():
    d = NET.stats(X).to_dict()
    assert list(d) == ["inputs", "layers", "classes"]
    for layer in d["layers"]:
        assert list(layer) == ["name", "activation", "units", "dead", "saturated", "z", "a"]
        for key in ("z", "a"):
            assert list(layer[key]) == ["min", "mean", "std", "max"]
            assert all(len(v) == layer["units"] and all(type(x) is float for x in v) for v in layer[key].values())
        if layer["dead"] is not None:
            assert all(type(u) is int for u in layer["dead"])
    assert [layer["dead"] is None for layer in d["layers"]] == [False, False, True, True, True, True, True]
    assert [layer["saturated"] is None for layer in d["layers"]] == [True, True, False, False, False, False, False]
    assert all(type(c) is int for c in d["classes"])
    json.dumps(d, allow_nan=False)  # plain JSON types only


def test_chunks_and_merges_give_the_whole_batch_numbers(monkeypatch):
    want = reference(X, LAYERS)
    monkeypatch.setattr("nncalc.stats.BLOCK_VALUES", 1)  # blocks of 64 rows inside each chunk
    running = Running(NET)
    for chunk in np.split(X, [1, 8, 700, 2000]):
        running.update(chunk)
    assert_matches(running.result().to_dict(), want)
    left, right = Running(NET), Running(NET)
    left.update(X[:1234])
    right.update(X[1234:])
    assert_matches(left.merge(right).result().to_dict(), want)
    empty = Running(NET)
    assert_matches(empty.merge(Running(NET)).merge(left).result().to_dict(), want)


def test_merge_refuses_other_networks_and_thresholds():
    with pytest.raises(InputError, match="different networks"):
        Running(NET).merge(Running(nncalc.load("two-layer")))
    with pytest.raises(InputError, match="thresholds 0.01 and 0.1"):
        Running(NET).merge(Running(NET, saturation=0.1))


def _identity(width: int) -> nncalc.Network:
    return nncalc.from_arrays([{"weights": np.eye(width), "name": "id"}])


def test_std_of_values_far_from_zero_keeps_its_digits():
    # The textbook E[x²] - E[x]² loses every digit here; Chan's merge does not.
    x = 1e9 + RNG.normal(size=(100_000, 1))
    running = Running(_identity(1))
    for chunk in np.array_split(x, 37):
        running.update(chunk)
    s = running.result().layers[0].z
    np.testing.assert_allclose(s.std, x.std(axis=0), rtol=1e-8)
    np.testing.assert_allclose(s.mean, x.mean(axis=0), rtol=1e-15)


def test_huge_values_give_finite_statistics_without_warnings():
    # Squares of values past 1e154 overflow float64: nncalc scales them first.
    x = np.array([[1.7e308, -1e300, 3.0], [-1.6e308, 1e300, 4.0], [1e308, 5e299, 5.0], [2.0, 1.0, 6.0]])
    scaled = x / np.array([1e308, 1e300, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        running = Running(_identity(3))
        running.update(x[:1])
        running.update(x[1:])
        s = running.result().layers[0].z
    np.testing.assert_allclose(s.std, scaled.std(axis=0) * np.array([1e308, 1e300, 1.0]), rtol=1e-13)
    np.testing.assert_allclose(s.mean, scaled.mean(axis=0) * np.array([1e308, 1e300, 1.0]), rtol=1e-13)
    assert np.isfinite(s.std).all()
    json.dumps(running.result().to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    "activation, units",
    [("sigmoid", 1), ("sigmoid", 3), ("softmax", 3), ("log_softmax", 3), ("linear", 3), ("relu", 2)],
)
def test_classes(activation, units):
    rng = np.random.default_rng(3)
    W = rng.normal(size=(units, 2))
    net = nncalc.from_arrays([{"weights": W, "activation": activation}])
    x = np.vstack([rng.normal(size=(500, 2)), np.zeros((3, 2))])  # z = 0: a = 0.5 exactly
    classes = net.stats(x).to_dict()["classes"]
    z = x @ W.T
    if activation == "sigmoid" and units == 1:
        yes = int((_sigmoid(z[:, 0]) >= 0.5).sum())
        assert classes == [len(x) - yes, yes]
        assert yes >= 3 + int((z[:, 0] > 0).sum())  # the three a = 0.5 count as class 1
        assert net.stats(x).binary
    elif activation in ("sigmoid", "softmax", "log_softmax"):
        assert classes == np.bincount(z.argmax(axis=1), minlength=units).tolist()
        assert not net.stats(x).binary
    else:
        assert classes is None


def test_threshold_must_be_a_derivative():
    for bad in (0, -0.1, 1.5, float("nan"), float("inf"), True, "0.01", None):
        with pytest.raises(InputError, match="saturation threshold must be a number above 0 and at most 1"):
            NET.stats(X, saturation=bad)


def test_inputs_are_checked():
    with pytest.raises(InputError, match="but layer 'hidden' takes 3 inputs"):
        NET.stats(np.ones((4, 2)))
    with pytest.raises(InputError):
        NET.stats(np.ones((0, 3)))
    with pytest.raises(InputError, match="no inputs"):
        Running(NET).result()
    with pytest.raises(InputError, match="must be a 2-D array \\(rows, 3\\), got shape \\(3,\\)"):
        Running(NET).update(np.ones(3))
    with pytest.raises(InputError, match="each input has 2 values, but layer 'hidden' takes 3 inputs"):
        Running(NET).update(np.ones((5, 2)))
    one = NET.stats([1.0, 2.0, 3.0])  # one input, as a vector
    assert one.inputs == 1 and one.to_dict()["layers"][0]["z"]["std"] == [0.0] * 6


def test_repr_is_one_short_line():
    shares = [u for layer in reference(X, LAYERS)["layers"] if layer["saturated"] for u in layer["saturated"]]
    assert repr(NET.stats(X)) == (
        f"<Stats diagnostic: 4,000 inputs, 4 dead units of 10 in ReLU layers, {np.mean(shares):.1%} saturated>"
    )
    assert repr(nncalc.load("two-layer").stats([1, 2])) == "<Stats two-layer network: 1 input, 0 dead units of 3 in ReLU layers>"


def test_notebook_display():
    stats = NET.stats(X)
    bundle = stats._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "text/markdown"}
    assert bundle["text/plain"] == repr(stats)
    assert bundle["text/html"].startswith("<pre")
    assert "layer hidden: 3 of 6 ReLU units never fired on 4,000 inputs" in bundle["text/html"]
    md = bundle["text/markdown"]
    assert "## diagnostic: statistics over 4,000 inputs" in md
    assert "layer hidden: 3 of 6 ReLU units never fired on 4,000 inputs." in md
    assert "| unit | dead | zeros |  | min | mean | std | max |" in md


def test_library_stats_stays_off_rich_and_typer():
    code = (
        "import sys, nncalc\n"
        "s = nncalc.load('two-layer').stats([[1, 2], [0, 0]])\n"
        "s.to_dict(); repr(s)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'typer', 'click')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------ the layer verdicts


def _wide(dead_units: list[int], inputs: int = 10_000) -> tuple[nncalc.Network, np.ndarray]:
    rng = np.random.default_rng(5)
    W = rng.normal(size=(128, 4))
    b = np.zeros(128)
    W[dead_units], b[dead_units] = 0.0, -1.0
    net = nncalc.from_arrays(
        [
            {"name": "hidden", "weights": W, "bias": b, "activation": "relu"},
            {"name": "probs", "weights": rng.normal(size=(3, 128)), "activation": "softmax"},
        ],
        name="wide",
    )
    return net, rng.normal(size=(inputs, 4))


DEAD = sorted(np.random.default_rng(1).choice(128, size=22, replace=False).tolist())


def _table(stats, show_all=False) -> str:
    from nncalc.render.stats import stats_tables, view

    buf = io.StringIO()
    stats_tables(Console(width=100, file=buf, color_system=None), view(stats, show_all))
    return buf.getvalue()


def test_verdict_counts_dead_units_and_lists_them_first():
    net, x = _wide(DEAD)
    stats = net.stats(x)
    assert stats.layers[0].dead.tolist() == [u + 1 for u in DEAD]
    text = _table(stats)
    assert "layer hidden: 22 of 128 ReLU units never fired on 10,000 inputs" in text
    rows = [line for line in text.splitlines() if line.startswith("│") and "dead" in line]
    assert len(rows) == 16  # 16 worst shown of 128, all dead
    assert {int(r.split("│")[1]) for r in rows} <= {u + 1 for u in DEAD}
    assert "112 more units (--all shows every unit)" in text
    full = _table(stats, show_all=True)
    assert sum(1 for line in full.splitlines() if "│ dead │" in line) == 22
    assert "more units" not in full


def test_verdicts_of_each_kind():
    from nncalc.render.stats import view

    v = view(NET.stats(X))
    verdicts = {layer.title.split(":")[1].split("(")[0].strip(): layer.verdict for layer in v.layers}
    assert verdicts["hidden"] == "layer hidden: 3 of 6 ReLU units never fired on 4,000 inputs"
    assert verdicts["leaky"] == "layer leaky: 1 of 4 leaky ReLU units never fired on 4,000 inputs"
    assert verdicts["squash"].startswith("layer squash: sigmoid units saturated (derivative below 0.01) on ")
    assert verdicts["squash"].endswith("; 2 of 5 saturated on every input")
    # Worst first: the two always-saturated units, then by share.
    squash = next(layer for layer in v.layers if "squash" in layer.title)
    assert [r.unit for r in squash.rows][:2] == [1, 5] and squash.rows[-1].unit == 2
    assert [r.state for r in squash.rows][:2] == ["100%", "100%"] and squash.rows[-1].state == "0%"
    assert v.classes is not None and "never chosen: 1 of 4 units" in v.classes.verdict
    healthy = view(nncalc.load("two-layer").stats([[1, 2]]))
    assert healthy.layers[0].verdict == "layer hidden: no dead units: each of 3 ReLU units fired on the one input"
    two = view(nncalc.load("two-layer").stats([[1, 2], [3, 4]]))
    assert two.layers[0].verdict == "layer hidden: no dead units: each of 3 ReLU units fired on at least one of 2 inputs"
    assert healthy.layers[1].verdict == "layer output: ranges only (linear is not checked for dead or saturated units)"


# ---------------------------------------------------------------------------- the CLI


@pytest.fixture
def net_file(tmp_path):
    spec = {
        "name": "diagnostic",
        "layers": [
            {**layer, "weights": np.asarray(layer["weights"]).tolist(), **({"bias": np.asarray(layer["bias"]).tolist()} if "bias" in layer else {})}
            for layer in LAYERS
        ],
    }
    path = tmp_path / "net.json"
    path.write_text(json.dumps(spec))
    return str(path)


def _csv(tmp_path, rows: np.ndarray, name: str = "x.csv", header: bool = True) -> str:
    path = tmp_path / name
    lines = (["x1,x2,x3"] if header else []) + [",".join(map(repr, r)) for r in rows.tolist()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_cli_json_streams_chunks_and_matches_numpy(run, tmp_path, net_file, monkeypatch):
    monkeypatch.setattr("nncalc.inputs.CHUNK_ROWS", 300)  # 14 chunks
    data = _csv(tmp_path, X)
    result = run("stats", net_file, "--inputs", data, "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert_matches(json.loads(result.stdout), reference(X, LAYERS))


def test_cli_inputs_from_several_sources(run, tmp_path, net_file):
    a, b = _csv(tmp_path, X[:1000], "a.csv"), tmp_path / "b.npy"
    np.save(b, X[1000:2500])
    result = run("stats", net_file, "--input", ",".join(map(repr, X[2500].tolist())), "--inputs", a, "--inputs", str(b), "--json")
    assert result.exit_code == 0, result.output
    both = np.vstack([X[2500:2501], X[:2500]])
    assert_matches(json.loads(result.stdout), reference(both, LAYERS))


def test_cli_reads_standard_input(run):
    result = run("stats", "two-layer", "--inputs", "-", "--json", input="2,0\n0,0\n1,0\n")
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["inputs"] == 3 and d["layers"][0]["dead"] == [3]
    np.testing.assert_allclose(d["layers"][1]["z"]["mean"], [(0.27 + 0.17 + 0.25) / 3], rtol=1e-14)


@pytest.mark.parametrize("threshold", ["0.001", "0.2", "1"])
def test_cli_saturation(run, tmp_path, net_file, threshold):
    result = run("stats", net_file, "--inputs", _csv(tmp_path, X[:500]), "--saturation", threshold, "--json")
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    want = reference(X[:500], LAYERS, float(threshold))
    assert [layer["saturated"] for layer in got["layers"]] == [layer["saturated"] for layer in want["layers"]]


def test_cli_table_and_markdown(run, tmp_path, net_file):
    data = _csv(tmp_path, X)
    table = run("stats", net_file, "--inputs", data)
    assert table.exit_code == 0, table.output
    assert "layer hidden: 3 of 6 ReLU units never fired on 4,000 inputs" in table.stdout
    assert "Layer 3: squash (4 → 5, sigmoid)" in table.stdout
    md = run("stats", net_file, "--inputs", data, "-f", "markdown")
    assert md.exit_code == 0, md.output
    assert "### Layer 3: squash (4 → 5, sigmoid)" in md.stdout
    assert "### Classes of layer out: the unit with the largest a" in md.stdout
    assert run("stats", net_file, "--inputs", data, "--format", "json").stdout == run("stats", net_file, "--inputs", data, "--json").stdout


def test_cli_spec_input_by_default(run):
    result = run("stats", "two-layer", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["inputs"] == 1


def test_table_golden(run, update_golden):
    args = ("stats", "two-layer", "-i", "2,0", "-i", "0,0", "-i", "1,0", "-i", "1,-2")
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert_golden("stats-two-layer.txt", result.stdout, update_golden)
    md = run(*args, "--format", "markdown")
    assert_golden("stats-two-layer.md", md.stdout, update_golden)


def test_binary_classes_in_the_table(run, spec_file):
    path = spec_file("layers:\n  - {name: p, weights: [[1, -1]], activation: sigmoid}\n")
    result = run("stats", path, "-i", "1,0", "-i", "0,0", "-i", "0,1", "-i", "0,3")
    assert result.exit_code == 0, result.output
    assert "Classes of layer p: 0 when a < 0.5, 1 when a ≥ 0.5" in result.stdout
    d = json.loads(run("stats", path, "-i", "1,0", "-i", "0,0", "-i", "0,1", "-i", "0,3", "--json").stdout)
    assert d["classes"] == [2, 2]  # z = 1, 0 | -1, -3: a = 0.5 counts as class 1


BAD = [
    ("empty file", "", "x.csv: has no inputs"),
    ("header only", "x1,x2,x3\n", "x.csv: has no inputs"),
    ("bad row", "1,2,3\n4,5\n", "x.csv:2: expected 3 values, got 2"),
    ("not a number", "1,2,3\n4,five,6\n", "x.csv:2:3: 'five' is not a number"),
    ("nan", "1,2,3\nnan,1,1\n", "x.csv:2:"),
    ("too large", "1,1,1\n1e999,1,1\n", "x.csv:2:1: '1e999' is too large for float64"),
]


@pytest.mark.parametrize("case, content, message", BAD, ids=[b[0] for b in BAD])
def test_cli_bad_files(run, tmp_path, net_file, case, content, message):
    path = tmp_path / "x.csv"
    path.write_text(content)
    assert_one_error(run("stats", net_file, "--inputs", str(path)), message)


def test_cli_hostile_inputs(run, tmp_path, net_file):
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("x1,x2,caf\xe9\n1,2,3\n".encode("latin-1"))
    assert_one_error(run("stats", net_file, "--inputs", str(latin1)), "not UTF-8 text")
    junk = tmp_path / "junk.npy"
    junk.write_bytes(b"\x93NUMPY\x01\x00garbage")
    assert_one_error(run("stats", net_file, "--inputs", str(junk)), "junk.npy: has a .npy header of")
    assert_one_error(run("stats", net_file, "--inputs", str(tmp_path)), "not a file")
    assert_one_error(run("stats", net_file, "--inputs", str(tmp_path / "missing.csv")), "no such file")
    empty = run("stats", "two-layer", "--inputs", "-", input="")
    assert_one_error(empty, "<stdin>: has no inputs")
    # Finite inputs whose z overflows: named, not warned about.
    huge = tmp_path / "huge.csv"
    huge.write_text("1,1\n1e308,1e308\n")
    big = tmp_path / "big.yaml"
    big.write_text("layers:\n  - {name: h, weights: [[10, 10]], activation: tanh}\n")
    assert_one_error(run("stats", str(big), "--inputs", str(huge)), "layer 'h', unit 1: z = Wx + b overflows float64 for input 2")


def test_cli_huge_but_finite_values(run, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("1e300,-1e300\n-1e300,2e300\n3,4\n")
    result = run("stats", "two-layer", "--inputs", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    d = json.loads(result.stdout)
    x = np.array([[1e300, -1e300], [-1e300, 2e300], [3, 4]])
    z = x @ np.array([[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]]).T + [0.1, -0.2, 0.0]
    np.testing.assert_allclose(d["layers"][0]["z"]["std"], (z / 1e300).std(axis=0) * 1e300, rtol=1e-12)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--saturation", "0"], "--saturation '0': expected a derivative above 0 and at most 1"),
        (["--saturation", "5"], "--saturation '5': expected a derivative above 0 and at most 1"),
        (["--saturation", "-0.1"], "--saturation '-0.1'"),
        (["--saturation", "nan"], "--saturation 'nan': 'nan' is not a finite number"),
        (["--saturation", "abc"], "--saturation 'abc': 'abc' is not a number"),
        (["--saturation", ""], "--saturation '': a value is empty"),
        (["--format", "csv"], "--format 'csv': expected one of table, json, markdown"),
        (["--format", "markdwn"], "did you mean 'markdown'?"),
        (["--format", "table", "--json"], "--format table and --json ask for different formats"),
        (["--input-format", "xml", "--inputs", "-"], "--input-format 'xml': expected one of"),
        (["--input", "1,2,3"], "--input '1,2,3' has 3 values, but layer 'hidden' takes 2 inputs"),
        (["--inputs", "-", "--inputs", "-"], "--inputs - is given twice"),
    ],
)
def test_cli_option_errors(run, args, message):
    assert_one_error(run("stats", "two-layer", *args), message)


def test_cli_spec_errors(run, spec_file):
    assert_one_error(run("stats", "-", "--inputs", "-", input="layers: []\n"), "standard input can hold the spec or the inputs, not both")
    assert_one_error(run("stats", spec_file("layers:\n  - weights: [[1, 2]]\n")), "no input given: pass --input with 2 numbers")
    assert_one_error(run("stats", "nope"), "nope")


def test_cli_help_lists_the_command(run):
    result = run("--help")
    assert "stats" in result.stdout
    help_text = run("stats", "--help").stdout
    for option in ("--inputs", "--saturation", "--format", "--json", "--precision", "--all"):
        assert option in help_text
