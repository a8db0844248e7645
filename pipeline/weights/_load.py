"""Loading a converted weight file into a model: the whole model or its encoder, strictly or not.

Strict loading is all or nothing: any key of the part that the file lacks, any key of the file
the part lacks and any shape that differs is an error naming those keys. Non-strict loading
takes the tensors that fit and reports the rest.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from pipeline.model_configs import ModelConfig
from pipeline.weights._convert import PARTS, KeyCheck, check_keys, target_shapes
from pipeline.weights._files import WeightsError, read_converted


def _check_part(part: str) -> None:
    if part not in PARTS:
        raise WeightsError(f"pretrained.part: expected one of {PARTS}, got {part!r}")


def _strict_error(path: str | Path, part: str, check: KeyCheck) -> WeightsError:
    details = "; ".join(check.lines())
    return WeightsError(f"{path}: does not fit the model's {part} with strict loading: {details}")


def validate_pretrained(path: str | Path, config: ModelConfig, part: str, strict: bool) -> KeyCheck:
    """Check a file against a model config without building the model (meta device)."""
    _check_part(part)
    check = check_keys(read_converted(path)["state_dict"], target_shapes(config), part)
    if strict and not check.clean:
        raise _strict_error(path, part, check)
    return check


def load_pretrained(model: nn.Module, path: str | Path, part: str, strict: bool) -> KeyCheck:
    """Copy the file's tensors of `part` into `model`; returns what did not fit (empty when strict)."""
    _check_part(part)
    state_dict = read_converted(path)["state_dict"]
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    check = check_keys(state_dict, shapes, part)
    if strict and not check.clean:
        raise _strict_error(path, part, check)
    prefix = "encoder." if part == "encoder" else ""
    fitting = {k: v for k, v in state_dict.items() if k.startswith(prefix) and shapes.get(k) == tuple(v.shape)}
    with torch.no_grad():
        model.load_state_dict(fitting, strict=False)
    return check
