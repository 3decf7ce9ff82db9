"""Whole tables compared with tests/golden/*.txt (``pytest --update-golden`` rewrites them).

Read the diff before accepting one: these are what users see. The goldens named without
``.steps`` are the compact form (``--brief``), unchanged since before activations were
worked out; the ``.steps`` goldens are the default, each activation's formula evaluated.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

from nncalc.engine import forward
from nncalc.render.table import forward_tables, summary_table
from nncalc.spec import example_names, load_spec, parse_spec
from tests.conftest import assert_golden


def console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(width=100, file=buf, color_system=None), buf


def golden_name(name: str, brief: bool) -> str:
    return name if brief else name.replace(".", ".steps.", 1)


BRIEF = pytest.mark.parametrize("brief", [True, False], ids=["brief", "steps"])


@BRIEF
@pytest.mark.parametrize("name", example_names())
def test_example_tables(name, brief, update_golden):
    net = load_spec(name)
    c, buf = console()
    forward_tables(c, net, forward(net, net.input), brief=brief)
    assert_golden(golden_name(f"forward-{name}.txt", brief), buf.getvalue(), update_golden)


@BRIEF
def test_batch_and_leaky_relu(brief, update_golden):
    net = parse_spec(
        "layers:\n"
        "  - name: hidden\n    activation: {name: leaky_relu, alpha: 0.1}\n"
        "    weights: [[1, -1], [0.5, 2]]\n    bias: [0, -1]\n"
        "  - name: probs\n    activation: softmax\n    weights: [[1, 0], [0, 1]]\n"
    )
    c, buf = console()
    forward_tables(c, net, forward(net, np.array([[1.0, 2.0], [-3.0, 0.25]])), precision=6, brief=brief)
    assert_golden(golden_name("forward-batch.txt", brief), buf.getvalue(), update_golden)


@BRIEF
def test_large_layer(brief, update_golden):
    rng = np.random.default_rng(0)
    W = np.round(rng.normal(size=(40, 12)), 2)
    net = parse_spec(f"layers:\n  - name: wide\n    activation: tanh\n    weights: {W.tolist()}\n")
    c, buf = console()
    forward_tables(c, net, forward(net, np.ones(12)), precision=4, brief=brief)
    assert_golden(golden_name("forward-large.txt", brief), buf.getvalue(), update_golden)


def test_summary(update_golden):
    c, buf = console()
    summary_table(c, load_spec("two-layer"))
    assert_golden("validate-two-layer.txt", buf.getvalue(), update_golden)
