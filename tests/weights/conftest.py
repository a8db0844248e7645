"""Synthetic released checkpoints: the official key names and shapes, cheap values."""

from __future__ import annotations

import json
from pathlib import Path

import torch

DATA = Path(__file__).parent / "data"


def official_keys(name: str) -> list[tuple[str, tuple[int, ...]]]:
    return [(k, tuple(s)) for k, s in json.loads((DATA / f"keys_{name}.json").read_text())]


def synthetic_state_dict(keys: list[tuple[str, tuple[int, ...]]], random: bool = False) -> dict[str, torch.Tensor]:
    """A tensor per key; without `random`, each is one stored value broadcast to its shape, so even
    a ResNet-101 checkpoint is a few kilobytes on disk."""
    out: dict[str, torch.Tensor] = {}
    for i, (key, shape) in enumerate(keys):
        if key.endswith("num_batches_tracked"):
            out[key] = torch.tensor(7, dtype=torch.long)
        elif random:
            out[key] = torch.randn(shape)
        else:
            out[key] = torch.full((1,), 0.01 * (i % 50 + 1)).expand(shape) if shape else torch.tensor(0.5)
    return out


def backbone_only(state_dict: dict[str, torch.Tensor], classifier: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """An ImageNet-style file: the `backbone.` tensors without the prefix, plus a classifier."""
    out = {k.removeprefix("backbone."): v for k, v in state_dict.items() if k.startswith("backbone.")}
    return {**out, **classifier}
