"""A PyTorch state dict (``0.weight``, ``0.bias``, ``2.weight``, …) as nncalc layers.

Shared by the safetensors and PyTorch readers. Each module path with a ``weight`` (and
maybe a ``bias``) is one linear layer. The order is the numeric order of the modules'
numbers, as ``nn.Sequential`` names them, or the order the caller knows (a PyTorch
state dict keeps its modules' order). Anything that is not the weight or bias of a
linear layer is refused by name, never skipped.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from nncalc.errors import SpecError
from nncalc.importers import printable

MAX_GUESS = 8  # layers whose order may be found from their shapes alone


def layers_from_state_dict(
    tensors: Mapping[str, tuple[tuple[int, ...], str]],
    load: Callable[[str], np.ndarray],
    source: str,
    filename: str,
    ordered: bool = False,
) -> list[dict[str, Any]]:
    """Layer mappings from tensors given as ``key -> (shape, dtype)``; ``load(key)``
    reads one as float64. With ``ordered``, the keys' order is the layers' order."""
    if not tensors:
        raise SpecError("the file holds no tensors", source=source)
    groups: dict[str, dict[str, str]] = {}
    for key in tensors:
        module, _, kind = key.rpartition(".")
        if kind not in ("weight", "bias"):
            raise SpecError(
                f"tensor '{printable(key)}' is not the weight or bias of a linear layer; nncalc "
                "reads the state dicts of stacks of nn.Linear layers (with activations between them)",
                source=source,
            )
        groups.setdefault(module, {})[kind] = key
    for module, parts in groups.items():
        if "weight" not in parts:
            raise SpecError(f"tensor '{printable(parts['bias'])}' is a bias without a weight", source=source)
        shape = tensors[parts["weight"]][0]
        if len(shape) != 2:
            kind = " (a convolution's?)" if len(shape) > 2 else " (a normalisation layer's?)" if len(shape) == 1 else ""
            raise SpecError(
                f"tensor '{printable(parts['weight'])}' has shape {tuple(shape)}{kind}; the weight "
                "of a linear layer is a matrix (units × inputs)",
                source=source,
            )
    modules = list(groups) if ordered else _order(groups, tensors, source)
    layers = []
    for module in modules:
        parts = groups[module]
        layer: dict[str, Any] = {
            "name": printable(module) or "layer",
            "weights": load(parts["weight"]),
            "weights_from": f"{filename}[{printable(parts['weight'])}]",
        }
        if "bias" in parts:
            layer["bias"] = load(parts["bias"])
            layer["bias_from"] = f"{filename}[{printable(parts['bias'])}]"
        layers.append(layer)
    return layers


def _order(groups: Mapping[str, Mapping[str, str]], tensors: Mapping[str, Any], source: str) -> list[str]:
    """The modules in the order of their numbers (``0``, ``2``, ``10``; ``net.0``,
    ``net.2``), else the one order in which their shapes chain."""
    modules = list(groups)
    numbered = _numeric_order(modules)
    if numbered is not None:
        return numbered
    names = ", ".join(printable(m) for m in modules[:10]) + (", …" if len(modules) > 10 else "")
    advice = (
        "write a YAML spec that names each tensor in order, like "
        "weights: {file: model.safetensors, key: fc1.weight}"
    )
    if len(modules) <= MAX_GUESS:
        fits = []
        for perm in itertools.permutations(modules):
            shapes = [tensors[groups[m]["weight"]][0] for m in perm]
            if all(a[0] == b[1] for a, b in zip(shapes, shapes[1:])):
                fits.append(list(perm))
                if len(fits) > 1:
                    break
        if len(fits) == 1:
            return fits[0]
        problem = "several orders fit their shapes" if fits else "no order of them fits their shapes"
    else:
        problem = "there are too many to find the order from their shapes"
    raise SpecError(
        f"the layers {names} are not numbered like nn.Sequential's (0, 1, 2, …), and {problem}; {advice}",
        source=source,
    )


def _numeric_order(modules: Sequence[str]) -> list[str] | None:
    """The modules sorted by the numbers in their paths, if they differ only in numbers.

    >>> _numeric_order(["0", "10", "2"])
    ['0', '2', '10']
    >>> _numeric_order(["layers.1.fc", "layers.0.fc"])
    ['layers.0.fc', 'layers.1.fc']
    >>> _numeric_order(["fc1", "fc2"]) is None
    True
    """
    split = [m.split(".") for m in modules]
    if len({len(s) for s in split}) != 1:
        return None
    varying = [i for i in range(len(split[0])) if len({s[i] for s in split}) > 1]
    if len(modules) > 1 and not varying:
        return None
    if not all(s[i].isascii() and s[i].isdigit() for s in split for i in varying):
        return None
    return [m for _, m in sorted(((tuple(int(s[i]) for i in varying), m) for s, m in zip(split, modules)))]
