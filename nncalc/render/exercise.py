"""Exercise sheets: the questions, and the worked solutions, as documents.

A question gives the network's W and b and the input x, and asks for every z, a and
the output; its solution is the worked example ``nncalc forward`` writes for the same
network and input, word for word, one heading level down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from nncalc.exact import layer_params
from nncalc.render.document import Block, Heading, Math, Para
from nncalc.render.view import Numbers, plural
from nncalc.render.worked import column, describe, forward_doc, given, operator

if TYPE_CHECKING:
    from nncalc.exercise import Exercise


def _instructions(exercises: Sequence[Exercise]) -> Para:
    how = (
        "Every value has at most three decimal places."
        if all(e.exact for e in exercises)
        else f"Give each value to {exercises[0].precision} significant digits."
    )
    return Para(
        "Work out each forward pass by hand, layer by layer: every weighted sum ",
        Math(r"z = W\mathbf{x} + b"),
        " term by term, then every activation, then the output. " + how,
    )


def _find(e: Exercise) -> list[Block]:
    """What to work out: each layer's z, its a (and which ReLU units fire), the output."""
    doc: list[Block] = [Para("Find:")]
    n = len(e.net.layers)
    item = 1
    for k, layer in enumerate(e.net.layers, 1):
        previous = r"\mathbf{x}" if k == 1 else rf"\mathbf{{a}}^{{({k - 1})}}"
        bias = rf" + \mathbf{{b}}^{{({k})}}" if layer.has_bias else ""
        doc.append(
            Para(
                f"{item}. ",
                Math(rf"\mathbf{{z}}^{{({k})}} = W^{{({k})}} {previous}{bias}"),
                f", {plural(layer.nout, 'weighted sum')} of layer {k} ({layer.name}), term by term.",
            )
        )
        item += 1
        act = layer.activation
        if act.is_identity:
            continue
        ask = ". Which units fire (z > 0), and which do not?" if act.name in ("relu", "leaky_relu") else "."
        doc.append(Para(f"{item}. ", Math(rf"\mathbf{{a}}^{{({k})}} = {operator(act)}(\mathbf{{z}}^{{({k})}})"), ask))
        item += 1
    y = r"\hat{y}" if e.net.nout == 1 else r"\hat{\mathbf{y}}"
    doc.append(Para(f"{item}. The output ", Math(rf"{y} = \mathbf{{a}}^{{({n})}}"), "."))
    return doc


def question_doc(exercises: Sequence[Exercise]) -> list[Block]:
    """The question sheet: each exercise's network, W, b and x, and what to find."""
    title = "Exercise: a forward pass" if len(exercises) == 1 else f"Exercises: {len(exercises)} forward passes"
    doc: list[Block] = [Heading(title, 2), _instructions(exercises)]
    for e in exercises:
        number = Numbers(e.precision, exact=True, latex=True)
        doc.append(Heading(f"Exercise {e.number}", 3))
        doc.append(describe(e.net))
        doc += given(e.net, [layer_params(layer) for layer in e.net.layers], number, level=4)
        doc.append(Para("Input:"))
        doc.append(Math(rf"\mathbf{{x}} = {column(e.x, number)}"))
        doc += _find(e)
    return doc


def _demoted(blocks: Sequence[Block]) -> list[Block]:
    """The worked example's headings one level down, under the exercise's own."""
    return [Heading(b.text, b.level + 1) if isinstance(b, Heading) else b for b in blocks]


def solution_doc(exercises: Sequence[Exercise], made_by: str | None = None) -> list[Block]:
    """The solutions: for each exercise, the worked example ``nncalc forward`` writes."""
    title = "Solution" if len(exercises) == 1 else "Solutions"
    doc: list[Block] = [Heading(title, 2)]
    if made_by:
        doc.append(Para(f"Made by: {made_by}"))
    for e in exercises:
        worked = forward_doc(e.net, e.net.forward(), e.precision)
        doc.append(Heading(f"Exercise {e.number}: solution", 3))
        doc += _demoted(worked[1:])  # without its own title
    return doc
