"""Network diagrams: Mermaid flowcharts (like the seed's) and Graphviz DOT.

One graph model is built from the network: a group per layer (the input too), holding a
node per unit, or one box for a layer too large to draw unit by unit; and edges, labelled
with weights. Mermaid and DOT are two ways of writing that model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nncalc.network import Network
from nncalc.render.escape import dot_text, mermaid_text
from nncalc.render.numbers import fmt

MAX_DRAWN_UNITS = 12  # a layer (or input) with more units is drawn as one box


@dataclass
class Group:
    id: str
    label: str
    nodes: list[tuple[str, list[str]]] = field(default_factory=list)  # id, label lines
    box: list[str] | None = None  # label lines of the one box standing for a large layer


@dataclass
class Graph:
    groups: list[Group]
    edges: list[tuple[str, str, str]]  # from id, to id, label ("" for none)


def _ids(group: Group) -> list[str]:
    return [group.id + "_box"] if group.box is not None else [node_id for node_id, _ in group.nodes]


def build(net: Network, weights: bool = True, precision: int = 4) -> Graph:
    """The graph model of ``net``: inputs and units as nodes, weights on the edges."""
    inputs = Group("input", "input")
    if net.nin > MAX_DRAWN_UNITS:
        inputs.box = [f"{net.nin} inputs"]
    else:
        inputs.nodes = [(f"x{i + 1}", [f"x{i + 1}"]) for i in range(net.nin)]
    groups, edges = [inputs], []
    for k, layer in enumerate(net.layers, 1):
        act = layer.activation.label
        group = Group(f"L{k}", f"layer {k}: {layer.name} ({act})")
        if layer.nout > MAX_DRAWN_UNITS:
            group.box = [layer.name, f"{layer.nout} units, {act}"]
        else:
            for j in range(layer.nout):
                label = [f"{layer.name} {j + 1}", act]
                if weights and layer.has_bias:
                    label.append(f"b = {fmt(layer.b[j], precision)}")
                group.nodes.append((f"L{k}_{j + 1}", label))
        prev = groups[-1]
        if prev.box is None and group.box is None:
            for j, (to, _) in enumerate(group.nodes):
                for i, (frm, _) in enumerate(prev.nodes):
                    edges.append((frm, to, fmt(layer.W[j, i], precision) if weights else ""))
        else:  # one side is a box: an edge per drawn node, W's shape on the middle one
            pairs = [(frm, to) for frm in _ids(prev) for to in _ids(group)]
            shape = f"W: {layer.nout}×{layer.nin}" if weights else ""
            edges += [(frm, to, shape if n == len(pairs) // 2 else "") for n, (frm, to) in enumerate(pairs)]
        groups.append(group)
    return Graph(groups, edges)


def _mermaid_lines(lines: list[str]) -> str:
    """A label's lines, each escaped, joined by the one piece of HTML we write ourselves."""
    return "<br/>".join(map(mermaid_text, lines))


def _dot_lines(lines: list[str]) -> str:
    return "\\n".join(map(dot_text, lines))


def to_mermaid(graph: Graph) -> str:
    """A Mermaid flowchart, left to right, as the seed draws its networks.

    >>> from nncalc.spec import load_spec
    >>> print(to_mermaid(build(load_spec("neuron"))).splitlines()[0])
    graph LR
    """
    out = ["graph LR"]
    for g in graph.groups:
        out.append(f'  subgraph {g.id}["{mermaid_text(g.label)}"]')
        if g.box is not None:
            out.append(f'    {g.id}_box["{_mermaid_lines(g.box)}"]')
        for node_id, label in g.nodes:
            out.append(f'    {node_id}(("{_mermaid_lines(label)}"))')
        out.append("  end")
    for frm, to, label in graph.edges:
        out.append(f'  {frm} -->|"{mermaid_text(label)}"| {to}' if label else f"  {frm} --> {to}")
    return "\n".join(out) + "\n"


def to_dot(graph: Graph) -> str:
    """Graphviz DOT: ``nncalc graph net.yaml --format dot | dot -Tsvg > net.svg``."""
    out = [
        "digraph network {",
        "  rankdir=LR;",
        '  node [shape=circle, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for g in graph.groups:
        out.append(f"  subgraph cluster_{g.id} {{")
        out.append(f'    label="{dot_text(g.label)}";')
        if g.box is not None:
            out.append(f'    {g.id}_box [shape=box, label="{_dot_lines(g.box)}"];')
        for node_id, label in g.nodes:
            out.append(f'    {node_id} [label="{_dot_lines(label)}"];')
        out.append("  }")
    for frm, to, label in graph.edges:
        out.append(f'  {frm} -> {to} [label="{dot_text(label)}"];' if label else f"  {frm} -> {to};")
    out.append("}")
    return "\n".join(out) + "\n"
