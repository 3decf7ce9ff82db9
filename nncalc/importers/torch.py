"""PyTorch ``.pt``/``.pth`` state dicts, only through ``torch.load(weights_only=True)``.

A state dict (what ``torch.save(model.state_dict(), path)`` writes) holds tensors and
nothing that runs. A whole pickled module (``torch.save(model, path)``) or a TorchScript
archive would need its code run to be opened, and is refused with how to save a state
dict instead. Checkpoints that keep the state dict under ``state_dict`` or
``model_state_dict`` (with the optimizer's state and the epoch beside it) are read too.
"""

from __future__ import annotations

import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nncalc.errors import SpecError
from nncalc.importers import Model, printable

SAVE_STATE_DICT = "save the weights instead with torch.save(model.state_dict(), 'model.pt')"
CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")
# What torch.load's weights-only unpickler and zip reader raise on damaged bytes.
_DAMAGED = (
    RuntimeError, EOFError, ValueError, OSError, zipfile.BadZipFile, NotImplementedError,
    KeyError, IndexError, AttributeError, TypeError, OverflowError, struct.error,
)


def read(path: Path, source: str, *, size: int, allow_outside: bool = False) -> Model:
    try:
        import torch
    except ImportError:
        raise SpecError(
            "opening a PyTorch file needs PyTorch (pip install torch); or save the weights "
            "as safetensors, which nncalc reads without it",
            source=source,
        ) from None
    from nncalc.importers.statedict import layers_from_state_dict

    _refuse_torchscript(path, source)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        if "GLOBAL" in str(e) or "global" in first.lower() or "weights only" in first.lower():
            raise SpecError(
                "holds pickled Python objects (a whole model saved with torch.save(model)?), "
                f"which nncalc never unpickles; {SAVE_STATE_DICT}",
                source=source,
            ) from None
        raise SpecError(f"not a valid PyTorch file ({printable(first, 120)})", source=source) from None
    except _DAMAGED as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SpecError(f"not a valid PyTorch file ({printable(first, 120)})", source=source) from None
    state, where = _state_dict(obj, torch, source)
    tensors = {key: (tuple(t.shape), str(t.dtype)) for key, t in state.items()}

    def load(key: str) -> np.ndarray:
        t = state[key]
        if t.dtype not in (torch.float64, torch.float32, torch.float16, torch.bfloat16):
            raise SpecError(
                f"tensor '{printable(key)}' holds {str(t.dtype).replace('torch.', '')} values; "
                "nncalc reads weights stored as float64, float32, float16 or bfloat16",
                source=source,
            )
        return t.detach().to(torch.float64).contiguous().numpy()

    layers = layers_from_state_dict(tensors, load, source, path.name, ordered=True)
    return Model(layers, f"the '{where}' entry of a checkpoint" if where else None)


def _refuse_torchscript(path: Path, source: str) -> None:
    """torch.load hands a TorchScript archive to torch.jit.load, which runs its code:
    tell such a file by its members first."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return  # a legacy (non-zip) file, or a damaged one: torch.load reports it
    if any(n.endswith("constants.pkl") or "/code/" in n for n in names):
        raise SpecError(
            "a TorchScript archive (torch.jit.save), whose code nncalc never runs; "
            f"{SAVE_STATE_DICT}, or export the model to ONNX",
            source=source,
        )


def _state_dict(obj: Any, torch: Any, source: str) -> tuple[dict[str, Any], str | None]:
    """The tensors of a state dict, or of the state dict inside a checkpoint."""
    if isinstance(obj, torch.nn.Module):  # only reachable if weights_only ever let one through
        raise SpecError(f"holds a whole model, not a state dict; {SAVE_STATE_DICT}", source=source)
    if isinstance(obj, dict):
        if obj and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()):
            return obj, None
        for key in CHECKPOINT_KEYS:
            inner = obj.get(key)
            if isinstance(inner, dict) and inner and all(
                isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in inner.items()
            ):
                return inner, key
        if not obj:
            raise SpecError("holds an empty dictionary; expected a state dict of tensors", source=source)
        bad = next((k for k, v in obj.items() if not isinstance(v, torch.Tensor)), None)
        what = f"'{printable(str(bad))}' is a {type(obj[bad]).__name__}" if bad is not None else "its keys are not text"
        raise SpecError(
            f"holds a dictionary that is not a state dict ({what}); expected tensors named like "
            f"0.weight, 0.bias, or a checkpoint with a '{CHECKPOINT_KEYS[0]}' entry",
            source=source,
        )
    raise SpecError(
        f"holds a {type(obj).__name__}, not a state dict; {SAVE_STATE_DICT}",
        source=source,
    )
