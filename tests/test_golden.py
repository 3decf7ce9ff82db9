"""Whole tables compared with tests/golden/*.txt (``pytest --update-golden`` rewrites them).

Read the diff before accepting one: these are what users see.
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


@pytest.mark.parametrize("name", example_names())
def test_example_tables(name, update_golden):
    net = load_spec(name)
    c, buf = console()
    forward_tables(c, net, forward(net, net.input))
    assert_golden(f"forward-{name}.txt", buf.getvalue(), update_golden)


def test_batch_and_leaky_relu(update_golden):
    net = parse_spec(
        "layers:\n"
        "  - name: hidden\n    activation: {name: leaky_relu, alpha: 0.1}\n"
        "    weights: [[1, -1], [0.5, 2]]\n    bias: [0, -1]\n"
        "  - name: probs\n    activation: softmax\n    weights: [[1, 0], [0, 1]]\n"
    )
    c, buf = console()
    forward_tables(c, net, forward(net, np.array([[1.0, 2.0], [-3.0, 0.25]])), precision=6)
    assert_golden("forward-batch.txt", buf.getvalue(), update_golden)


def test_large_layer(update_golden):
    rng = np.random.default_rng(0)
    W = np.round(rng.normal(size=(40, 12)), 2)
    net = parse_spec(f"layers:\n  - name: wide\n    activation: tanh\n    weights: {W.tolist()}\n")
    c, buf = console()
    forward_tables(c, net, forward(net, np.ones(12)), precision=4)
    assert_golden("forward-large.txt", buf.getvalue(), update_golden)


def test_summary(update_golden):
    c, buf = console()
    summary_table(c, load_spec("two-layer"))
    assert_golden("validate-two-layer.txt", buf.getvalue(), update_golden)
