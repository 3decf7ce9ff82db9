"""Batches at scale: input files and stdin, CSV and NDJSON output, weights from files.

Expected outputs come from the seed's Example 2 network written out in NumPy here.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.test_errors import assert_one_error

W1 = np.array([[0.2, -0.1], [0.4, 0.3], [-0.5, 0.6]])
B1 = np.array([0.1, -0.2, 0.0])
W2 = np.array([[0.7, -0.3, 0.5]])
B2 = np.array([0.1])


def _dense(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    # Each z summed left to right, as written by hand: (w1 x1 + w2 x2 + ...) + b.
    return np.array([[sum(w * x for w, x in zip(row, xs)) + bi for row, bi in zip(W, b)] for xs in X])


def two_layer(X: np.ndarray) -> np.ndarray:
    return _dense(np.maximum(_dense(np.asarray(X, dtype=float), W1, B1), 0), W2, B2)


ROWS = np.array([[1.0, 2.0], [-3.0, 4.0], [0.5, -0.25], [1e-3, 2e2]])


# A number in a JSON list: after "[" or ", ", before "," or "]" (never inside a name).
NUMBER_IN_LIST = re.compile(r"(?<=[\[ ])-?[0-9][0-9.eE+-]*(?=[,\]])")


def assert_json_lines(text: str, records: list) -> None:
    """``text`` is one JSON line per record, laid out as json.dumps lays it out, each
    number reading back to exactly the record's float (only its form may differ: 1e16
    for 1e+16)."""
    lines = text.split("\n")
    assert lines.pop() == "" and len(lines) == len(records)
    for line, record in zip(lines, records):
        want = json.dumps(record, ensure_ascii=False)
        # repr tells every float apart, -0.0 from 0.0 too
        assert json.dumps(json.loads(line), ensure_ascii=False) == want
        assert NUMBER_IN_LIST.sub(lambda m: repr(float(m[0])), line) == want


def csv_out(result) -> np.ndarray:
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "output_1"
    return np.array([[float(v) for v in line.split(",")] for line in lines[1:]])


def write(tmp_path, name: str, content) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return str(path)


def npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


FILES = {
    "rows.csv": "x1,x2\n1,2\n-3,4\n# a comment\n0.5,-0.25\n\n1e-3,2E2\n",
    "rows.tsv": "1\t2\n-3\t4\n0.5\t-0.25\n.001\t200\n",
    "rows.json": "[[1, 2], [-3, 4], [0.5, -0.25], [0.001, 200]]",
    "rows.ndjson": "[1, 2]\n[-3, 4]\n[0.5, -0.25]\n[1e-3, 200]\n",
    "rows.jsonl": "[1, 2]\n[-3, 4]\n[0.5, -0.25]\n[1e-3, 200]\n",
    "rows.npy": npy_bytes(ROWS),
}


@pytest.mark.parametrize("name", FILES)
def test_each_input_format(run, tmp_path, name):
    path = write(tmp_path, name, FILES[name])
    np.testing.assert_allclose(csv_out(run("forward", "two-layer", "--inputs", path, "--csv")), two_layer(ROWS), rtol=1e-15)


@pytest.mark.parametrize("name", FILES)
def test_stdin_is_sniffed(run, name):
    content = FILES[name]
    result = run("forward", "two-layer", "--inputs", "-", "--csv", input=content)
    np.testing.assert_allclose(csv_out(result), two_layer(ROWS), rtol=1e-15)


@pytest.mark.parametrize("fmt, content", [("tsv", FILES["rows.tsv"]), ("ndjson", FILES["rows.ndjson"])])
def test_input_format_overrides_the_suffix(run, tmp_path, fmt, content):
    path = write(tmp_path, "rows.data", content)
    result = run("forward", "two-layer", "--inputs", path, "--input-format", fmt, "--csv")
    np.testing.assert_allclose(csv_out(result), two_layer(ROWS), rtol=1e-15)


def test_unknown_suffix_is_sniffed(run, tmp_path):
    path = write(tmp_path, "rows.txt", "1 , 2\n-3, 4\n")
    np.testing.assert_allclose(csv_out(run("forward", "two-layer", "--inputs", path, "--csv")), two_layer(ROWS[:2]), rtol=1e-15)


def test_header_only_when_the_first_row_is_a_line_of_names(run, tmp_path):
    with_header = write(tmp_path, "a.csv", "a,b\n1,2\n")
    without = write(tmp_path, "b.csv", "1,2\n3,4\n")
    assert len(csv_out(run("forward", "two-layer", "--inputs", with_header, "--csv"))) == 1
    assert len(csv_out(run("forward", "two-layer", "--inputs", without, "--csv"))) == 2


@pytest.mark.parametrize(
    "name, content, where, message",
    [
        ("bad.csv", "1,2\n3,4\n5,6,7\n8,9\n", "bad.csv:3", "expected 2 values, got 3"),
        ("bad.csv", "x,y\n1,2\n3,a\n", "bad.csv:3:3", "'a' is not a number"),
        ("bad.csv", "1,2\nnan,1\n", "bad.csv:2:1", "'nan' is not a finite number"),
        ("bad.csv", "1,2\n3,\n", "bad.csv:2:3", "a value is empty"),
        ("bad.tsv", "1\t2\n3\t4\t5\n", "bad.tsv:2", "expected 2 values, got 3"),
        ("bad.ndjson", "[1, 2]\n[1, true]\n", "bad.ndjson:2", "'true' is not a number"),
        ("bad.ndjson", "[1, 2]\n{\"a\": 1}\n", "bad.ndjson:2", "expected a list of 2 numbers"),
        ("bad.ndjson", "[1, 2]\n[1, NaN]\n", "bad.ndjson:2", "not a finite number"),
        ("bad.json", "[[1, 2], [3]]", "bad.json:1:10", "input 2: expected 2 values, got 1"),
        ("bad.json", "[[1, 2], [3, true]]", "bad.json:1:10", "input 2: value 2: true is not a number"),
        ("bad.json", "[[1, 2],", "bad.json:1:9", "not JSON: the document ends before its list is closed"),
    ],
)
def test_bad_rows_name_file_and_line(run, tmp_path, name, content, where, message):
    path = write(tmp_path, name, content)
    result = run("forward", "two-layer", "--inputs", path, "--csv")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {tmp_path}/{where}: ") and message in line, line
    assert "Traceback" not in result.output


def test_rows_before_a_bad_row_stay_valid_output(run, tmp_path):
    good = np.arange(20.0).reshape(10, 2)
    rows = "\n".join(f"{a},{b}" for a, b in good) + "\n1,2,3\n4,5\n"
    result = run("forward", "two-layer", "--inputs", write(tmp_path, "r.csv", rows), "--csv")
    assert result.exit_code == 1
    printed = np.array([float(v) for v in result.stdout.splitlines()[1:]])
    np.testing.assert_allclose(printed, two_layer(good)[:, 0], rtol=1e-15)
    assert "r.csv:11: expected 2 values, got 3" in result.stderr


def test_npy_refuses_pickled_objects(run, tmp_path):
    path = tmp_path / "obj.npy"
    np.save(path, np.array([[1, "a"]], dtype=object), allow_pickle=True)
    assert_one_error(run("forward", "two-layer", "--inputs", str(path), "--csv"), "refuses to load")


def test_npy_shape_and_values(run, tmp_path):
    wrong = tmp_path / "w.npy"
    np.save(wrong, np.ones((3, 5)))
    assert_one_error(run("forward", "two-layer", "--inputs", str(wrong)), "has shape (3, 5); expected (rows, 2)")
    bad = tmp_path / "n.npy"
    np.save(bad, np.array([[1.0, 2.0], [np.inf, 1.0]]))
    assert "row 2, value 1 is not a finite number" in run("forward", "two-layer", "--inputs", str(bad), "--csv").stderr


def test_missing_input_file(run):
    assert_one_error(run("forward", "two-layer", "--inputs", "nope.csv"), "error: nope.csv: no such file")


def test_input_and_inputs_combine_in_order(run, tmp_path):
    path = write(tmp_path, "r.csv", "-3,4\n0.5,-0.25\n")
    result = run("forward", "two-layer", "--input", "1,2", "--inputs", path, "--inputs", path, "--json", "--outputs-only")
    recs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["input"] for r in recs] == [[1, 2], [-3, 4], [0.5, -0.25], [-3, 4], [0.5, -0.25]]


def test_csv_header_and_no_header(run):
    assert run("forward", "two-layer", "--csv").stdout == "output_1\n0.28\n"
    assert run("forward", "two-layer", "--csv", "--no-header").stdout == "0.28\n"


def test_csv_full_round_trip_precision(run, tmp_path):
    X = np.random.default_rng(5).normal(size=(50, 2))
    path = tmp_path / "x.npy"
    np.save(path, X)
    got = csv_out(run("forward", "two-layer", "--inputs", str(path), "--csv"))
    # Every printed value reads back to exactly the float NumPy computes (same operations).
    np.testing.assert_array_equal(got, two_layer(X))


def test_csv_header_names_every_output_unit(run, spec_file):
    path = spec_file("input: [1]\nlayers:\n  - {name: probs, activation: softmax, weights: [[1], [2], [3]]}\n")
    assert run("forward", path, "--csv").stdout.splitlines()[0] == "probs_1,probs_2,probs_3"


def test_outputs_only_and_full_json(run, tmp_path):
    path = write(tmp_path, "r.csv", "1,2\n-3,4\n")
    slim = [json.loads(x) for x in run("forward", "two-layer", "--inputs", path, "--json", "--outputs-only").stdout.splitlines()]
    full = [json.loads(x) for x in run("forward", "two-layer", "--inputs", path, "--json").stdout.splitlines()]
    assert [list(r) for r in slim] == [["input", "output"]] * 2
    assert [r["output"] for r in slim] == [r["output"] for r in full]
    np.testing.assert_allclose([r["output"] for r in full], two_layer([[1, 2], [-3, 4]]), rtol=1e-15)


def test_large_batch_table_shows_the_first_inputs_only(run, tmp_path):
    path = write(tmp_path, "r.csv", "\n".join(f"{i},{i}" for i in range(1000)) + "\n")
    out = run("forward", "two-layer", "--inputs", path).stdout
    assert out.count("Output = ") == 5
    assert "Input 1 of 1,000" in out
    assert "… and 995 more inputs" in out


def test_streaming_many_rows(run, tmp_path):
    n = 300_000
    X = np.random.default_rng(2).normal(size=(n, 2))
    path = tmp_path / "big.csv"
    np.savetxt(path, X, delimiter=",", header="a,b", comments="")
    result = run("forward", "two-layer", "--inputs", str(path), "--csv", "--no-header")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == n
    sample = np.r_[0:5, 65530:65542, n - 5 : n]  # around a chunk boundary too
    want = two_layer(np.loadtxt(path, delimiter=",", skiprows=1)[sample])[:, 0]
    np.testing.assert_allclose([float(lines[i]) for i in sample], want, rtol=1e-15)


def test_spec_and_inputs_cannot_both_be_stdin(run):
    assert_one_error(run("forward", "-", "--inputs", "-"), "standard input can hold the spec or the inputs, not both")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--json", "--csv"], "choose one of --json and --csv"),
        (["--no-header"], "--no-header goes with --csv (the output here is table)"),
        (["--json", "--no-header"], "--no-header goes with --csv (the output here is json)"),
        (["--csv", "--outputs-only"], "--outputs-only goes with --json (the output here is csv)"),
        (["--inputs", "x.csv", "--input-format", "xls"], "--input-format 'xls': expected one of csv, tsv, npy, json, ndjson"),
    ],
)
def test_option_errors(run, args, message):
    assert_one_error(run("forward", "two-layer", *args), message)


def test_closed_pipe_ends_quietly(tmp_path):
    exe = shutil.which("nncalc")
    if exe is None:
        pytest.skip("nncalc is not installed on PATH")
    path = tmp_path / "big.npy"
    np.save(path, np.ones((400_000, 2)))
    proc = subprocess.run(f"{exe} forward two-layer --inputs {path} --csv | head -n 3", shell=True, capture_output=True, text=True)
    y = repr(float(two_layer([[1.0, 1.0]])[0, 0]))
    assert proc.stdout.splitlines() == ["output_1", y, y]
    assert proc.stderr == ""


# -- weights from files


@pytest.fixture
def weight_dir(tmp_path):
    d = tmp_path / "model"
    d.mkdir()
    np.save(d / "w1.npy", W1)
    np.savez(d / "model.npz", **{"fc2.weight": W2, "fc2.bias": B2})
    (d / "b1.csv").write_text("0.1,-0.2,0.0\n")
    (d / "w1.csv").write_text("0.2,-0.1\n0.4,0.3\n-0.5,0.6\n")
    return d


SPEC_FROM_FILES = """\
input: [1, 2]
layers:
  - name: hidden
    activation: relu
    weights: {file: WEIGHTS}
    bias: {file: b1.csv}
  - name: output
    weights: {file: model.npz, key: fc2.weight}
    bias: {file: model.npz, key: fc2.bias}
