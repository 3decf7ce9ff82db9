"""Exercise sheets: the questions, and the worked solutions, as documents.

A question gives the network's W and b and the input x, and asks for every z, a and
the output; its solution is the worked example ``nncalc forward`` writes for the same
network and input, word for word, one heading level down. A backward exercise also
gives the target and the loss (and a learning rate), and asks for the loss, every δ and
gradient (and the step); its solution is the worked example of ``nncalc backward``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from nncalc.exact import layer_params
from nncalc.render.backward import paragraph
from nncalc.render.document import Block, Heading, Math, Para
from nncalc.render.view import Numbers, plural
from nncalc.render.worked import column, describe, forward_doc, given, operator, shortest_tex

if TYPE_CHECKING:
    from nncalc.exercise import Exercise


def _instructions(exercises: Sequence[Exercise], lr: float | None = None) -> Para:
    if exercises[0].loss is not None:
        from nncalc.exercise import BACK_PLACES

        how = (
            f"Every value asked for in the forward and backward passes has at most {_WORDS[BACK_PLACES]} decimal places"
            + (" (the weights after the step may have more)." if lr is not None else ".")
            if all(e.exact for e in exercises)
            else f"Give each value to {exercises[0].precision} significant digits."
        )
        step: list = [", then one step of gradient descent with learning rate ", Math(rf"\eta = {shortest_tex(lr)}")] if lr is not None else []
        return Para(
            "Work out each forward pass by hand, then the loss, then the backward pass, from the "
            "output layer back to the first: each unit's ",
            Math(r"\delta = \partial L / \partial z"),
            ", the gradient of every weight and bias, and what each layer hands to the one below",
            *step,
            ". " + how,
        )
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


_WORDS = {3: "three", 4: "four", 5: "five"}


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


def _find_backward(e: Exercise, lr: float | None) -> list[Block]:
    """What to work out in a backward exercise: the forward pass, the loss, each layer's
    δ, gradients and what it hands down, last layer first; the step."""
    n = len(e.net.layers)
    y = r"\hat{y}" if e.net.nout == 1 else r"\hat{\mathbf{y}}"
    doc: list[Block] = [
        Para("Find:"),
        Para(
            "1. The forward pass: every ",
            Math(r"\mathbf{z}^{(k)}"),
            " term by term, every ",
            Math(r"\mathbf{a}^{(k)}"),
            ", and the output ",
            Math(rf"{y} = \mathbf{{a}}^{{({n})}}"),
            ".",
        ),
        Para("2. The loss ", Math("E"), "."),
    ]
    item = 3
    for k in range(n, 0, -1):
        layer = e.net.layers[k - 1]
        below = r"\mathbf{x}" if k == 1 else rf"\mathbf{{a}}^{{({k - 1})}}"
        parts: list = [
            f"{item}. Layer {k} ({layer.name}): ",
            Math(rf"\boldsymbol{{\delta}}^{{({k})}} = \partial L / \partial \mathbf{{z}}^{{({k})}}"),
            ", the gradients ",
            Math(rf"\partial L / \partial W^{{({k})}} = \boldsymbol{{\delta}}^{{({k})}} ({below})^\top"),
        ]
        if layer.has_bias:
            parts += [" and ", Math(rf"\partial L / \partial \mathbf{{b}}^{{({k})}}")]
        if k > 1:
            parts += [
                ", and what it hands to layer ",
                f"{k - 1}, ",
                Math(rf"\partial L / \partial \mathbf{{a}}^{{({k - 1})}} = (W^{{({k})}})^\top \boldsymbol{{\delta}}^{{({k})}}"),
            ]
        doc.append(Para(*parts, "."))
        item += 1
    if lr is not None:
        doc.append(
            Para(
                f"{item}. One step of gradient descent, learning rate ",
                Math(rf"\eta = {shortest_tex(lr)}"),
                ": every ",
                Math(r"W^{(k)+} = W^{(k)} - \eta \, \partial L / \partial W^{(k)}"),
                " and ",
                Math(r"\mathbf{b}^{(k)+}"),
                ", all from the weights before the step.",
            )
        )
    return doc


def _target(e: Exercise, number: Numbers) -> Para:
    """The target, with its class where it is one."""
    from nncalc.exercise import takes_a_class

    assert e.target is not None and e.loss is not None
    parts: list = ["Target: ", Math(rf"\mathbf{{t}} = {column(e.target, number)}")]
    if takes_a_class(e.net, e.loss):
        parts.append(f" (class {[float(q) for q in e.target].index(1.0) + 1} of {len(e.target)}, one-hot).")
    else:
        parts.append(".")
    return Para(*parts)


def question_doc(exercises: Sequence[Exercise], lr: float | None = None) -> list[Block]:
    """The question sheet: each exercise's network, W, b and x (and target and loss),
    and what to find (with ``lr``, a backward exercise asks for one step too)."""
    backward = exercises[0].loss is not None
    kind = "backward" if backward else "forward"
    title = f"Exercise: a {kind} pass" if len(exercises) == 1 else f"Exercises: {len(exercises)} {kind} passes"
    doc: list[Block] = [Heading(title, 2), _instructions(exercises, lr)]
    for e in exercises:
        number = Numbers(e.precision, exact=True, latex=True)
        doc.append(Heading(f"Exercise {e.number}", 3))
        doc.append(describe(e.net))
        doc += given(e.net, [layer_params(layer) for layer in e.net.layers], number, level=4)
        doc.append(Para("Input:"))
        doc.append(Math(rf"\mathbf{{x}} = {column(e.x, number)}"))
        if backward:
            doc.append(_target(e, number))
            # (with the step: a learning rate whose step leaves float64 is refused here too)
            doc.append(paragraph(_worked_backward(e, lr).loss_sentence, e.precision))
            doc += _find_backward(e, lr)
        else:
            doc += _find(e)
    return doc


def _worked_backward(e: Exercise, lr: float | None):  # type: ignore[no-untyped-def]
    """The view ``nncalc backward`` works from, for the exercise's input and target."""
    import numpy as np

    from nncalc import backward as engine
    from nncalc.render import backward as view

    with np.errstate(all="ignore"):
        grads = engine.backward(e.net, e.net.input, e.net.target, e.loss)
        training = engine.train(e.net, e.net.input, grads.target, e.loss, lr, 1, first=grads) if lr is not None else None
    return view.build(e.net, grads, lr=lr, training=training)


def _demoted(blocks: Sequence[Block]) -> list[Block]:
    """The worked example's headings one level down, under the exercise's own."""
    return [Heading(b.text, b.level + 1) if isinstance(b, Heading) else b for b in blocks]


def solution_doc(exercises: Sequence[Exercise], made_by: str | None = None, lr: float | None = None) -> list[Block]:
    """The solutions: for each exercise, the worked example ``nncalc forward`` writes (or
    ``nncalc backward``, with the step when ``lr`` is given, for a backward exercise)."""
    from nncalc.render.backward import document

    title = "Solution" if len(exercises) == 1 else "Solutions"
    doc: list[Block] = [Heading(title, 2)]
    if made_by:
        doc.append(Para(f"Made by: {made_by}"))
    for e in exercises:
        if e.loss is not None:
            worked = document(_worked_backward(e, lr), e.precision)
        else:
            worked = forward_doc(e.net, e.net.forward(), e.precision)
        doc.append(Heading(f"Exercise {e.number}: solution", 3))
        doc += _demoted(worked[1:])  # without its own title
    return doc