"""


@pytest.mark.parametrize("weights", ["w1.npy", "w1.csv"])
def test_weights_from_files(run, weight_dir, weights):
    spec = weight_dir / "net.yaml"
    spec.write_text(SPEC_FROM_FILES.replace("WEIGHTS", weights))
    rec = json.loads(run("forward", str(spec), "--json").stdout)
    assert rec["output"] == pytest.approx([0.28], abs=1e-15)  # the seed's Example 2
    summary = json.loads(run("validate", str(spec), "--json").stdout)
    assert [(l["weights_from"], l["bias_from"]) for l in summary["layers"]] == [
        (weights, "b1.csv"),
        ("model.npz[fc2.weight]", "model.npz[fc2.bias]"),
    ]
    assert "model.npz[fc2.weight]" in run("validate", str(spec), env={"COLUMNS": "200"}).stdout


@pytest.mark.parametrize(
    "weights, fragments",
    [
        ("../w1.npy", ["'../w1.npy' leaves the spec's folder"]),
        ("/etc/passwd", ["'/etc/passwd' is an absolute path"]),
        ("obj.npy", ["obj.npy", "holds Python objects", "which nncalc refuses to load"]),
        ("missing.npy", ["missing.npy", "no such file"]),
        ("wide.npy", ["weights from wide.npy have shape (3,)"]),
        ("w.txtx", ["weight files must be .npy, .npz, .csv or .tsv"]),
    ],
)
def test_weight_file_refusals(run, weight_dir, weights, fragments):
    np.save(weight_dir / "obj.npy", np.array([[1, "a"]], dtype=object), allow_pickle=True)
    np.save(weight_dir / "wide.npy", np.ones(3))
    np.save(weight_dir.parent / "w1.npy", W1)
    spec = weight_dir / "net.yaml"
    spec.write_text(SPEC_FROM_FILES.replace("WEIGHTS", weights))
    assert_one_error(run("forward", str(spec)), f"{spec}:5:", *fragments)


def test_outside_paths_allowed_on_request(run, weight_dir):
    np.save(weight_dir.parent / "shared.npy", W1)
    spec = weight_dir / "net.yaml"
    spec.write_text(SPEC_FROM_FILES.replace("WEIGHTS", "../shared.npy"))
    assert run("forward", str(spec)).exit_code == 1
    rec = json.loads(run("forward", str(spec), "--json", "--allow-outside-paths").stdout)
    assert rec["output"] == pytest.approx([0.28], abs=1e-15)


@pytest.mark.parametrize(
    "old, new, fragments",
    [
        ("key: fc2.weight", "key: fc2.wieght", ["model.npz", "has no array 'fc2.wieght'", "its arrays: fc2.weight, fc2.bias"]),
        ("{file: model.npz, key: fc2.weight}", "{file: w1.npy}", ["weights from w1.npy have 2 columns, but layer 'hidden' has 3 units"]),
        ("{file: b1.csv}", "{file: model.npz, key: fc2.bias}", ["bias from model.npz[fc2.bias] has 1 value, but weights from w1.npy have 3 rows"]),
        ("{file: WEIGHTS}", "{file: model.npz}", ["model.npz", "holds several arrays; pick one with 'key'"]),
        ("{file: b1.csv}", "{file: b1.csv, key: x}", ["'key' picks an array of an .npz or .safetensors file"]),
    ],
)
def test_weight_file_shape_errors_name_file_and_key(run, weight_dir, old, new, fragments):
    spec = weight_dir / "net.yaml"
    spec.write_text(SPEC_FROM_FILES.replace(old, new).replace("WEIGHTS", "w1.npy"))
    assert_one_error(run("forward", str(spec)), *fragments)


@pytest.mark.parametrize("seed", range(4))
def test_fast_ndjson_is_json_dumps_with_every_value_exact(seed):
    """The block-wise NDJSON writer against the json module, record by record."""
    from nncalc.activations import get
    from nncalc.engine import forward
    from nncalc.network import Layer, Network
    from nncalc.render.data import trace_lines

    rng = np.random.default_rng(seed)
    names = ['h "1"', "50% ünits", "out\\put"]
    acts = [get("leaky_relu", alpha=0.2), get("tanh"), get("softmax")]
    sizes = [3, 4, 2, 3]
    net = Network(tuple(
        Layer(n, rng.normal(size=(o, i)), rng.normal(size=o), a)
        for n, a, i, o in zip(names, acts, sizes, sizes[1:])
    ))
    X = rng.normal(size=(50, 3)) * 10.0 ** rng.integers(-30, 30, size=(50, 1))
    X[0, 0] = -0.0
    trace = forward(net, X)
    # The records as the README documents them, built here, one input at a time.
    records = []
    for i in range(len(X)):
        layers = []
        for layer, lt in zip(net.layers, trace.layers):
            entry = {"name": layer.name, "activation": layer.activation.name}
            if layer.activation.params:
                entry["params"] = dict(layer.activation.params)
            layers.append({**entry, "z": lt.z[i].tolist(), "a": lt.a[i].tolist()})
        records.append({"input": X[i].tolist(), "layers": layers, "output": trace.output[i].tolist()})
    assert_json_lines(trace_lines(net, trace), records)


def test_ndjson_stops_at_the_bad_line(run, tmp_path):
    path = write(tmp_path, "r.ndjson", '[1, 2]\n{"a": 1}\n[3, 4]\n[5, 6]\n')
    result = run("forward", "two-layer", "--inputs", path, "--csv", "--no-header")
    assert result.exit_code == 1
    np.testing.assert_allclose([float(v) for v in result.stdout.split()], two_layer([[1, 2]])[:, 0], rtol=1e-15)
    assert "r.ndjson:2:" in result.stderr


def test_ndjson_line_numbers_past_the_first_chunk(run, tmp_path):
    lines = ["[1, 2]\n"] * 70_000
    lines[-1] = '{"a": 1}\n'  # line 70,000, in the second chunk of 65,536 lines
    path = write(tmp_path, "long.ndjson", "".join(lines))
    result = run("forward", "two-layer", "--inputs", path, "--csv", "--no-header")
    assert result.stderr.splitlines() == [f"error: {path}:70000: expected a list of 2 numbers, like [1, 2], got an object: '{{\"a\": 1}}'"]
    assert len(result.stdout.splitlines()) == 69_999


# -- chunks sized by values


def test_regroup_keeps_every_row_in_order():
    from nncalc.batches import regroup

    rng = np.random.default_rng(6)
    X = rng.normal(size=(10_000, 3))
    cuts = np.sort(rng.integers(0, len(X), size=40))
    pieces = np.split(X, cuts)  # some empty, some long
    for rows in (1, 7, 256, 5000, 20_000):
        out = list(regroup(iter(pieces), rows))
        assert all(len(c) == rows for c in out[:-1]) and 0 < len(out[-1]) <= rows
        np.testing.assert_array_equal(np.concatenate(out), X)


def test_regroup_yields_the_rows_before_an_error_first():
    from nncalc.batches import regroup
    from nncalc.errors import InputError

    def chunks():
        yield np.ones((3, 2))
        yield np.zeros((2, 2))
        raise InputError("bad row", source="in.csv", line=6)

    got = []
    with pytest.raises(InputError, match="bad row"):
        for c in regroup(chunks(), 100):
            got.append(c)
    assert np.concatenate(got).tolist() == [[1, 1]] * 3 + [[0, 0]] * 2


@pytest.mark.parametrize("keep", ["trace", "inputs", "outputs"])
@pytest.mark.parametrize("sizes", [(784, 512, 256, 10), (2, 3, 1), (1, 5000, 5000, 1)])
def test_chunks_are_sized_by_memory(keep, sizes):
    """About CHUNK_BYTES of values and text a chunk; more, up to MAX_CHUNK_BYTES, only to
    reach MIN_ROWS rows."""
    from nncalc import batches as b
    from nncalc.network import build_network

    net = build_network([{"weights": np.zeros((o, i))} for i, o in zip(sizes, sizes[1:])])
    held = trace = sizes[0] + 2 * sum(sizes[1:]) + sizes[-1]
    written = {"trace": trace, "inputs": sizes[0] + sizes[-1], "outputs": sizes[-1]}[keep]
    per_row = 8 * held + b.TEXT_BYTES * written
    rows = b.chunk_rows(net, keep)
    assert rows * per_row <= max(b.CHUNK_BYTES, min(b.MIN_ROWS * per_row, b.MAX_CHUNK_BYTES)) or rows == 1
    assert (rows + 1) * per_row > b.CHUNK_BYTES
    with pytest.raises(ValueError, match="expected one of trace, inputs, outputs"):
        b.chunk_rows(net, "everything")


@pytest.mark.parametrize("keep", ["trace", "inputs", "outputs"])
def test_batches_of_files_are_the_files_rows(tmp_path, keep):
    from nncalc.batches import batches, chunk_rows
    from nncalc.spec import load_spec

    net = load_spec("two-layer")
    X = np.round(np.random.default_rng(3).normal(size=(70_000, 2)), 5)
    path = tmp_path / "x.csv"
    path.write_text("".join(f"{a!r},{b!r}\n" for a, b in X.tolist()))
    vectors = np.array([[1.0, 2.0]])
    out = list(batches(net, vectors, [str(path), str(path)], keep=keep))
    assert all(len(c) == chunk_rows(net, keep) for c in out[:-1])
    np.testing.assert_array_equal(np.concatenate(out), np.concatenate([vectors, X, X]))
